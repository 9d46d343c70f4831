// Presentation helpers for tickets: tag colours, the search snippet, file sizes.
import type { Priority, Tier, TicketStatus } from '@/api/types'

type TagType = 'primary' | 'success' | 'info' | 'warning' | 'danger'

export function statusTagType(s: TicketStatus | string): TagType {
  switch (s) {
    case 'new':
      return 'danger'
    case 'open':
      return 'primary'
    case 'pending_customer':
      return 'warning'
    case 'on_hold':
      return 'warning'
    case 'resolved':
      return 'success'
    default:
      return 'info'
  }
}

export function priorityTagType(p: Priority | string): TagType {
  switch (p) {
    case 'urgent':
      return 'danger'
    case 'high':
      return 'warning'
    case 'normal':
      return 'primary'
    default:
      return 'info'
  }
}

export function tierTagType(t: Tier | string): TagType {
  switch (t) {
    case 'l3':
      return 'danger'
    case 'l2':
      return 'warning'
    default:
      return 'info'
  }
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string)
}

/**
 * The search snippet as HTML: everything escaped, then each 【match】 becomes <mark>match</mark>.
 * The brackets are matched on the escaped text, so nothing the customer wrote can become markup.
 */
export function snippetHtml(snippet: string | null | undefined): string {
  if (!snippet) return ''
  return escapeHtml(snippet).replace(/【([^【】]*)】/g, '<mark>$1</mark>')
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

/** Split a comma/space/newline separated list typed by a user into clean items. */
export function splitList(text: string): string[] {
  return text
    .split(/[,，;；\s]+/)
    .map((s) => s.trim())
    .filter(Boolean)
}
