// 渠道设置 → 在线咨询: the merchant's chat settings (`channel.manage`). Platform staff name the merchant
// (none: the platform's own service).
import { http } from '@/api/client'

export interface ChatSettings {
  merchant_id: number | null
  widget_key: string
  greeting: string
  closing_message: string
  reuse_minutes: number
  enabled: boolean
  calendar_id: number | null
  created_at: string
  updated_at: string
  /** Only right after creation or rotation. */
  secret?: string
}

export interface ChatSettingsInput {
  merchant_id?: number | null
  greeting?: string
  closing_message?: string
  reuse_minutes?: number
  enabled?: boolean
}

const q = (merchant: number | null | undefined) => (merchant ? { merchant_id: merchant } : undefined)

export const chatSettingsApi = {
  get: (merchant?: number | null) => http.get<ChatSettings>('/channels/chat', q(merchant)),
  put: (body: ChatSettingsInput) => http.put<ChatSettings>('/channels/chat', { ...body, merchant_id: body.merchant_id || undefined }),
  rotate: (merchant?: number | null) => http.post<ChatSettings>('/channels/chat/rotate-secret', { merchant_id: merchant || undefined }),
}

/** The snippet a merchant pastes into their pages. */
export function embedSnippet(origin: string, widgetKey: string): string {
  return `<script src="${origin}/widget.js" data-key="${widgetKey}" async></script>`
}
