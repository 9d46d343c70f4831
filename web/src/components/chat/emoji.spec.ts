import { describe, expect, it } from 'vitest'
import { EMOJI, insertAt } from './emoji'

describe('emoji', () => {
  it('has a small distinct set', () => {
    expect(new Set(EMOJI).size).toBe(EMOJI.length)
    expect(EMOJI.length).toBeGreaterThanOrEqual(20)
  })
  it('inserts at the cursor, replacing a selection', () => {
    expect(insertAt('你好', 1, 1, '😀')).toEqual({ value: '你😀好', cursor: 3 })
    expect(insertAt('abcd', 1, 3, 'X')).toEqual({ value: 'aXd', cursor: 2 })
    expect(insertAt('ab', null, null, '!')).toEqual({ value: 'ab!', cursor: 3 })
    expect(insertAt('ab', 9, 9, '!')).toEqual({ value: 'ab!', cursor: 3 })
  })
})
