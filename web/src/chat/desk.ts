// The agent's live chats (在线咨询) for the workspace: one agent socket (`/api/v1/chat/ws`, the login
// cookie), the conversations of the tickets the agent holds, each with its messages, unread count,
// draft and the customer's typing indicator. Started by the shell for roles that work tickets, so a new
// chat appears (with a chime and a notification) wherever the agent is in the app.
import { computed, reactive } from 'vue'
import { addLocal, applyAck, applyMessage, applyRead, highestSeq, newConversation, unreadCount, type ConversationState } from './model'
import { ChatSocket, type ChatMessageFrame, type ServerFrame, type SocketStatus } from './socket'
import { announce } from './notify'

export interface DeskChat {
  id: string
  ticketId: number | null
  customerId: number | null
  conv: ConversationState
  /** When the chat appeared on this desk (ms). */
  since: number
  draft: string
  /** Ticket number and subject, customer name: filled in after the chat appears. */
  ticketNumber: string
  subject: string
  customerName: string
  /** The chat ended (the customer got the closing message) or the ticket left this agent. */
  ended: boolean
  /** The ticket was transferred away: to whom (empty: back to the queue); null while the chat is ours. */
  releasedTo: string | null
}

interface DeskState {
  chats: DeskChat[]
  active: string
  status: SocketStatus
  /** Chats are being shown (the 在线咨询 screen is open and visible): mark the active one read. */
  viewing: boolean
}

export const desk = reactive<DeskState>({ chats: [], active: '', status: 'idle', viewing: false })
export const totalUnread = computed(() => desk.chats.reduce((n, c) => n + unreadCount(c.conv), 0))

export interface DeskHooks {
  /** Ticket number/subject and customer name of a new chat (the workspace's API client). */
  describe?: (chat: DeskChat) => Promise<void>
  /** Words for the notification of a new chat. */
  newChatText?: (chat: DeskChat) => { title: string; body: string }
}

let socket: ChatSocket | null = null
let myName = ''
let hooks: DeskHooks = {}
/** Welcomes within this long of connecting describe chats the agent already had: no chime. */
const QUIET_AFTER_CONNECT_MS = 3000
let connectedAt = 0

function find(id: string): DeskChat | undefined {
  return desk.chats.find((c) => c.id === id)
}

function agentSocketUrl(): string {
  const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${proto}//${window.location.host}/api/v1/chat/ws`
}

function add(id: string, ticketId: number | null, customerId: number | null, fresh: boolean): DeskChat {
  const chat: DeskChat = {
    id,
    ticketId,
    customerId,
    conv: newConversation(),
    since: Date.now(),
    draft: '',
    ticketNumber: '',
    subject: '',
    customerName: '',
    ended: false,
    releasedTo: null,
  }
  desk.chats.push(chat)
  const added = desk.chats[desk.chats.length - 1]! // the reactive proxy
  if (!desk.active) desk.active = id
  void hooks.describe?.(added).then(() => {
    if (fresh) {
      const words = hooks.newChatText?.(added)
      if (words) announce(words.title, words.body)
    }
  })
  return added
}

function onFrame(f: ServerFrame, key: string) {
  if (!key) return // frames without a conversation (pong, socket-level errors)
  let chat = find(key)
  switch (f.type) {
    case 'welcome': {
      const ticketId = typeof f.ticket_id === 'number' ? f.ticket_id : null
      const customerId = typeof f.customer_id === 'number' ? f.customer_id : null
      if (!chat) chat = add(key, ticketId, customerId, Date.now() - connectedAt > QUIET_AFTER_CONNECT_MS)
      else {
        if (ticketId !== chat.ticketId) {
          // The conversation goes on in another ticket (a new chat after the last one was resolved).
          chat.ticketId = ticketId
          void hooks.describe?.(chat)
        }
        chat.ended = false
        chat.releasedTo = null
      }
      return
    }
    case 'message': {
      if (!chat) {
        // A conversation we closed the tab of speaks again: open it (the socket replays it from the
        // start: after `forget` its next message is a gap).
        chat = add(key, null, null, true)
        socket?.requestWelcomes() // its ticket
      }
      const m = f as ChatMessageFrame
      applyMessage(chat.conv, m, 'agent', myName)
      if (m.from === 'customer') chat.ended = false
      markActiveRead()
      return
    }
    case 'ack':
      if (chat) applyAck(chat.conv, String(f.client_id), Number(f.seq))
      return
    case 'typing':
      if (chat && f.from === 'customer') chat.conv.peerTyping = !!f.on
      return
    case 'read':
      if (chat) applyRead(chat.conv, f.from as 'customer', Number(f.seq), 'agent')
      return
    case 'closed':
      if (chat) chat.ended = true
      return
    case 'released':
      // Transferred to a colleague (or back to the queue): the tab stays readable but takes no reply.
      if (chat) {
        chat.ended = true
        chat.releasedTo = typeof f.to === 'string' ? f.to : ''
        chat.conv.peerTyping = false
      }
      return
  }
}

/** Connect the agent socket (idempotent). `name` is the agent's display name (how their messages are signed). */
export function startDesk(name: string, h: DeskHooks = {}): void {
  myName = name
  hooks = h
  if (socket) return
  socket = new ChatSocket({
    url: agentSocketUrl,
    multi: true,
    onFrame,
    onStatus: (s) => {
      desk.status = s
      if (s === 'open') connectedAt = Date.now()
    },
  })
  socket.start()
}

/** Disconnect and forget every chat (logout). */
export function stopDesk(): void {
  socket?.stop()
  socket = null
  desk.chats.splice(0)
  desk.active = ''
  desk.status = 'idle'
}

export function sendChat(id: string, body: string): boolean {
  const chat = find(id)
  const text = body.trim()
  if (!chat || !socket || !text) return false
  const clientId = socket.send(text, { conversation: id })
  addLocal(chat.conv, { clientId, from: 'agent', author: myName, body: text })
  return true
}

export function typingIn(id: string, text: string): void {
  if (!socket) return
  if (text.trim()) socket.typing(id)
  else socket.stopTyping(id)
}

/** The active chat is on screen: everything in it is read. */
export function markActiveRead(): void {
  if (!desk.viewing || typeof document === 'undefined' || document.visibilityState !== 'visible') return
  const chat = find(desk.active)
  if (!chat) return
  const seq = highestSeq(chat.conv)
  if (seq > chat.conv.readSeq) {
    chat.conv.readSeq = seq
    socket?.markRead(seq, chat.id)
  }
}

export function closeChat(id: string): void {
  const i = desk.chats.findIndex((c) => c.id === id)
  if (i < 0) return
  desk.chats.splice(i, 1)
  socket?.forget(id)
  if (desk.active === id) desk.active = desk.chats[Math.min(i, desk.chats.length - 1)]?.id ?? ''
}

export function reconnectDesk(): void {
  socket?.reconnectNow()
}
