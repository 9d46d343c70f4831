import { describe, expect, it } from 'vitest'
import { NotificationPoll, backoffDelay, type Note } from './notificationPoll'

const note = (id: number, kind = 'assigned'): Note => ({
  id,
  ticket_id: 100 + id,
  kind,
  body: `工单 KF${id} 分配给你`,
  created_at: '2026-03-02T08:00:00Z',
  read: false,
})

type Step = Note[] | Error

/** A scripted server: each request takes the next step; past the script, requests hang until aborted. */
function fakeServer(steps: Step[], clock = { t: 0 }, answerAfterMs = 25_000) {
  const requests: number[] = []
  const sleeps: number[] = []
  let lastSignal: AbortSignal | null = null
  const deps = {
    wait(since: number, _waitSecs: number, signal: AbortSignal): Promise<Note[]> {
      requests.push(since)
      lastSignal = signal
      const step = steps.shift()
      if (step === undefined) {
        return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))))
      }
      clock.t += step instanceof Error ? 10 : answerAfterMs
      return step instanceof Error ? Promise.reject(step) : Promise.resolve(step)
    },
    sleep(ms: number): Promise<void> {
      sleeps.push(ms)
      clock.t += ms
      return Promise.resolve()
    },
    now: () => clock.t,
    random: () => 1,
  }
  return { deps, requests, sleeps, signal: () => lastSignal }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 0))
}

describe('the shared notifications long poll', () => {
  it('asks for what is newer than the newest it has, and hands each new one over once, oldest first', async () => {
    const server = fakeServer([[note(3), note(2)], [], [note(5)]])
    const poll = new NotificationPoll(server.deps)
    const heard: number[][] = []
    poll.subscribe((ns) => heard.push(ns.map((n) => n.id)))
    poll.start()
    poll.start() // a second start does not open a second loop
    await settle()
    expect(server.requests).toEqual([0, 3, 3, 5])
    expect(heard).toEqual([[2, 3], [5]])
    expect(poll.since).toBe(5)
    poll.stop()
  })

  it('starts after what the first list already showed, and never repeats a notification', async () => {
    const server = fakeServer([[note(7), note(8)], [note(8), note(9)]])
    const poll = new NotificationPoll(server.deps)
    expect(poll.accept([note(6), note(7)]).map((n) => n.id)).toEqual([6, 7])
    const heard: number[] = []
    poll.subscribe((ns) => heard.push(...ns.map((n) => n.id)))
    poll.start()
    await settle()
    expect(server.requests[0]).toBe(7)
    expect(heard).toEqual([8, 9])
    poll.stop()
  })

  it('backs off exponentially on errors, up to the cap, and starts over after a success', async () => {
    const fail = () => new Error('HTTP 502')
    const server = fakeServer([fail(), fail(), fail(), fail(), fail(), fail(), [note(1)], fail()])
    const poll = new NotificationPoll(server.deps, { baseDelayMs: 1000, maxDelayMs: 8000 })
    poll.start()
    await settle()
    expect(server.sleeps).toEqual([1000, 2000, 4000, 8000, 8000, 8000, 1000])
    expect(server.requests).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 1])
    expect(poll.failures).toBe(1)
    poll.stop()
    expect(poll.failures).toBe(0)
  })

  it('jitters the delay between half and all of it', () => {
    expect(backoffDelay(1, 1000, 30_000, () => 0)).toBe(500)
    expect(backoffDelay(3, 1000, 30_000, () => 1)).toBe(4000)
    expect(backoffDelay(20, 1000, 30_000, () => 0.5)).toBe(22_500)
  })

  it('waits a moment after an empty answer that came back at once, not after a held one', async () => {
    const clock = { t: 0 }
    const quick = fakeServer([[], []], clock, 5)
    const poll = new NotificationPoll(quick.deps, { minGapMs: 1000 })
    poll.start()
    await settle()
    expect(quick.sleeps).toEqual([1000, 1000])
    poll.stop()

    const held = fakeServer([[], []], { t: 0 }, 25_000)
    const poll2 = new NotificationPoll(held.deps, { minGapMs: 1000 })
    poll2.start()
    await settle()
    expect(held.sleeps).toEqual([])
    poll2.stop()
  })

  it('stops: the waiting request is abandoned and no further one is made', async () => {
    const server = fakeServer([[note(1)]])
    const poll = new NotificationPoll(server.deps)
    const heard: number[] = []
    poll.subscribe((ns) => heard.push(...ns.map((n) => n.id)))
    poll.start()
    await settle()
    expect(server.requests).toEqual([0, 1])
    poll.stop()
    expect(server.signal()?.aborted).toBe(true)
    expect(poll.running).toBe(false)
    await settle()
    expect(server.requests).toEqual([0, 1])
    expect(heard).toEqual([1])
  })

  it('keeps going when a listener throws', async () => {
    const server = fakeServer([[note(1)], [note(2)]])
    const poll = new NotificationPoll(server.deps)
    const heard: number[] = []
    poll.subscribe(() => {
      throw new Error('broken listener')
    })
    poll.subscribe((ns) => heard.push(...ns.map((n) => n.id)))
    poll.start()
    await settle()
    expect(heard).toEqual([1, 2])
    poll.stop()
  })
})
