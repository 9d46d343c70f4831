// Messages the customer wrote that the server has not acked yet, kept per widget key in localStorage so
// a reload (or a closed tab) sends them again with the same client_id — the server stores each once.
import type { ChatAttachment } from './socket'

export interface PendingMessage {
  client_id: string
  body: string
  attachment_id?: number | string
  attachment?: ChatAttachment
}

const key = (widgetKey: string) => `kefu.chat.pending.${widgetKey}`
/** Older than this, an unsent message is dropped rather than sent out of the blue. */
const MAX_PENDING = 20

export function loadPending(widgetKey: string, storage: Pick<Storage, 'getItem'> | null = safeStorage()): PendingMessage[] {
  try {
    const raw = storage?.getItem(key(widgetKey))
    const list = raw ? (JSON.parse(raw) as unknown) : []
    if (!Array.isArray(list)) return []
    return list
      .filter((p): p is PendingMessage => !!p && typeof p.client_id === 'string' && typeof p.body === 'string' && p.body.length > 0)
      .slice(-MAX_PENDING)
  } catch {
    return []
  }
}

export function savePending(widgetKey: string, list: PendingMessage[], storage: Pick<Storage, 'setItem' | 'removeItem'> | null = safeStorage()): void {
  try {
    if (!list.length) storage?.removeItem(key(widgetKey))
    else storage?.setItem(key(widgetKey), JSON.stringify(list.slice(-MAX_PENDING)))
  } catch {
    /* storage full or unavailable: only this page's memory keeps them */
  }
}

function safeStorage(): Storage | null {
  try {
    return globalThis.localStorage ?? null
  } catch {
    return null
  }
}
