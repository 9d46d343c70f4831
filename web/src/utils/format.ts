import type { Timestamp } from '@/api/types'

const pad = (n: number, w = 2) => String(n).padStart(w, '0')

/** Parse an API timestamp: RFC 3339 string, or milliseconds since the epoch. */
export function parseTime(ts: Timestamp | null | undefined): Date | null {
  if (ts === null || ts === undefined || ts === '') return null
  const d = typeof ts === 'number' ? new Date(ts) : new Date(ts)
  return Number.isNaN(d.getTime()) ? null : d
}

/** YYYY-MM-DD HH:mm:ss in the browser's time zone (Chinese convention); '—' when absent. */
export function formatTime(ts: Timestamp | null | undefined): string {
  if (ts === null || ts === undefined || ts === '') return '—'
  const d = parseTime(ts)
  if (!d) return String(ts)
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  )
}

export function isFuture(ts: Timestamp | null | undefined): boolean {
  const d = parseTime(ts)
  return !!d && d.getTime() > Date.now()
}

/** Pretty-print a JSON text from the audit log; leave non-JSON text as it is. */
export function prettyJson(text: string | null | undefined): string {
  if (text === null || text === undefined || text === '') return ''
  try {
    return JSON.stringify(JSON.parse(text), null, 2)
  } catch {
    return text
  }
}

/** Top-level keys whose values differ between two JSON object texts. */
export function changedKeys(before: string | null, after: string | null): string[] {
  const parse = (t: string | null): Record<string, unknown> => {
    if (!t) return {}
    try {
      const v = JSON.parse(t)
      return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { value: v }
    } catch {
      return { value: t }
    }
  }
  const a = parse(before)
  const b = parse(after)
  const keys = new Set([...Object.keys(a), ...Object.keys(b)])
  return [...keys].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort()
}

export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text)
      return true
    }
  } catch {
    /* fall through to the textarea trick */
  }
  try {
    const ta = document.createElement('textarea')
    ta.value = text
    ta.setAttribute('readonly', '')
    ta.style.position = 'fixed'
    ta.style.opacity = '0'
    document.body.appendChild(ta)
    ta.select()
    const ok = document.execCommand('copy')
    document.body.removeChild(ta)
    return ok
  } catch {
    return false
  }
}
