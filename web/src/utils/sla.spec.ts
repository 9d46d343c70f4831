import { describe, expect, it } from 'vitest'
import { clockTone, formatDuration } from './sla'

const t = (key: string, named?: Record<string, unknown>) => `${named?.n}${key.split('.').pop()}`
const clock = (state: string, warn: string | null, due: string | null, warned = false) => ({ state, warn_at: warn, due_at: due, warned })
const at = (s: string) => new Date(s).getTime()

describe('SLA countdown tone', () => {
  const running = clock('running', '2026-12-03T10:45:00+08:00', '2026-12-03T11:00:00+08:00')

  it('stays calm before the warning point, turns amber at it and red at the due time', () => {
    expect(clockTone(running, at('2026-12-03T10:44:59+08:00'))).toBe('ok')
    expect(clockTone(running, at('2026-12-03T10:45:00+08:00'))).toBe('amber')
    expect(clockTone(running, at('2026-12-03T10:59:59+08:00'))).toBe('amber')
    expect(clockTone(running, at('2026-12-03T11:00:00+08:00'))).toBe('red')
  })

  it('believes the server: warned is amber, overdue and missed are red whatever the local clock says', () => {
    expect(clockTone(clock('running', null, '2026-12-03T11:00:00+08:00', true), at('2026-12-03T09:00:00+08:00'))).toBe('amber')
    expect(clockTone(clock('overdue', null, null), 0)).toBe('red')
    expect(clockTone(clock('missed', null, null), 0)).toBe('red')
    expect(clockTone(clock('met', null, null), at('2030-01-01T00:00:00Z'))).toBe('done')
  })

  it('does not count down a paused clock, nor one without a due time', () => {
    expect(clockTone(clock('paused', '2026-12-03T10:45:00+08:00', null), at('2026-12-04T00:00:00+08:00'))).toBe('paused')
    expect(clockTone(clock('running', null, null), at('2026-12-04T00:00:00+08:00'))).toBe('ok')
  })
})

describe('business durations in words', () => {
  it('rounds down and shows at most two units', () => {
    expect(formatDuration(t, 59.9)).toBe('59s')
    expect(formatDuration(t, 3599)).toBe('59m')
    expect(formatDuration(t, 2 * 3600 + 5 * 60 + 59)).toBe('2h 5m')
    expect(formatDuration(t, 3 * 86400 + 4 * 3600 + 59 * 60)).toBe('3d 4h')
    expect(formatDuration(t, -90)).toBe('1m')
    expect(formatDuration(t, null)).toBe('—')
  })
})
