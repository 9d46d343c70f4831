// The chat socket client against a fake WebSocket and a manual clock: reconnect with backoff, hello with
// the last seq, resend of unacked messages, dedupe by seq, typing debounce, read receipts.
import { beforeEach, describe, expect, it } from 'vitest'
import { ChatSocket, OPEN, backoffDelay, newClientId, type ServerFrame, type SocketLike, type Timers } from './socket'

class FakeSocket implements SocketLike {
  readyState = 0
  sent: Record<string, unknown>[] = []
  closedWith: number | null = null
  onopen: ((ev: unknown) => void) | null = null
  onmessage: ((ev: { data: unknown }) => void) | null = null
  onclose: ((ev: { code: number; reason?: string }) => void) | null = null
  onerror: ((ev: unknown) => void) | null = null
  constructor(readonly url: string) {}
  send(data: string) {
    if (this.readyState !== OPEN) throw new Error('not open')
    this.sent.push(JSON.parse(data))
  }
  close(code = 1000) {
    this.closedWith = code
    this.readyState = 3
  }
  // ---- the "server" side
  open() {
    this.readyState = OPEN
    this.onopen?.({})
  }
  push(frame: Record<string, unknown>) {
    this.onmessage?.({ data: JSON.stringify(frame) })
  }
  drop(code = 1006) {
    this.readyState = 3
    this.onclose?.({ code })
  }
  types() {
    return this.sent.map((f) => f.type)
  }
}

/** A clock the test moves by hand. */
class ManualTimers implements Timers {
  t = 0
  private next = 1
  private tasks = new Map<number, { at: number; fn: () => void }>()
  setTimeout(fn: () => void, ms: number) {
    const id = this.next++
    this.tasks.set(id, { at: this.t + ms, fn })
    return id
  }
  clearTimeout(id: unknown) {
    this.tasks.delete(id as number)
  }
  now() {
    return this.t
  }
  /** Advance the clock, running due tasks in order. */
  advance(ms: number) {
    const end = this.t + ms
    for (;;) {
      let due: [number, { at: number; fn: () => void }] | undefined
      for (const e of this.tasks) if (e[1].at <= end && (!due || e[1].at < due[1].at)) due = e
      if (!due) break
      this.tasks.delete(due[0])
      this.t = due[1].at
      due[1].fn()
    }
    this.t = end
  }
  pendingDelays() {
    return [...this.tasks.values()].map((x) => x.at - this.t)
  }
}

const flush = () => new Promise((r) => setTimeout(r, 0))

function msg(seq: number, extra: Record<string, unknown> = {}) {
  return { type: 'message', seq, from: 'agent', author: '小美', body: `m${seq}`, at: '2026-12-03T08:00:00Z', ...extra }
}

