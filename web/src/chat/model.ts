// A conversation as the screen shows it: the messages in seq order, our own unsent ones at the end,
// merged by client_id (our message, acked or echoed back) and seq (replays after a reconnect), so a
// message never shows twice. Plain data plus functions, so Vue's reactive() can wrap it and tests can
// drive it without a DOM.
import type { ChatAttachment, ChatFrom, ChatMessageFrame } from './socket'

export interface ChatItem {
  /** Stable key for v-for: the client_id of a message of ours, else `s<seq>`. */
  key: string
  seq: number | null
  clientId: string | null
  from: ChatFrom
  /** Written by this side (the customer on the chat page, an agent in the workspace). */
  mine: boolean
  author: string
  body: string
  at: string
  attachment: ChatAttachment | null
  /** Ours only: sending (not yet acked), sent (durable). */
  state: 'sending' | 'sent'
}

export interface ConversationState {
  items: ChatItem[]
  /** The highest seq of the other side's read receipt (our messages up to it show 已读). */
  peerReadSeq: number
  /** The highest seq this side has seen on screen. */
  readSeq: number
  /** The other side is typing. */
  peerTyping: boolean
}

export function newConversation(): ConversationState {
  return { items: [], peerReadSeq: 0, readSeq: 0, peerTyping: false }
}

/** Our own message, shown at once as 发送中 until the server acks it. */
export function addLocal(
  c: ConversationState,
  m: { clientId: string; from: ChatFrom; author: string; body: string; attachment?: ChatAttachment | null; at?: string },
): ChatItem {
  const item: ChatItem = {
    key: m.clientId,
    seq: null,
    clientId: m.clientId,
    from: m.from,
    mine: true,
    author: m.author,
    body: m.body,
    at: m.at ?? new Date().toISOString(),
    attachment: m.attachment ?? null,
    state: 'sending',
  }
  c.items.push(item)
  return item
}

/** The server made our message durable with this seq. */
export function applyAck(c: ConversationState, clientId: string, seq: number): void {
  const item = c.items.find((i) => i.clientId === clientId && i.mine)
  if (!item) return
  if (item.seq === seq && item.state === 'sent') return
  // The same seq may already be on screen from the echo: keep one.
  const dup = c.items.findIndex((i) => i !== item && i.seq === seq)
  if (dup >= 0) c.items.splice(dup, 1)
  item.seq = seq
  item.state = 'sent'
  sortItems(c)
}

/**
 * A message from the server (live or replayed). `mySide` is who this screen writes as; a message of that
 * side with a client_id we hold merges into our local copy. Returns true when a new item appeared.
 */
export function applyMessage(c: ConversationState, f: ChatMessageFrame, mySide: ChatFrom, myName?: string): boolean {
  if (c.items.some((i) => i.seq === f.seq)) return false
  if (f.client_id) {
    const own = c.items.find((i) => i.clientId === f.client_id)
    if (own) {
      own.seq = f.seq
      own.state = 'sent'
      own.at = f.at || own.at
      if (f.attachment) own.attachment = f.attachment
      sortItems(c)
      return false
    }
  }
  // Another agent of the same ticket writes as 'agent' too: only ours (by name when known) count as mine.
  const mine = f.from === mySide && (mySide === 'customer' || !myName || !f.author || f.author === myName) && f.from !== 'system'
  c.items.push({
    key: f.client_id && mine ? f.client_id : `s${f.seq}`,
    seq: f.seq,
    clientId: f.client_id ?? null,
    from: f.from,
    mine,
    author: f.author ?? '',
    body: typeof f.body === 'string' ? f.body : '',
    at: f.at,
    attachment: f.attachment ?? null,
    state: 'sent',
  })
  if (f.from !== mySide) c.peerTyping = false
  sortItems(c)
  return true
}

/** Durable messages by seq; ours still sending stay at the end in the order written. */
function sortItems(c: ConversationState) {
  c.items.sort((a, b) => {
    if (a.seq === null && b.seq === null) return 0
    if (a.seq === null) return 1
    if (b.seq === null) return -1
    return a.seq - b.seq
  })
}

/** Read receipt from the other side. */
export function applyRead(c: ConversationState, from: ChatFrom, seq: number, mySide: ChatFrom): void {
  if (from === mySide) return
  if (seq > c.peerReadSeq) c.peerReadSeq = seq
}

/** Our message shows 已读 once the other side read up to its seq. */
export function isRead(c: ConversationState, item: ChatItem): boolean {
  return item.mine && item.seq !== null && item.seq <= c.peerReadSeq
}

/** Messages from the other side newer than what this side has seen. */
export function unreadCount(c: ConversationState): number {
  return c.items.filter((i) => !i.mine && i.from !== 'system' && i.seq !== null && i.seq > c.readSeq).length
}

/** The highest seq on screen (what a read receipt covers). */
export function highestSeq(c: ConversationState): number {
  let max = 0
  for (const i of c.items) if (i.seq !== null && i.seq > max) max = i.seq
  return max
}

/**
 * How long the customer has been waiting for an answer: since the earliest customer message after the
 * last agent message (null when the last word is the agent's or there is none).
 */
export function waitingSince(c: ConversationState): string | null {
  let since: string | null = null
  for (const i of c.items) {
    if (i.from === 'agent') since = null
    else if (i.from === 'customer' && since === null) since = i.at
  }
  return since
}

/** A wait as people say it: 45 秒 / 3 分 05 秒 / 1 小时 02 分 (en: 45s / 3m 05s / 1h 02m). */
export function formatWait(ms: number, lang: 'zh' | 'en' = 'zh'): string {
  const s = Math.max(0, Math.floor(ms / 1000))
  const pad = (n: number) => String(n).padStart(2, '0')
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = s % 60
  if (lang === 'en') {
    if (h > 0) return `${h}h ${pad(m)}m`
    if (m > 0) return `${m}m ${pad(sec)}s`
    return `${sec}s`
  }
  if (h > 0) return `${h} 小时 ${pad(m)} 分`
  if (m > 0) return `${m} 分 ${pad(sec)} 秒`
  return `${sec} 秒`
}

/** HH:mm of a message time, with the date when it is not today. */
export function formatClock(at: string, now: Date = new Date()): string {
  const d = new Date(at)
  if (Number.isNaN(d.getTime())) return ''
  const pad = (n: number) => String(n).padStart(2, '0')
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`
  const sameDay = d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth() && d.getDate() === now.getDate()
  return sameDay ? hm : `${d.getMonth() + 1}-${d.getDate()} ${hm}`
}

/** Human file size: 512 B, 12.3 KB, 4.5 MB. */
export function formatSize(n: number | undefined): string {
  if (n === undefined || n === null || !Number.isFinite(n)) return ''
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`
  return `${(n / 1024 / 1024).toFixed(1)} MB`
}
