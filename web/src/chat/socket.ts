// The reconnecting chat socket (docs/CHAT_PROTOCOL.md), shared by the customer chat page and the agent
// workspace. It owns the connection, not the screen: it reconnects with exponential backoff, says
// `hello{last_seq}` after every (re)connect so the server replays what was missed, keeps outgoing messages
// (each with its client_id) until the server acks them and sends them again after a reconnect, drops
// incoming messages it has already seen (by seq), debounces the typing indicator and sends read receipts.
//
// One class serves both sides: on the customer socket there is one conversation (the server names it in
// `welcome`); on the agent socket every frame carries `conversation_id`. State is kept per conversation
// key ('' for the customer's single conversation).

/** The part of the browser's WebSocket this client uses (a fake in unit tests). */
export interface SocketLike {
  readonly readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  onopen: ((ev: unknown) => void) | null
  onmessage: ((ev: { data: unknown }) => void) | null
  onclose: ((ev: { code: number; reason?: string }) => void) | null
  onerror: ((ev: unknown) => void) | null
}

export type SocketFactory = (url: string) => SocketLike

export const OPEN = 1

export type ChatFrom = 'customer' | 'agent' | 'system'

export interface ChatAttachment {
  id?: number | string
  name?: string
  file_name?: string
  content_type?: string
  size?: number
  url?: string
}

/** Frames the server sends (the union of the protocol's table; unknown fields are kept). */
export type ServerFrame =
  | { type: 'welcome'; conversation_id: number | string; ticket_id?: number | null; last_seq: number; queue_position?: number | null; [k: string]: unknown }
  | { type: 'ack'; client_id: string; seq: number; conversation_id?: number | string }
  | {
      type: 'message'
      seq: number
      from: ChatFrom
      author?: string | null
      body: string
      client_id?: string | null
      at: string
      attachment?: ChatAttachment | null
      conversation_id?: number | string
      [k: string]: unknown
    }
  | { type: 'typing'; from: ChatFrom; on: boolean; conversation_id?: number | string }
  | { type: 'read'; from: ChatFrom; seq: number; conversation_id?: number | string }
  | { type: 'queue'; position: number; conversation_id?: number | string }
  | { type: 'assigned'; agent: string; conversation_id?: number | string; [k: string]: unknown }
  | { type: 'closed'; reason?: string; rating_url?: string | null; conversation_id?: number | string; [k: string]: unknown }
  | { type: 'error'; code: string; message: string; conversation_id?: number | string }
  /** Agent sockets: the chat's ticket went to someone else (`to`: their name, null back to the queue). */
  | { type: 'released'; to?: string | null; conversation_id?: number | string }
  | { type: 'pong'; conversation_id?: number | string }
  | { type: string; conversation_id?: number | string; [k: string]: unknown }

export type ChatMessageFrame = Extract<ServerFrame, { type: 'message'; seq: number }>

export interface Outgoing {
  client_id: string
  body: string
  attachment_id?: number | string
  /** The agent socket names the conversation; '' on the customer socket. */
  conversation: string
}

export type SocketStatus = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed'

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(id: unknown): void
  now(): number
}

