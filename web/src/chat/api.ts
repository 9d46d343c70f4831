// The customer chat page's calls to the public chat API (no login; the session token is the key).
// Kept apart from src/api so the page does not pull the workspace's client.

export interface ChatSessionReply {
  session_token: string
  visitor_id: string
  identified: boolean
  token_error?: string | null
  conversation_id: number | string
  merchant_name: string
  greeting: string
  /** Optional extras the server may add (e.g. whether someone is on duty). */
  [k: string]: unknown
}

export interface UploadedAttachment {
  id: number | string
  file_name?: string
  name?: string
  mime?: string
  content_type?: string
  size?: number
  url?: string
}

export class ChatApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

async function failure(res: Response): Promise<ChatApiError> {
  const text = await res.text().catch(() => '')
  try {
    const e = JSON.parse(text)?.error
    if (e && typeof e.code === 'string') return new ChatApiError(res.status, e.code, String(e.message ?? e.code))
  } catch {
    /* not JSON */
  }
  return new ChatApiError(res.status, res.status === 404 ? 'not_found' : 'error', text.trim() || `HTTP ${res.status}`)
}

export async function createSession(body: {
  widget_key: string
  visitor_id?: string
  customer_token?: string
  name?: string
}): Promise<ChatSessionReply> {
  let res: Response
  try {
    res = await fetch('/api/v1/public/chat/sessions', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    })
  } catch (e) {
    throw new ChatApiError(0, 'network', (e as Error)?.message || 'network error')
  }
  if (!res.ok) throw await failure(res)
  return (await res.json()) as ChatSessionReply
}

/** Upload a file for this chat session; answers the attachment to name in a message. */
export async function uploadAttachment(session: string, file: File): Promise<UploadedAttachment> {
  const q = new URLSearchParams({ session, file_name: file.name })
  let res: Response
  try {
    res = await fetch(`/api/v1/public/chat/attachments?${q}`, {
      method: 'POST',
      headers: { 'content-type': file.type || 'application/octet-stream', accept: 'application/json' },
      body: file,
    })
  } catch (e) {
    throw new ChatApiError(0, 'network', (e as Error)?.message || 'network error')
  }
  if (!res.ok) throw await failure(res)
  return (await res.json()) as UploadedAttachment
}

/** The WebSocket URL of a customer session on this host. */
export function customerSocketUrl(session: string, loc: Location = window.location): string {
  const proto = loc.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${proto}//${loc.host}/api/v1/public/chat/ws?session=${encodeURIComponent(session)}`
}

/** What the survey endpoint answers to a rating. */
export interface RatingReceipt {
  rating_id: number
  score: number
  label: string
  /** A dissatisfied rating: a supervisor handles it again and visits the customer. */
  follow_up: boolean
}

/**
 * Post a rating to the survey link of a resolved chat (`/chat/rate?token=krt_…`): the JSON variant of the
 * survey page's form.
 */
export async function submitRating(
  ratingUrl: string,
  body: { score: number; reasons?: string[]; comment?: string },
  loc: Location = window.location,
): Promise<RatingReceipt> {
  const url = new URL(ratingUrl, loc.href)
  const token = url.searchParams.get('token') ?? ''
  let res: Response
  try {
    res = await fetch(url.pathname, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ token, channel: 'chat', ...body }),
    })
  } catch (e) {
    throw new ChatApiError(0, 'network', (e as Error)?.message || 'network error')
  }
  if (!res.ok) throw await failure(res)
  return (await res.json()) as RatingReceipt
}
