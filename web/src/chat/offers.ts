// Offers of chats (派发待接入): when the router offers this agent a chat, a prompt with 接受 / 拒绝 appears
// wherever they are in the app, fed by the shared notifications long poll (stores/notifications.ts).
// Accepting makes the chat theirs; declining (or letting it lapse) hands it to the next agent.
import { h } from 'vue'
import { ElButton, ElMessage, ElMessageBox, ElNotification } from 'element-plus'
import type { NotificationHandle } from 'element-plus'
import { http } from '@/api/client'
import { markRead, onNotifications, startNotifications, type Note } from '@/stores/notifications'
import { announce } from './notify'

/** Texts in the user's language. */
export interface OfferTexts {
  title: string
  accept: string
  decline: string
  declineReason: string
  accepted: string
  lapsed: string
}

/** Offers older than this are not shown (they have lapsed). */
const FRESH_MS = 10 * 60_000

let unsubscribe: (() => void) | null = null
let shown = new Map<number, NotificationHandle>()

/** Start watching for offers; `open` shows the accepted chat. */
export function startOfferWatch(texts: OfferTexts, open: (ticketId: number) => void): void {
  if (unsubscribe) return
  // Offers still pending when the app starts are shown too (they come as the initial list).
  unsubscribe = onNotifications(
    (notes) => {
      for (const n of notes) {
        const age = Date.now() - Date.parse(n.created_at)
        if (n.kind === 'offered' && !n.read && age < FRESH_MS && !shown.has(n.id)) prompt(n, texts, open)
      }
    },
    { replay: true },
  )
  void startNotifications()
}

export function stopOfferWatch(): void {
  unsubscribe?.()
  unsubscribe = null
  for (const n of shown.values()) n.close()
  shown = new Map()
}

function prompt(n: Note, texts: OfferTexts, open: (ticketId: number) => void): void {
  announce(texts.title, n.body)
  const done = () => {
    shown.get(n.id)?.close()
    shown.delete(n.id)
    markRead(n.id).catch(() => {})
  }
  const accept = async () => {
    try {
      await http.post(`/tickets/${n.ticket_id}/accept`, {})
      ElMessage.success(texts.accepted)
      open(n.ticket_id)
    } catch (e) {
      ElMessage.warning((e as Error)?.message || texts.lapsed)
    }
    done()
  }
  const decline = async () => {
    try {
      const { value } = await ElMessageBox.prompt(texts.declineReason, texts.decline, {
        inputValidator: (v: string) => (v ?? '').trim().length > 0,
      })
      await http.post(`/tickets/${n.ticket_id}/decline`, { reason: value.trim() })
    } catch {
      return
    }
    done()
  }
  const handle = ElNotification({
    title: texts.title,
    duration: 0,
    customClass: 'offer-prompt',
    message: h('div', [
      h('div', { style: 'margin-bottom:8px' }, n.body),
      h(ElButton, { type: 'primary', size: 'small', class: 'offer-accept', onClick: accept }, () => texts.accept),
      h(ElButton, { size: 'small', class: 'offer-decline', onClick: decline }, () => texts.decline),
    ]),
  })
  shown.set(n.id, handle)
}