export interface ChatSocketOptions {
  /** The URL to connect to; called before every attempt (a session may have to be made first). */
  url: () => string | Promise<string>
  factory?: SocketFactory
  /** Agent socket: frames carry conversation_id and hello is sent per conversation. */
  multi?: boolean
  /** First reconnect delay (ms), doubled each failed attempt up to maxDelayMs; ±jitter share. */
  baseDelayMs?: number
  maxDelayMs?: number
  jitter?: number
  /** Keep-alive ping interval, and how long without any frame before the socket is presumed dead. */
  pingMs?: number
  deadAfterMs?: number
  /** The typing indicator goes off after this long without keystrokes. */
  typingIdleMs?: number
  timers?: Timers
  random?: () => number
  /** Every frame worth showing (duplicates of already seen messages are dropped before this). */
  onFrame?: (frame: ServerFrame, conversation: string) => void
  onStatus?: (status: SocketStatus) => void
  /** Our message is durable: its client_id, seq. */
  onAck?: (clientId: string, seq: number, conversation: string) => void
  /** A close the client must not retry (e.g. the session is gone): return true to stop reconnecting. */
  isFatal?: (code: number, reason: string) => boolean
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (id) => globalThis.clearTimeout(id as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
}

/** A client id for a message: crypto.randomUUID where available (secure contexts), else a random fallback. */
export function newClientId(random: () => number = Math.random): string {
  const c = (globalThis as { crypto?: Crypto }).crypto
  if (c && typeof c.randomUUID === 'function') {
    try {
      return c.randomUUID()
    } catch {
      /* not a secure context: fall through */
    }
  }
  let s = ''
  for (let i = 0; i < 32; i++) s += Math.floor(random() * 16).toString(16)
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-4${s.slice(13, 16)}-${s.slice(16, 20)}-${s.slice(20, 32)}`
}

/** The delay before reconnect attempt `attempt` (0-based): base·2^attempt capped at max, ± jitter. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, jitter: number, random: () => number): number {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30))
  const spread = raw * jitter
  return Math.max(0, Math.round(raw - spread + random() * 2 * spread))
}

interface ConvState {
  lastSeq: number
  /** The highest seq we told the server we read. */
  readSent: number
  /** The highest seq the screen asked to mark read (sent when the socket allows). */
  readWanted: number
  /**
   * A replay is on its way up to this seq (0: none): a hello was sent after the server said it held this
   * much. A message past it with a gap before it means live frames were missed: ask again.
   */
  cover: number
  typingOn: boolean
  typingTimer: unknown
}

export class ChatSocket {
  private readonly o: Required<Omit<ChatSocketOptions, 'onFrame' | 'onStatus' | 'onAck' | 'isFatal' | 'factory'>> &
    Pick<ChatSocketOptions, 'onFrame' | 'onStatus' | 'onAck' | 'isFatal'> & { factory: SocketFactory }
  private ws: SocketLike | null = null
  private attempt = 0
  private retryTimer: unknown = null
  private pingTimer: unknown = null
  private lastFrameAt = 0
  private stopped = true
  private readonly convs = new Map<string, ConvState>()
  private readonly outbox: Outgoing[] = []
  /** Has the server answered hello on the current socket (customer: welcome)? */
  private ready = false
  status: SocketStatus = 'idle'

  constructor(opts: ChatSocketOptions) {
    this.o = {
      multi: false,
      baseDelayMs: 1000,
      maxDelayMs: 30_000,
      jitter: 0.2,
      pingMs: 25_000,
      deadAfterMs: 70_000,
      typingIdleMs: 3000,
      timers: realTimers,
      random: Math.random,
      ...opts,
      factory: opts.factory ?? ((url: string) => new WebSocket(url) as unknown as SocketLike),
    }
  }

  /** Start (or restart after stop) connecting. */
  start(): void {
    if (!this.stopped) return
    this.stopped = false
    this.attempt = 0
    void this.connect()
  }

  /** Close for good (leaving the page, the chat ended); pending messages are kept for a later start. */
  stop(): void {
    this.stopped = true
    this.clearRetry()
    this.clearPing()
    for (const c of this.convs.values()) this.o.timers.clearTimeout(c.typingTimer)
    const ws = this.ws
    this.ws = null
    if (ws) {
      ws.onclose = null
      ws.onmessage = null
      ws.onerror = null
      ws.onopen = null
      try {
        ws.close(1000, 'bye')
      } catch {
        /* already closed */
      }
    }
    this.setStatus('closed')
  }

  /** Reconnect now (the browser came back online, the user clicked 重新连接). */
  reconnectNow(): void {
    if (this.stopped) return
    if (this.ws && this.ws.readyState === OPEN) return
    this.clearRetry()
    this.attempt = 0
    if (!this.ws) void this.connect()
  }

  /** The highest seq seen in a conversation (0 when none). */
  lastSeq(conversation = ''): number {
    return this.convs.get(conversation)?.lastSeq ?? 0
  }

  /** Seed what was already seen (e.g. history fetched over HTTP) so hello does not replay it. */
  seen(conversation: string, seq: number): void {
    const c = this.conv(conversation)
    if (seq > c.lastSeq) c.lastSeq = seq
  }

  /** Agent socket: ask the server for the `welcome` list again (which conversations, which tickets). */
  requestWelcomes(): void {
    if (this.o.multi) this.raw({ type: 'hello', last_seq: 0 })
  }

  /** Forget a conversation (an agent closed its tab); its pending messages are dropped. */
  forget(conversation: string): void {
    const c = this.convs.get(conversation)
    if (c) this.o.timers.clearTimeout(c.typingTimer)
    this.convs.delete(conversation)
    for (let i = this.outbox.length - 1; i >= 0; i--) if (this.outbox[i].conversation === conversation) this.outbox.splice(i, 1)
  }

  /** Messages sent but not yet acked, oldest first. */
  pending(): readonly Outgoing[] {
    return this.outbox
  }

  /** Queue a message; it goes out now when connected, else after the next hello. Returns its client_id. */
  send(body: string, opts: { conversation?: string; attachmentId?: number | string; clientId?: string } = {}): string {
    const conversation = opts.conversation ?? ''
    const out: Outgoing = { client_id: opts.clientId ?? newClientId(this.o.random), body, conversation }
    if (opts.attachmentId !== undefined) out.attachment_id = opts.attachmentId
    this.outbox.push(out)
    this.stopTyping(conversation)
    if (this.ready) this.transmit(out)
    return out.client_id
  }

  /** Call on every keystroke: typing{on:true} once, typing{on:false} after typingIdleMs of quiet. */
  typing(conversation = ''): void {
    const c = this.conv(conversation)
    if (!c.typingOn) {
      c.typingOn = true
      this.frame({ type: 'typing', on: true }, conversation)
    }
    this.o.timers.clearTimeout(c.typingTimer)
    c.typingTimer = this.o.timers.setTimeout(() => this.stopTyping(conversation), this.o.typingIdleMs)
  }

  /** The text box emptied or the message went: typing{on:false} if it was on. */
  stopTyping(conversation = ''): void {
    const c = this.convs.get(conversation)
    if (!c) return
    this.o.timers.clearTimeout(c.typingTimer)
    c.typingTimer = null
    if (c.typingOn) {
      c.typingOn = false
      this.frame({ type: 'typing', on: false }, conversation)
    }
  }

  /** Everything up to `seq` has been shown to the user: send read{seq} (only when it moves forward). */
  markRead(seq: number, conversation = ''): void {
    const c = this.conv(conversation)
    if (seq > c.readWanted) c.readWanted = seq
    this.flushRead(conversation)
  }

  // ---------- internals

  private conv(key: string): ConvState {
    let c = this.convs.get(key)
    if (!c) {
      c = { lastSeq: 0, readSent: 0, readWanted: 0, cover: 0, typingOn: false, typingTimer: null }
      this.convs.set(key, c)
    }
    return c
  }

  private setStatus(s: SocketStatus) {
    if (this.status === s) return
    this.status = s
    this.o.onStatus?.(s)
  }

  private async connect(): Promise<void> {
    if (this.stopped) return
    this.setStatus(this.attempt === 0 ? 'connecting' : 'reconnecting')
    let url: string
    try {
      url = await this.o.url()
    } catch {
      this.scheduleRetry()
      return
    }
    if (this.stopped) return
    let ws: SocketLike
    try {
      ws = this.o.factory(url)
    } catch {
      this.scheduleRetry()
      return
    }
    this.ws = ws
    this.ready = false
    ws.onopen = () => {
      if (this.ws !== ws) return
      this.lastFrameAt = this.o.timers.now()
      this.hello()
      this.schedulePing()
    }
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return
      this.lastFrameAt = this.o.timers.now()
      let frame: ServerFrame
      try {
        frame = JSON.parse(String(ev.data)) as ServerFrame
      } catch {
        return
      }
      if (frame && typeof frame === 'object' && typeof frame.type === 'string') this.receive(frame)
    }
    ws.onerror = () => {
      /* onclose follows */
    }
    ws.onclose = (ev) => {
      if (this.ws !== ws) return
      this.ws = null
      this.ready = false
      this.clearPing()
      for (const c of this.convs.values()) {
        // The server forgets typing with the socket; say it again after reconnecting if still typing.
        c.typingOn = false
        this.o.timers.clearTimeout(c.typingTimer)
      }
      if (this.stopped) return
      if (this.o.isFatal?.(ev.code, ev.reason ?? '')) {
        this.stopped = true
        this.setStatus('closed')
        return
      }
      this.scheduleRetry()
    }
  }

  private hello() {
    if (this.o.multi) {
      // The agent socket: the server announces each held conversation with `welcome` on connect;
      // `receive` answers each with a hello carrying that conversation's last seq.
      this.onReady()
    } else {
      this.raw({ type: 'hello', last_seq: this.conv('').lastSeq })
      // Ready when the server says welcome (it replays before or after; dedupe handles either).
    }
  }

  private onReady() {
    this.ready = true
    this.attempt = 0
    this.setStatus('open')
    for (const out of this.outbox) this.transmit(out)
    for (const key of this.convs.keys()) this.flushRead(key)
  }

  private receive(frame: ServerFrame) {
    const key = this.o.multi && frame.conversation_id !== undefined && frame.conversation_id !== null ? String(frame.conversation_id) : ''
    switch (frame.type) {
      case 'welcome': {
        const c = this.conv(key)
        // The hello (sent on open; on the agent socket, here) replays everything up to what the server holds.
        if (typeof frame.last_seq === 'number' && frame.last_seq > c.cover) c.cover = frame.last_seq
        // Agent socket: a conversation we hold (on connect, or newly assigned): replay what we lack.
        if (this.o.multi && key !== '') this.raw({ type: 'hello', conversation_id: convId(key), last_seq: c.lastSeq })
        this.o.onFrame?.(frame, key)
        if (!this.ready) this.onReady()
        return
      }
      case 'message': {
        const f = frame as ChatMessageFrame
        const c = this.conv(key)
        if (typeof f.seq !== 'number' || f.seq <= c.lastSeq) return // seen already
        if (f.seq > c.lastSeq + 1) {
          // seq is gap-free: something between was missed (a slow socket, another node's lost NOTIFY).
          // Hold this one back; the replay brings the gap and it, in order.
          if (f.seq > c.cover) {
            c.cover = f.seq
            this.frame({ type: 'hello', last_seq: c.lastSeq }, key)
          }
          return
        }
        c.lastSeq = f.seq
        if (f.client_id) this.settle(f.client_id, f.seq, key)
        this.o.onFrame?.(frame, key)
        return
      }
      case 'ack': {
        const f = frame as Extract<ServerFrame, { type: 'ack'; client_id: string }>
        // The server does not echo our message to this socket: its seq counts as seen when it is next.
        const c = this.conv(key)
        if (typeof f.seq === 'number' && f.seq === c.lastSeq + 1) c.lastSeq = f.seq
        this.settle(f.client_id, f.seq, key)
        this.o.onFrame?.(frame, key)
        return
      }
      case 'pong':
        return
      default:
        this.o.onFrame?.(frame, key)
    }
  }

  /** A message of ours is durable: drop it from the outbox (once). */
  private settle(clientId: string, seq: number, key: string) {
    const i = this.outbox.findIndex((o) => o.client_id === clientId && (!this.o.multi || o.conversation === key || key === ''))
    if (i < 0) return
    const [out] = this.outbox.splice(i, 1)
    this.o.onAck?.(clientId, seq, out.conversation)
  }

  private transmit(out: Outgoing) {
    const f: Record<string, unknown> = { type: 'message', client_id: out.client_id, body: out.body }
    if (out.attachment_id !== undefined) f.attachment_id = out.attachment_id
    this.frame(f, out.conversation)
  }

  private flushRead(key: string) {
    const c = this.convs.get(key)
    if (!c || !this.ready || c.readWanted <= c.readSent) return
    if (this.frame({ type: 'read', seq: c.readWanted }, key)) c.readSent = c.readWanted
  }

  /** Send a frame about a conversation (adds conversation_id on the agent socket). */
  private frame(f: Record<string, unknown>, key: string): boolean {
    if (this.o.multi && key !== '') f.conversation_id = convId(key)
    return this.raw(f)
  }

  private raw(f: Record<string, unknown>): boolean {
    const ws = this.ws
    if (!ws || ws.readyState !== OPEN) return false
    try {
      ws.send(JSON.stringify(f))
      return true
    } catch {
      return false
    }
  }

  private scheduleRetry() {
    if (this.stopped) return
    this.clearRetry()
    this.setStatus('reconnecting')
    const delay = backoffDelay(this.attempt, this.o.baseDelayMs, this.o.maxDelayMs, this.o.jitter, this.o.random)
    this.attempt += 1
    this.retryTimer = this.o.timers.setTimeout(() => {
      this.retryTimer = null
      void this.connect()
    }, delay)
  }

  private clearRetry() {
    if (this.retryTimer !== null) this.o.timers.clearTimeout(this.retryTimer)
    this.retryTimer = null
  }

  private schedulePing() {
    this.clearPing()
    this.pingTimer = this.o.timers.setTimeout(() => {
      this.pingTimer = null
      const ws = this.ws
      if (!ws) return
      if (this.o.timers.now() - this.lastFrameAt > this.o.deadAfterMs) {
        // Silent for too long: presume the connection dead and start over.
        this.ws = null
        this.ready = false
        ws.onclose = null
        try {
          ws.close(4000, 'silent')
        } catch {
          /* ignore */
        }
        this.scheduleRetry()
        return
      }
      this.raw({ type: 'ping' })
      this.schedulePing()
    }, this.o.pingMs)
  }

  private clearPing() {
    if (this.pingTimer !== null) this.o.timers.clearTimeout(this.pingTimer)
    this.pingTimer = null
  }
}

/** Conversation keys are strings; ids go back to the server as numbers when they look like numbers. */
function convId(key: string): number | string {
  return /^\d+$/.test(key) ? Number(key) : key
}