describe('ChatSocket (customer side)', () => {
  let sockets: FakeSocket[]
  let timers: ManualTimers
  let frames: ServerFrame[]
  let acks: [string, number][]
  let statuses: string[]
  let chat: ChatSocket
  const current = () => sockets[sockets.length - 1]

  beforeEach(() => {
    sockets = []
    timers = new ManualTimers()
    frames = []
    acks = []
    statuses = []
    chat = new ChatSocket({
      url: () => 'ws://test/api/v1/public/chat/ws?session=kfc_x',
      factory: (url) => {
        const s = new FakeSocket(url)
        sockets.push(s)
        return s
      },
      timers,
      random: () => 0.5, // no jitter
      onFrame: (f) => frames.push(f),
      onAck: (id, seq) => acks.push([id, seq]),
      onStatus: (s) => statuses.push(s),
    })
  })

  async function connect(lastSeqFromServer = 0) {
    chat.start()
    await flush()
    current().open()
    current().push({ type: 'welcome', conversation_id: 7, last_seq: lastSeqFromServer })
  }

  it('says hello with last_seq 0 first, then is open after welcome', async () => {
    await connect()
    expect(current().sent[0]).toEqual({ type: 'hello', last_seq: 0 })
    expect(chat.status).toBe('open')
    expect(statuses).toEqual(['connecting', 'open'])
  })

  it('queues a message while connecting and sends it after welcome', async () => {
    chat.start()
    await flush()
    const id = chat.send('你好')
    current().open()
    expect(current().types()).toEqual(['hello'])
    current().push({ type: 'welcome', conversation_id: 7, last_seq: 0 })
    expect(current().sent[1]).toEqual({ type: 'message', client_id: id, body: '你好' })
  })

  it('drops messages it has already seen and keeps the highest seq', async () => {
    await connect()
    current().push(msg(1))
    current().push(msg(2))
    current().push(msg(2))
    current().push(msg(1))
    current().push(msg(3))
    const seqs = frames.filter((f) => f.type === 'message').map((f) => (f as { seq: number }).seq)
    expect(seqs).toEqual([1, 2, 3])
    expect(chat.lastSeq()).toBe(3)
  })

  it('reconnects with exponential backoff and resumes from the last seq', async () => {
    await connect()
    current().push(msg(1))
    current().push(msg(2))
    current().drop()
    expect(chat.status).toBe('reconnecting')
    // 1 s, then 2 s, 4 s … (no jitter with random 0.5)
    expect(timers.pendingDelays()).toEqual([1000])
    timers.advance(1000)
    await flush()
    expect(sockets).toHaveLength(2)
    current().drop() // refused again before opening
    expect(timers.pendingDelays()).toEqual([2000])
    timers.advance(2000)
    await flush()
    current().drop()
    expect(timers.pendingDelays()).toEqual([4000])
    timers.advance(4000)
    await flush()
    current().open()
    expect(current().sent[0]).toEqual({ type: 'hello', last_seq: 2 })
    current().push({ type: 'welcome', conversation_id: 7, last_seq: 3 })
    // The replay: 2 is old, 3 is new.
    current().push(msg(2))
    current().push(msg(3))
    const seqs = frames.filter((f) => f.type === 'message').map((f) => (f as { seq: number }).seq)
    expect(seqs).toEqual([1, 2, 3])
    // A successful connection resets the backoff.
    current().drop()
    expect(timers.pendingDelays()).toEqual([1000])
  })

  it('asks for a replay when a live message skips a seq, and shows the gap and it in order', async () => {
    await connect()
    current().push(msg(1))
    current().sent = []
    current().push(msg(3)) // 2 was missed
    current().push(msg(4)) // still behind the replay it asked for
    expect(current().sent).toEqual([{ type: 'hello', last_seq: 1 }, { type: 'hello', last_seq: 1 }])
    current().sent = []
    current().push(msg(2))
    current().push(msg(3))
    current().push(msg(4))
    current().push(msg(4))
    const seqs = frames.filter((f) => f.type === 'message').map((f) => (f as { seq: number }).seq)
    expect(seqs).toEqual([1, 2, 3, 4])
    expect(current().sent).toEqual([])
  })

  it('does not ask again for what the first replay brings (up to the last_seq of welcome)', async () => {
    chat.start()
    await flush()
    current().open()
    current().push({ type: 'welcome', conversation_id: 7, last_seq: 3 })
    current().push(msg(2)) // out of order before the replay: held back, no second hello
    current().push(msg(1))
    current().push(msg(2))
    current().push(msg(3))
    expect(current().sent).toEqual([{ type: 'hello', last_seq: 0 }])
    expect(chat.lastSeq()).toBe(3)
  })

  it('caps the backoff at the maximum and spreads it with jitter', () => {
    expect(backoffDelay(0, 1000, 30_000, 0, Math.random)).toBe(1000)
    expect(backoffDelay(3, 1000, 30_000, 0, Math.random)).toBe(8000)
    expect(backoffDelay(10, 1000, 30_000, 0, Math.random)).toBe(30_000)
    expect(backoffDelay(100, 1000, 30_000, 0, Math.random)).toBe(30_000)
    expect(backoffDelay(2, 1000, 30_000, 0.2, () => 0)).toBe(3200)
    expect(backoffDelay(2, 1000, 30_000, 0.2, () => 1)).toBe(4800)
  })

  it('resends unacked messages with the same client_id after a reconnect, until acked', async () => {
    await connect()
    const a = chat.send('第一条')
    const b = chat.send('第二条')
    current().push({ type: 'ack', client_id: a, seq: 1 })
    expect(acks).toEqual([[a, 1]])
    current().drop()
    timers.advance(1000)
    await flush()
    current().open()
    current().push({ type: 'welcome', conversation_id: 7, last_seq: 1 })
    const resent = current().sent.filter((f) => f.type === 'message')
    expect(resent).toEqual([{ type: 'message', client_id: b, body: '第二条' }])
    current().push({ type: 'ack', client_id: b, seq: 2 })
    expect(chat.pending()).toHaveLength(0)
    // A late duplicate ack changes nothing.
    current().push({ type: 'ack', client_id: b, seq: 2 })
    expect(acks).toEqual([
      [a, 1],
      [b, 2],
    ])
  })

  it('treats our own message echoed back with its client_id as acked', async () => {
    await connect()
    const id = chat.send('hi')
    current().push(msg(1, { from: 'customer', client_id: id }))
    expect(chat.pending()).toHaveLength(0)
    expect(acks).toEqual([[id, 1]])
  })

  it('counts its own acked message as seen, so the next one is no gap', async () => {
    await connect()
    current().push(msg(1))
    const id = chat.send('我的')
    current().push({ type: 'ack', client_id: id, seq: 2 })
    current().sent = []
    current().push(msg(3))
    expect(current().sent).toEqual([])
    expect(chat.lastSeq()).toBe(3)
    // An ack past a gap does not skip it.
    const id2 = chat.send('再一条')
    current().push({ type: 'ack', client_id: id2, seq: 5 })
    expect(chat.lastSeq()).toBe(3)
  })

  it('sends typing on once, and off after the idle time or when the message goes', async () => {
    await connect()
    chat.typing()
    timers.advance(1000)
    chat.typing()
    timers.advance(1000)
    chat.typing()
    const typing = () => current().sent.filter((f) => f.type === 'typing')
    expect(typing()).toEqual([{ type: 'typing', on: true }])
    timers.advance(3000)
    expect(typing()).toEqual([
      { type: 'typing', on: true },
      { type: 'typing', on: false },
    ])
    chat.typing()
    chat.send('好的')
    expect(typing()).toHaveLength(4)
    expect(typing()[3]).toEqual({ type: 'typing', on: false })
    // The idle timer was cleared: no third "off".
    timers.advance(10_000)
    expect(typing()).toHaveLength(4)
  })

  it('sends read receipts only when they move forward, and the latest after a reconnect', async () => {
    await connect()
    chat.markRead(3)
    chat.markRead(2)
    chat.markRead(3)
    expect(current().sent.filter((f) => f.type === 'read')).toEqual([{ type: 'read', seq: 3 }])
    current().drop()
    chat.markRead(5) // while disconnected: remembered
    timers.advance(1000)
    await flush()
    current().open()
    current().push({ type: 'welcome', conversation_id: 7, last_seq: 5 })
    expect(current().sent.filter((f) => f.type === 'read')).toEqual([{ type: 'read', seq: 5 }])
  })

  it('pings to keep alive and starts over when the server falls silent', async () => {
    await connect()
    timers.advance(25_000)
    expect(current().types()).toContain('ping')
    current().push({ type: 'pong' })
    timers.advance(25_000)
    timers.advance(25_000)
    const first = current()
    timers.advance(25_000) // > 70 s since the pong
    expect(first.closedWith).toBe(4000)
    expect(chat.status).toBe('reconnecting')
    timers.advance(1000)
    await flush()
    expect(sockets).toHaveLength(2)
  })

  it('stops for good on stop() and on a fatal close', async () => {
    await connect()
    chat.stop()
    expect(current().closedWith).toBe(1000)
    expect(timers.pendingDelays()).toEqual([])
    expect(chat.status).toBe('closed')

    const fatal = new ChatSocket({
      url: () => 'ws://x',
      factory: (u) => {
        const s = new FakeSocket(u)
        sockets.push(s)
        return s
      },
      timers,
      isFatal: (code) => code === 4404,
    })
    fatal.start()
    await flush()
    current().open()
    current().drop(4404)
    expect(fatal.status).toBe('closed')
    expect(timers.pendingDelays()).toEqual([])
  })

  it('retries when the URL cannot be made (the session endpoint failed)', async () => {
    let calls = 0
    const c = new ChatSocket({
      url: async () => {
        calls += 1
        if (calls === 1) throw new Error('network')
        return 'ws://ok'
      },
      factory: (u) => {
        const s = new FakeSocket(u)
        sockets.push(s)
        return s
      },
      timers,
      random: () => 0.5,
    })
    c.start()
    await flush()
    expect(sockets).toHaveLength(0)
    expect(timers.pendingDelays()).toEqual([1000])
    timers.advance(1000)
    await flush()
    expect(sockets).toHaveLength(1)
  })
})

