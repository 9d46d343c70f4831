import { beforeEach, describe, expect, it, vi } from 'vitest'
import { nextTick, ref } from 'vue'
import { clearDrafts, draftKey, useDraft } from './useDraft'

/** The part of the browser's Storage the drafts use, for tests outside a browser. */
class MemoryStorage {
  private m = new Map<string, string>()
  get length() {
    return this.m.size
  }
  key(i: number) {
    return [...this.m.keys()][i] ?? null
  }
  getItem(k: string) {
    return this.m.get(k) ?? null
  }
  setItem(k: string, v: string) {
    this.m.set(k, v)
  }
  removeItem(k: string) {
    this.m.delete(k)
  }
  clear() {
    this.m.clear()
  }
}

describe('useDraft', () => {
  beforeEach(() => vi.stubGlobal('sessionStorage', new MemoryStorage()))

  it('keeps the text across a remount under the same user and ticket', async () => {
    const a = useDraft(() => draftKey(7, 'ticket.42'))
    a.value = '您好，退款已经'
    await nextTick()
    const b = useDraft(() => draftKey(7, 'ticket.42'))
    expect(b.value).toBe('您好，退款已经')
  })

  it('keeps each ticket its own draft and gives another user none', async () => {
    const id = ref(1)
    const d = useDraft(() => draftKey(7, `ticket.${id.value}`))
    d.value = '第一张'
    await nextTick()
    id.value = 2
    await nextTick()
    expect(d.value).toBe('')
    d.value = '第二张'
    await nextTick()
    id.value = 1
    await nextTick()
    expect(d.value).toBe('第一张')
    expect(useDraft(() => draftKey(8, 'ticket.1')).value).toBe('')
  })

  it('holds the text while logged out and saves nothing until the user is back', async () => {
    const user = ref<number | null>(7)
    const d = useDraft(() => draftKey(user.value, 'ticket.3'))
    d.value = '写到一半'
    await nextTick()
    user.value = null
    await nextTick()
    expect(d.value).toBe('写到一半')
    user.value = 7
    await nextTick()
    expect(d.value).toBe('写到一半')
  })

  it('forgets a sent draft, and every draft on logout', async () => {
    const d = useDraft(() => draftKey(7, 'ticket.5'))
    d.value = 'x'
    await nextTick()
    d.value = ''
    await nextTick()
    expect(sessionStorage.getItem('kefu.draft.7.ticket.5')).toBeNull()
    d.value = 'y'
    await nextTick()
    sessionStorage.setItem('other', 'kept')
    clearDrafts()
    expect(sessionStorage.getItem('kefu.draft.7.ticket.5')).toBeNull()
    expect(sessionStorage.getItem('other')).toBe('kept')
  })
})
