// Presentation helpers for SLA (服务时效): business durations in words, clock colours, target units.
import type { ClockState } from '@/api/types'

type T = (key: string, named?: Record<string, unknown>) => string
type TagType = 'primary' | 'success' | 'info' | 'warning' | 'danger'

/**
 * A duration in words, at most two units: "45 秒", "12 分钟", "2 小时 5 分钟", "3 天 4 小时".
 * Rounded down, so "剩余 12 分钟" never promises more than is left.
 */
export function formatDuration(t: T, secs: number | null | undefined): string {
  if (secs === null || secs === undefined || !Number.isFinite(secs)) return '—'
  const s = Math.floor(Math.abs(secs))
  if (s < 60) return t('sla.duration.s', { n: s })
  if (s < 3600) return t('sla.duration.m', { n: Math.floor(s / 60) })
  if (s < 86400) {
    const h = Math.floor(s / 3600)
    const m = Math.floor((s % 3600) / 60)
    return m ? `${t('sla.duration.h', { n: h })} ${t('sla.duration.m', { n: m })}` : t('sla.duration.h', { n: h })
  }
  const d = Math.floor(s / 86400)
  const h = Math.floor((s % 86400) / 3600)
  return h ? `${t('sla.duration.d', { n: d })} ${t('sla.duration.h', { n: h })}` : t('sla.duration.d', { n: d })
}

/** A target in words, exact when it is a whole number of hours or minutes ("30 秒", "3 分钟", "48 小时"). */
export function formatTarget(t: T, secs: number | null | undefined, days = false): string {
  if (secs === null || secs === undefined) return '—'
  // "7 天" reads better than "168 小时"; 24 and 48 hours stay hours, as regulations say them.
  if (days && secs >= 72 * 3600 && secs % 86400 === 0) return t('sla.duration.d', { n: secs / 86400 })
  const { value, unit } = splitTarget(secs)
  return t(`sla.duration.${unit}`, { n: value })
}

export type TargetUnit = 's' | 'm' | 'h'
export const TARGET_UNITS: TargetUnit[] = ['s', 'm', 'h']
const UNIT_SECS: Record<TargetUnit, number> = { s: 1, m: 60, h: 3600 }

/** The largest unit that states a target exactly (for the edit form). */
export function splitTarget(secs: number): { value: number; unit: TargetUnit } {
  if (secs >= 3600 && secs % 3600 === 0) return { value: secs / 3600, unit: 'h' }
  if (secs >= 60 && secs % 60 === 0) return { value: secs / 60, unit: 'm' }
  return { value: secs, unit: 's' }
}

export function joinTarget(value: number | null | undefined, unit: TargetUnit): number | null {
  if (value === null || value === undefined || !Number.isFinite(value)) return null
  return Math.round(value * UNIT_SECS[unit])
}

export function clockTagType(state: ClockState | string): TagType {
  switch (state) {
    case 'running':
      return 'primary'
    case 'paused':
      return 'info'
    case 'overdue':
      return 'danger'
    case 'met':
      return 'success'
    case 'missed':
      return 'warning'
    default:
      return 'info'
  }
}

/** "0.953" → "95.3%"; null → "—". */
export function percent(v: number | null | undefined, digits = 1): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—'
  return `${(v * 100).toFixed(digits).replace(/\.0+$/, '')}%`
}

/** A weekly window "09:00-12:00" (the server's format; 24:00 ends a day). */
export const WINDOW_RE = /^([01]\d|2[0-3]):[0-5]\d-(([01]\d|2[0-3]):[0-5]\d|24:00)$/

/** How urgent a clock looks: ok, amber once its warning point (75 %) has passed, red once it is late. */
export type ClockTone = 'ok' | 'amber' | 'red' | 'done' | 'paused'

/**
 * The tone of a clock at `now` (ms). A running clock turns amber at `warn_at` (or when the server has
 * warned) and red at `due_at`, by the wall clock, so the colour changes on time between reloads of the
 * business-time figures. Stopped clocks keep their outcome: a missed target stays red.
 */
export function clockTone(
  c: { state: ClockState | string; due_at: string | number | null; warn_at: string | number | null; warned: boolean },
  now: number,
): ClockTone {
  const at = (v: string | number | null) => (v === null || v === '' ? NaN : new Date(v).getTime())
  switch (c.state) {
    case 'met':
      return 'done'
    case 'missed':
    case 'overdue':
      return 'red'
    case 'paused':
      return 'paused'
  }
  const due = at(c.due_at)
  if (Number.isFinite(due) && now >= due) return 'red'
  const warn = at(c.warn_at)
  if (c.warned || (Number.isFinite(warn) && now >= warn)) return 'amber'
  return 'ok'
}
