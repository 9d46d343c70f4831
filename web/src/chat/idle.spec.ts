import { describe, expect, it } from 'vitest'
import { idleSeconds, setLastActivity } from './idle'

describe('idle detection', () => {
  it('counts whole seconds since the last activity, never negative', () => {
    setLastActivity(1_000_000)
    expect(idleSeconds(1_000_000)).toBe(0)
    expect(idleSeconds(1_000_999)).toBe(0)
    expect(idleSeconds(1_901_000)).toBe(901)
    expect(idleSeconds(999_000)).toBe(0)
  })
})
