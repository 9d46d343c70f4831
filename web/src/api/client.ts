// A thin typed wrapper around fetch for the kefu API. The session lives in the HttpOnly
// `kefu_session` cookie, so every call is same-origin with credentials; no token is stored here.
import type { ErrorBody, ErrorCode } from './types'

export const API_BASE = '/api/v1'

/** Every failed call rejects with an ApiError carrying the server's code, message and field. */
export class ApiError extends Error {
  readonly status: number
  readonly code: ErrorCode
  readonly field: string | null

  constructor(status: number, code: ErrorCode, message: string, field?: string | null) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.field = field ?? null
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError
}

type Query = Record<string, string | number | boolean | null | undefined>

export interface RequestOptions {
  query?: Query
  body?: unknown
  signal?: AbortSignal
  /** Do not treat a 401 as "session expired" (login itself, and the first /me probe). */
  allowUnauthenticated?: boolean
}

let onUnauthenticated: (() => void) | null = null
let onEnrolmentRequired: (() => void) | null = null

/** Called once by the app: what to do when a call finds the session gone (redirect to login). */
export function setUnauthenticatedHandler(fn: () => void): void {
  onUnauthenticated = fn
}

/** Called once by the app: what to do when the role needs TOTP and the account has none yet. */
export function setEnrolmentRequiredHandler(fn: () => void): void {
  onEnrolmentRequired = fn
}

export function buildUrl(path: string, query?: Query): string {
  let url = API_BASE + path
  if (query) {
    const params = new URLSearchParams()
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined || v === null || v === '') continue
      params.set(k, String(v))
    }
    const qs = params.toString()
    if (qs) url += '?' + qs
  }
  return url
}

function fallbackCode(status: number): ErrorCode {
  switch (status) {
    case 400:
      return 'bad_request'
    case 401:
      return 'unauthenticated'
    case 403:
      return 'forbidden'
    case 404:
      return 'not_found'
    case 409:
      return 'conflict'
    case 413:
      return 'payload_too_large'
    case 422:
      return 'validation'
    case 429:
      return 'rate_limited'
    case 503:
      return 'unavailable'
    default:
      return status >= 500 ? 'internal' : 'bad_request'
  }
}

async function parseError(res: Response): Promise<ApiError> {
  let body: unknown = null
  const text = await res.text().catch(() => '')
  try {
    body = text ? JSON.parse(text) : null
  } catch {
    body = null
  }
  const err = (body as ErrorBody | null)?.error
  if (err && typeof err.code === 'string' && typeof err.message === 'string') {
    return new ApiError(res.status, err.code, err.message, err.field)
  }
  return new ApiError(res.status, fallbackCode(res.status), text.trim() || `HTTP ${res.status} ${res.statusText}`)
}

export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  // X-Kefu-CSRF: the server refuses cookie-authenticated changes without it (cross-site request guard).
  const headers: Record<string, string> = { Accept: 'application/json', 'X-Kefu-CSRF': '1' }
  let body: string | undefined
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json'
    body = JSON.stringify(opts.body)
  }
  let res: Response
  try {
    res = await fetch(buildUrl(path, opts.query), {
      method,
      headers,
      body,
      credentials: 'same-origin',
      signal: opts.signal,
    })
  } catch (e) {
    if ((e as Error)?.name === 'AbortError') throw e
    throw new ApiError(0, 'network', (e as Error)?.message || 'network error')
  }
  if (!res.ok) {
    const err = await parseError(res)
    if (res.status === 401 && err.code === 'unauthenticated' && !opts.allowUnauthenticated) {
      onUnauthenticated?.()
    }
    if (err.code === 'totp_enrolment_required') onEnrolmentRequired?.()
    throw err
  }
  if (res.status === 204) return undefined as T
  const text = await res.text()
  if (!text) return undefined as T
  try {
    return JSON.parse(text) as T
  } catch {
    throw new ApiError(res.status, 'network', 'invalid JSON in response')
  }
}

/** Send a file as the raw request body (attachments); answers the JSON the server sends back. */
export async function uploadRaw<T>(path: string, file: Blob, query?: Query): Promise<T> {
  let res: Response
  try {
    res = await fetch(buildUrl(path, query), {
      method: 'POST',
      headers: {
        Accept: 'application/json',
        'Content-Type': file.type || 'application/octet-stream',
        'X-Kefu-CSRF': '1',
      },
      body: file,
      credentials: 'same-origin',
    })
  } catch (e) {
    throw new ApiError(0, 'network', (e as Error)?.message || 'network error')
  }
  if (!res.ok) {
    const err = await parseError(res)
    if (res.status === 401 && err.code === 'unauthenticated') onUnauthenticated?.()
    throw err
  }
  return (await res.json()) as T
}

export const http = {
  get: <T>(path: string, query?: Query, opts?: Omit<RequestOptions, 'query' | 'body'>) =>
    request<T>('GET', path, { ...opts, query }),
  post: <T>(path: string, body?: unknown, opts?: Omit<RequestOptions, 'body'>) =>
    request<T>('POST', path, { ...opts, body }),
  put: <T>(path: string, body?: unknown) => request<T>('PUT', path, { body }),
  patch: <T>(path: string, body?: unknown) => request<T>('PATCH', path, { body }),
  del: <T>(path: string, body?: unknown) => request<T>('DELETE', path, { body }),
}
