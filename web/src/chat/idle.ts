// Idle detection: seconds since the user last used keyboard, mouse or touch in kefu, sent with the
// heartbeat; the server sets an online agent away (空闲) past its configured limit.
let last = Date.now()
let started = false

function touch(): void {
  last = Date.now()
}

export function startIdleWatch(): void {
  if (started) return
  started = true
  for (const ev of ['keydown', 'pointerdown', 'pointermove', 'wheel', 'touchstart']) {
    window.addEventListener(ev, touch, { passive: true, capture: true })
  }
}

/** Whole seconds since the last activity. */
export function idleSeconds(now: number = Date.now()): number {
  return Math.max(0, Math.floor((now - last) / 1000))
}

/** For tests: pretend the last activity was at `at`. */
export function setLastActivity(at: number): void {
  last = at
}
