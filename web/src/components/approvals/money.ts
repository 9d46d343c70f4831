// Money as the authority limits need it: 元 typed by a person ↔ integer fen (分) on the wire, exactly. Parsing
// works on the digits of the text, never through floating point, so "0.29" is 29 fen and not 28.999….
import type { Limit } from '@/api/approvals'

/** The largest amount the server accepts: 1 亿元 in fen. */
export const MAX_FEN = 10_000_000_000

/**
 * Parse an amount in 元 ("12", "12.3", "12.34", "¥1,200.50") into fen. Returns null for anything that is not a
 * plain non-negative amount with at most two decimals, or that exceeds `MAX_FEN`.
 */
export function parseYuan(text: string): number | null {
  const s = text.trim().replace(/^[¥￥]/, '').replace(/,/g, '').trim()
  const m = /^(\d{1,9})(?:\.(\d{0,2}))?$/.exec(s)
  if (!m) return null
  const fen = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'))
  return fen <= MAX_FEN ? fen : null
}

/** Fen as a plain 元 amount for an input field: 1234 → "12.34", 1200 → "12". */
export function fenToInput(fen: number): string {
  const a = Math.trunc(Math.abs(fen))
  const cents = a % 100
  return `${Math.floor(a / 100)}${cents ? '.' + String(cents).padStart(2, '0') : ''}`
}

/** Whether a limit covers an amount (exactly at the limit is within it). */
export function covers(limit: Limit | null | undefined, fen: number): boolean {
  if (!limit) return false
  return limit.type === 'unlimited' || fen <= limit.fen
}
