import { describe, expect, it } from 'vitest'
import { loadPending, savePending } from './pending'

class MemoryStorage {
  data = new Map<string, string>()
  getItem(k: string) {
    return this.data.get(k) ?? null
  }
  setItem(k: string, v: string) {
    this.data.set(k, v)
  }
  removeItem(k: string) {
    this.data.delete(k)
  }
}

describe('pending messages across reloads', () => {
  it('keeps unacked messages per widget key and forgets them once empty', () => {
    const s = new MemoryStorage()
    savePending('wk_a', [{ client_id: 'c1', body: '在吗' }], s)
    expect(loadPending('wk_a', s)).toEqual([{ client_id: 'c1', body: '在吗' }])
    expect(loadPending('wk_b', s)).toEqual([])
    savePending('wk_a', [], s)
    expect(s.data.size).toBe(0)
  })

  it('ignores garbage and keeps at most the last 20', () => {
    const s = new MemoryStorage()
    s.setItem('kefu.chat.pending.wk', '{not json')
    expect(loadPending('wk', s)).toEqual([])
    s.setItem('kefu.chat.pending.wk', JSON.stringify([{ client_id: 1, body: 'x' }, { client_id: 'ok', body: '' }, null, { client_id: 'ok', body: 'y' }]))
    expect(loadPending('wk', s)).toEqual([{ client_id: 'ok', body: 'y' }])
    const many = Array.from({ length: 30 }, (_, i) => ({ client_id: `c${i}`, body: `m${i}` }))
    savePending('wk', many, s)
    const back = loadPending('wk', s)
    expect(back).toHaveLength(20)
    expect(back[0].client_id).toBe('c10')
  })
})
