// The one long poll of GET /api/v1/notifications/wait in the browser: every part of the app that needs
// to hear of new notifications (the bell, the chat offer prompt) subscribes here, so a tab holds a
// single waiting request. Pure logic over injected I/O (request, sleep, clock), unit-tested in
// notificationPoll.spec.ts.

/** A notification as the API answers it. */
export interface Note {
  id: number
  ticket_id: number
  /** assigned, transferred, escalated, department_task, offered, sla_warning, sla_breached */
  kind: string
  body: string
  created_at: string
  read: boolean
}

export interface PollDeps {
  /** One long-poll request: notifications newer than `since`, held by the server up to `waitSecs`. */
  wait(since: number, waitSecs: number, signal: AbortSignal): Promise<Note[]>
  /** Resolve after `ms` (or when `signal` aborts). */
  sleep(ms: number, signal: AbortSignal): Promise<void>
  now?: () => number
  random?: () => number
}

export interface PollOptions {
  /** How long the server may hold a request (the API allows 0–30). */
  waitSecs?: number
  /** First retry delay after a failure; doubles per failure up to `maxDelayMs`. */
  baseDelayMs?: number
  maxDelayMs?: number
  /** An empty answer sooner than this (a proxy cutting the request short) waits before the next one. */
  minGapMs?: number
}

/** The delay before retry number `failures` (1, 2, …): exponential, capped, with jitter (50–100 %). */
export function backoffDelay(failures: number, base = 1000, max = 30_000, random: () => number = Math.random): number {
  const ceiling = Math.min(max, base * 2 ** Math.max(0, failures - 1))
  return Math.round(ceiling * (0.5 + random() / 2))
}

type Listener = (notes: Note[]) => void

/** How many ids to remember for dedupe; older ones are below `since` anyway. */
const SEEN_LIMIT = 500

export class NotificationPoll {
  /** The newest notification id known; the next request asks only for newer ones. */
  since = 0
  /** Consecutive failed requests (0 after a success). */
  failures = 0
  private seen = new Set<number>()
  private listeners = new Set<Listener>()
  private controller: AbortController | null = null
  private readonly opts: Required<PollOptions>

  constructor(
    private readonly deps: PollDeps,
    opts: PollOptions = {},
  ) {
    this.opts = { waitSecs: 25, baseDelayMs: 1000, maxDelayMs: 30_000, minGapMs: 1000, ...opts }
  }

  get running(): boolean {
    return this.controller !== null
  }

  /** Hear of new notifications (oldest first, each once). Returns the unsubscribe function. */
  subscribe(fn: Listener): () => void {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }

  /**
   * Take in notifications from any source (the initial list, a poll answer): advances `since` and
   * answers those not seen before, oldest first.
   */
  accept(notes: Note[]): Note[] {
    const fresh: Note[] = []
    for (const n of [...notes].sort((a, b) => a.id - b.id)) {
      this.since = Math.max(this.since, n.id)
      if (this.seen.has(n.id)) continue
      this.seen.add(n.id)
      fresh.push(n)
    }
    if (this.seen.size > SEEN_LIMIT) {
      const keep = [...this.seen].sort((a, b) => b - a).slice(0, SEEN_LIMIT)
      this.seen = new Set(keep)
    }
    return fresh
  }

  /** Start the loop (once; a second call while running does nothing). */
  start(): void {
    if (this.controller) return
    const controller = new AbortController()
    this.controller = controller
    void this.loop(controller)
  }

  /** Stop the loop and abandon the waiting request. */
  stop(): void {
    this.controller?.abort()
    this.controller = null
    this.failures = 0
  }

  /** Forget everything (a new session). */
  reset(): void {
    this.stop()
    this.since = 0
    this.seen = new Set()
  }

  private emit(notes: Note[]): void {
    for (const fn of [...this.listeners]) {
      try {
        fn(notes)
      } catch {
        /* one listener's failure does not stop the others or the loop */
      }
    }
  }

  private async loop(controller: AbortController): Promise<void> {
    const { signal } = controller
    const now = this.deps.now ?? Date.now
    while (!signal.aborted) {
      const started = now()
      try {
        const answer = await this.deps.wait(this.since, this.opts.waitSecs, signal)
        if (signal.aborted) return
        this.failures = 0
        const fresh = this.accept(answer)
        if (fresh.length) this.emit(fresh)
        else if (now() - started < this.opts.minGapMs) await this.deps.sleep(this.opts.minGapMs, signal)
      } catch {
        if (signal.aborted) return
        this.failures += 1
        const delay = backoffDelay(this.failures, this.opts.baseDelayMs, this.opts.maxDelayMs, this.deps.random)
        await this.deps.sleep(delay, signal).catch(() => {})
      }
    }
  }
}
