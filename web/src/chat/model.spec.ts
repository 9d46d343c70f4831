// Message merging (no message shown twice across acks, echoes and replays), read marks, unread counts,
// waiting time and its wording.
import { describe, expect, it } from 'vitest'
import {
  addLocal,
  applyAck,
  applyMessage,
  applyRead,
  formatClock,
  formatSize,
  formatWait,
  highestSeq,
  isRead,
  newConversation,
  unreadCount,
  waitingSince,
} from './model'
import type { ChatMessageFrame } from './socket'

const frame = (seq: number, from: 'customer' | 'agent' | 'system', body: string, extra: Partial<ChatMessageFrame> = {}): ChatMessageFrame => ({
  type: 'message',
  seq,
  from,
  author: from === 'agent' ? '小美' : '顾客',
  body,
  at: `2026-12-03T08:00:${String(seq).padStart(2, '0')}Z`,
  ...extra,
})

describe('conversation model', () => {
  it('shows our message once through send, ack, echo and replay', () => {
    const c = newConversation()
    applyMessage(c, frame(1, 'system', '您好，欢迎咨询'), 'customer')
    addLocal(c, { clientId: 'c1', from: 'customer', author: '我', body: '在吗' })
    expect(c.items.map((i) => [i.body, i.state])).toEqual([
      ['您好，欢迎咨询', 'sent'],
      ['在吗', 'sending'],
    ])
    applyAck(c, 'c1', 2)
    expect(applyMessage(c, frame(2, 'customer', '在吗', { client_id: 'c1' }), 'customer')).toBe(false)
    // The reconnect replays everything after the last seq we had (here: again from 1).
    applyMessage(c, frame(1, 'system', '您好，欢迎咨询'), 'customer')
    applyMessage(c, frame(2, 'customer', '在吗', { client_id: 'c1' }), 'customer')
    expect(applyMessage(c, frame(3, 'agent', '在的'), 'customer')).toBe(true)
    expect(c.items.map((i) => [i.seq, i.body, i.mine])).toEqual([
      [1, '您好，欢迎咨询', false],
      [2, '在吗', true],
      [3, '在的', false],
    ])
  })

  it('orders by seq with unsent messages last, even when the ack comes after a later message', () => {
    const c = newConversation()
    addLocal(c, { clientId: 'a', from: 'customer', author: '', body: 'A' })
    applyMessage(c, frame(4, 'agent', 'B'), 'customer')
    expect(c.items.map((i) => i.body)).toEqual(['B', 'A'])
    applyAck(c, 'a', 3)
    expect(c.items.map((i) => i.body)).toEqual(['A', 'B'])
  })

  it('an echo that arrives before the ack merges, and the ack then changes nothing', () => {
    const c = newConversation()
    addLocal(c, { clientId: 'x', from: 'agent', author: '小美', body: 'hi' })
    applyMessage(c, frame(9, 'agent', 'hi', { client_id: 'x' }), 'agent', '小美')
    applyAck(c, 'x', 9)
    expect(c.items).toHaveLength(1)
    expect(c.items[0]).toMatchObject({ seq: 9, state: 'sent', mine: true })
  })

  it('marks our messages read up to the peer receipt and counts unread ones', () => {
    const c = newConversation()
    applyMessage(c, frame(1, 'customer', 'q1'), 'agent')
    applyMessage(c, frame(2, 'customer', 'q2'), 'agent')
    addLocal(c, { clientId: 'r', from: 'agent', author: '小美', body: 'answer' })
    applyAck(c, 'r', 3)
    expect(unreadCount(c)).toBe(2)
    c.readSeq = highestSeq(c)
    expect(unreadCount(c)).toBe(0)
    const mine = c.items[2]
    expect(isRead(c, mine)).toBe(false)
    applyRead(c, 'agent', 3, 'agent') // our own side's receipt does not count
    expect(isRead(c, mine)).toBe(false)
    applyRead(c, 'customer', 3, 'agent')
    expect(isRead(c, mine)).toBe(true)
    applyRead(c, 'customer', 2, 'agent') // never goes back
    expect(c.peerReadSeq).toBe(3)
  })

  it('a message from the other side ends their typing indicator', () => {
    const c = newConversation()
    c.peerTyping = true
    applyMessage(c, frame(1, 'customer', 'x'), 'agent')
    expect(c.peerTyping).toBe(false)
  })

  it('another agent of the ticket is not "mine" on the agent side', () => {
    const c = newConversation()
    applyMessage(c, frame(1, 'agent', 'from colleague', { author: '小王' }), 'agent', '小美')
    expect(c.items[0].mine).toBe(false)
  })

  it('the customer waits since their first unanswered message', () => {
    const c = newConversation()
    expect(waitingSince(c)).toBeNull()
    applyMessage(c, frame(1, 'customer', 'a'), 'agent')
    applyMessage(c, frame(2, 'customer', 'b'), 'agent')
    expect(waitingSince(c)).toBe(frame(1, 'customer', '').at)
    applyMessage(c, frame(3, 'agent', 'c'), 'agent')
    expect(waitingSince(c)).toBeNull()
    applyMessage(c, frame(4, 'system', 'sys'), 'agent')
    expect(waitingSince(c)).toBeNull()
    applyMessage(c, frame(5, 'customer', 'd'), 'agent')
    expect(waitingSince(c)).toBe(frame(5, 'customer', '').at)
  })
})

describe('formatting', () => {
  it('says waits in Chinese and English', () => {
    expect(formatWait(0)).toBe('0 秒')
    expect(formatWait(45_400)).toBe('45 秒')
    expect(formatWait(185_000)).toBe('3 分 05 秒')
    expect(formatWait(3_720_000)).toBe('1 小时 02 分')
    expect(formatWait(-5)).toBe('0 秒')
    expect(formatWait(45_000, 'en')).toBe('45s')
    expect(formatWait(185_000, 'en')).toBe('3m 05s')
    expect(formatWait(3_720_000, 'en')).toBe('1h 02m')
  })

  it('shows clock times, with the date on other days', () => {
    const now = new Date(2026, 11, 3, 12, 0)
    expect(formatClock(new Date(2026, 11, 3, 9, 5).toISOString(), now)).toBe('09:05')
    expect(formatClock(new Date(2026, 11, 1, 23, 59).toISOString(), now)).toBe('12-1 23:59')
    expect(formatClock('nonsense', now)).toBe('')
  })

  it('sizes files', () => {
    expect(formatSize(512)).toBe('512 B')
    expect(formatSize(12_600)).toBe('12.3 KB')
    expect(formatSize(4_718_592)).toBe('4.5 MB')
    expect(formatSize(undefined)).toBe('')
  })
})
