import { describe, expect, it } from 'vitest'
import { covers, fenToInput, MAX_FEN, parseYuan } from './money'

describe('parseYuan', () => {
  it('converts 元 to fen exactly, without floating-point error', () => {
    expect(parseYuan('0.29')).toBe(29)
    expect(parseYuan('1.15')).toBe(115)
    expect(parseYuan('20.01')).toBe(2001)
    expect(parseYuan('12.3')).toBe(1230)
    expect(parseYuan('300')).toBe(30000)
    expect(parseYuan(' ¥1,200.50 ')).toBe(120050)
    expect(parseYuan('12.')).toBe(1200)
  })
  it('refuses what is not an amount', () => {
    for (const bad of ['', 'abc', '-1', '1.234', '1e3', '0x10', '1.2.3', '.5']) expect(parseYuan(bad)).toBeNull()
  })
  it('refuses more than 1 亿元', () => {
    expect(parseYuan('100000000')).toBe(MAX_FEN)
    expect(parseYuan('100000000.01')).toBeNull()
  })
})

describe('fenToInput and covers', () => {
  it('formats fen for the input', () => {
    expect(fenToInput(1234)).toBe('12.34')
    expect(fenToInput(1200)).toBe('12')
    expect(fenToInput(5)).toBe('0.05')
  })
  it('is inclusive at the limit', () => {
    expect(covers({ type: 'up_to', fen: 2000 }, 2000)).toBe(true)
    expect(covers({ type: 'up_to', fen: 2000 }, 2001)).toBe(false)
    expect(covers({ type: 'unlimited' }, MAX_FEN)).toBe(true)
    expect(covers(null, 1)).toBe(false)
  })
})
