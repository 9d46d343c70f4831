// Notifications (通知) of the signed-in user: the list and unread count behind the bell in the shell,
// kept current by the one shared long poll (notificationPoll.ts). The chat offer prompt (chat/offers.ts)
// listens here too instead of polling on its own.
import { computed, ref } from 'vue'
import { http } from '@/api/client'
import type { Page } from '@/api/types'
import { NotificationPoll, type Note } from './notificationPoll'

export type { Note } from './notificationPoll'

/** How many of the newest notifications the bell keeps. */
const KEEP = 50

const items = ref<Note[]>([])
const unread = ref(0)
/** More unread ones exist than were counted (the count shows as "99+"). */
const unreadMore = ref(false)
const loaded = ref(false)
const loadError = ref<unknown>(null)

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => {
      clearTimeout(timer)
      resolve()
    })
  })
}

const poll = new NotificationPoll({
  wait: (since, waitSecs, signal) => http.get<Note[]>('/notifications/wait', { since, wait_secs: waitSecs }, { signal }),
  sleep,
})

type Listener = (notes: Note[], initial: boolean) => void
const listeners = new Set<Listener>()

function emit(notes: Note[], initial: boolean): void {
  for (const fn of [...listeners]) {
    try {
      fn(notes, initial)
    } catch {
      /* a listener's failure is its own */
    }
  }
}

poll.subscribe((fresh) => {
  // Newest first in the list; a new unread one adds to the count.
  items.value = [...[...fresh].reverse(), ...items.value].slice(0, KEEP)
  unread.value += fresh.filter((n) => !n.read).length
  emit(fresh, false)
})

let starting: Promise<void> | null = null
/** Bumped by every stop, so a load that finishes after a stop changes nothing. */
let generation = 0

/** Load the list and start the long poll (once, however often it is called). */
export function startNotifications(): Promise<void> {
  return (starting ??= (async () => {
    const gen = generation
    try {
      const [page, unreadPage] = await Promise.all([
        http.get<Page<Note>>('/notifications', { limit: KEEP }),
        http.get<Page<Note>>('/notifications', { unread: true, limit: 100 }),
      ])
      if (gen !== generation) return
      loadError.value = null
      items.value = page.items
      unread.value = unreadPage.items.length
      unreadMore.value = !!unreadPage.next_cursor
      // What is already there is not news: the poll starts after it.
      poll.accept([...page.items, ...unreadPage.items])
      loaded.value = true
      emit([...page.items].reverse(), true)
    } catch (e) {
      // The poll still runs: new notifications arrive even when the first list failed.
      if (gen !== generation) return
      loadError.value = e
    }
    poll.start()
  })())
}

/** Stop polling and forget the user's notifications (logout, leaving the shell). */
export function stopNotifications(): void {
  generation += 1
  starting = null
  poll.reset()
  items.value = []
  unread.value = 0
  unreadMore.value = false
  loaded.value = false
}

/**
 * Hear of notifications: `initial` for those already there when the app started, then each new one
 * once. With `replay`, the ones already loaded are handed over at once (as initial).
 */
export function onNotifications(fn: Listener, opts: { replay?: boolean } = {}): () => void {
  listeners.add(fn)
  if (opts.replay && loaded.value && items.value.length) fn([...items.value].reverse(), true)
  return () => listeners.delete(fn)
}

function setRead(id: number): boolean {
  const n = items.value.find((x) => x.id === id)
  if (!n || n.read) return !n
  items.value = items.value.map((x) => (x.id === id ? { ...x, read: true } : x))
  return true
}

/** Mark one read (on the server, then here). */
export async function markRead(id: number): Promise<void> {
  await http.post(`/notifications/${id}/read`)
  if (setRead(id)) unread.value = Math.max(0, unread.value - 1)
}

/** 全部已读. */
export async function markAllRead(): Promise<void> {
  await http.post<{ marked: number }>('/notifications/read-all')
  items.value = items.value.map((x) => (x.read ? x : { ...x, read: true }))
  unread.value = 0
  unreadMore.value = false
}

export const notificationState = {
  items: computed(() => items.value),
  unread: computed(() => unread.value),
  unreadMore: computed(() => unreadMore.value),
  loaded: computed(() => loaded.value),
  loadError: computed(() => loadError.value),
}
