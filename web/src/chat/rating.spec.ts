import { afterEach, describe, expect, it, vi } from 'vitest'
import { ChatApiError, submitRating } from './api'
import { words } from './i18n'

const loc = { href: 'https://shop.example.com/chat?key=wk_1' } as Location

afterEach(() => vi.unstubAllGlobals())

describe('the chat rating card', () => {
  it('posts the score with the link token to the survey path as JSON', async () => {
    const fetch = vi.fn(async () => new Response(JSON.stringify({ rating_id: 7, score: 2, label: '不满意', follow_up: true })))
    vi.stubGlobal('fetch', fetch)
    const r = await submitRating('/chat/rate?token=krt_5_99_abc', { score: 2, comment: '慢' }, loc)
    expect(r.follow_up).toBe(true)
    const [path, init] = fetch.mock.calls[0] as unknown as [string, RequestInit]
    expect(path).toBe('/chat/rate')
    expect(init.method).toBe('POST')
    expect(JSON.parse(String(init.body))).toEqual({ token: 'krt_5_99_abc', channel: 'chat', score: 2, comment: '慢' })
  })

  it('reports a second rating and an expired link by status', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify({ error: { code: 'conflict', message: 'already rated' } }), { status: 409 })))
    const e = await submitRating('/chat/rate?token=krt_1', { score: 5 }, loc).catch((x) => x)
    expect(e).toBeInstanceOf(ChatApiError)
    expect([e.status, e.code]).toEqual([409, 'conflict'])
    vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify({ error: { code: 'expired', message: 'expired' } }), { status: 410 })))
    const gone = await submitRating('/chat/rate?token=krt_1', { score: 5 }, loc).catch((x) => x)
    expect(gone.status).toBe(410)
  })

  it('shows the five platform labels, most satisfied first, in both languages', () => {
    expect(words('zh').rateLabels).toEqual(['非常满意', '满意', '一般', '不满意', '非常不满意'])
    expect(words('en').rateLabels).toHaveLength(5)
  })
})