describe('ChatSocket (agent side, several conversations)', () => {
  it('keeps seqs per conversation and names the conversation in what it sends', async () => {
    const sockets: FakeSocket[] = []
    const timers = new ManualTimers()
    const got: [string, number][] = []
    const chat = new ChatSocket({
      url: () => 'ws://test/api/v1/chat/ws',
      multi: true,
      factory: (u) => {
        const s = new FakeSocket(u)
        sockets.push(s)
        return s
      },
      timers,
      random: () => 0.5,
      onFrame: (f, conv) => {
        if (f.type === 'message') got.push([conv, (f as { seq: number }).seq])
      },
    })
    chat.start()
    await flush()
    sockets[0].open()
    // The server announces the conversations the agent holds; each is answered by a hello.
    sockets[0].push({ type: 'welcome', conversation_id: 11, ticket_id: 5, last_seq: 1 })
    sockets[0].push({ type: 'welcome', conversation_id: 12, ticket_id: 6, last_seq: 2 })
    expect(sockets[0].sent).toEqual([
      { type: 'hello', conversation_id: 11, last_seq: 0 },
      { type: 'hello', conversation_id: 12, last_seq: 0 },
    ])
    sockets[0].sent = []
    sockets[0].push({ ...msg(1), conversation_id: 11 })
    sockets[0].push({ ...msg(1), conversation_id: 12 })
    sockets[0].push({ ...msg(1), conversation_id: 11 })
    sockets[0].push({ ...msg(2), conversation_id: 12 })
    expect(got).toEqual([
      ['11', 1],
      ['12', 1],
      ['12', 2],
    ])
    const id = chat.send('您好', { conversation: '12' })
    chat.typing('11')
    chat.markRead(2, '12')
    expect(sockets[0].sent).toEqual([
      { type: 'message', client_id: id, body: '您好', conversation_id: 12 },
      { type: 'typing', on: true, conversation_id: 11 },
      { type: 'read', seq: 2, conversation_id: 12 },
    ])
    // After a reconnect: the unacked message again, and a hello per announced conversation with its own
    // last seq.
    sockets[0].drop()
    timers.advance(1000)
    await flush()
    sockets[1].open()
    sockets[1].push({ type: 'welcome', conversation_id: 11, ticket_id: 5, last_seq: 1 })
    sockets[1].push({ type: 'welcome', conversation_id: 12, ticket_id: 6, last_seq: 3 })
    expect(sockets[1].sent).toEqual([
      { type: 'message', client_id: id, body: '您好', conversation_id: 12 },
      { type: 'hello', conversation_id: 11, last_seq: 1 },
      { type: 'hello', conversation_id: 12, last_seq: 2 },
    ])
    chat.forget('11')
    expect(chat.lastSeq('11')).toBe(0)
  })
})

describe('newClientId', () => {
  it('makes distinct UUID-shaped ids, also without crypto.randomUUID', () => {
    const a = newClientId()
    const b = newClientId()
    expect(a).not.toBe(b)
    expect(a).toMatch(/^[0-9a-f-]{36}$/)
    const saved = globalThis.crypto
    Object.defineProperty(globalThis, 'crypto', { value: undefined, configurable: true })
    try {
      const c = newClientId()
      expect(c).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/)
      expect(c.length).toBeLessThanOrEqual(64)
    } finally {
      Object.defineProperty(globalThis, 'crypto', { value: saved, configurable: true })
    }
  })
})
