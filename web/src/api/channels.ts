// 渠道设置 beyond live chat (channel.manage): support mailboxes (邮件), webhook subscriptions and their
// delivery log (Webhook 推送), and the phone settings (呼叫中心). A merchant's staff see only their own;
// platform staff may name the merchant (none: the platform's own service).
import { http } from './client'
import type { Id, Timestamp } from './types'

export const SMTP_SECURITY = ['starttls', 'tls', 'none'] as const
export type SmtpSecurity = (typeof SMTP_SECURITY)[number]

export interface Mailbox {
  id: Id
  merchant_id: Id | null
  address: string
  from_name: string
  smtp_host: string
  smtp_port: number
  smtp_security: SmtpSecurity
  smtp_username: string | null
  smtp_password_set: boolean
  signature: string
  enabled: boolean
  created_at: Timestamp
  updated_at: Timestamp
}

export interface MailboxInput {
  address: string
  from_name: string
  smtp_host: string
  smtp_port: number
  smtp_security: SmtpSecurity
  smtp_username?: string | null
  /** Write-only: omitted keeps the stored one, "" removes it. */
  smtp_password?: string
  signature: string
  enabled: boolean
  merchant_id?: Id | null
}

/** The variables a mailbox signature may use. */
export const SIGNATURE_VARIABLES = ['{客服昵称}', '{工单号}', '{客户称呼}']

export const mailboxApi = {
  list: () => http.get<Mailbox[]>('/channels/email/mailboxes'),
  create: (body: MailboxInput) => http.post<Mailbox>('/channels/email/mailboxes', body),
  update: (id: Id, body: MailboxInput) => http.put<Mailbox>(`/channels/email/mailboxes/${id}`, body),
}

export const WEBHOOK_EVENTS = [
  'ticket.created',
  'ticket.updated',
  'ticket.resolved',
  'ticket.closed',
  'message.created',
  'sla.warned',
  'sla.breached',
  'survey.answered',
] as const

export interface Webhook {
  id: Id
  merchant_id: Id | null
  url: string
  events: string[]
  active: boolean
  description: string
  created_at: Timestamp
  updated_at: Timestamp
}

/** Answered on creation and rotation only: the signing secret, shown this once. */
export interface WebhookWithSecret extends Webhook {
  secret: string
}

export interface WebhookInput {
  url: string
  events: string[]
  active: boolean
  description: string
  merchant_id?: Id | null
}

export type WebhookChange = Partial<Omit<WebhookInput, 'merchant_id'>>

export interface WebhookAttempt {
  attempt: number
  status_code: number | null
  error: string | null
  duration_ms: number
  at: Timestamp
}

export interface WebhookDelivery {
  id: Id
  delivery_key: string
  subscription_id: Id
  merchant_id: Id | null
  event_id: Id
  event_type: string
  ticket_id: Id | null
  body: string
  /** pending, delivered or failed */
  state: string
  attempts: number
  last_status: number | null
  last_error: string | null
  created_at: Timestamp
  updated_at: Timestamp
  attempt_log: WebhookAttempt[]
}

export const webhookApi = {
  list: () => http.get<Webhook[]>('/channels/webhooks'),
  create: (body: WebhookInput) => http.post<WebhookWithSecret>('/channels/webhooks', { ...body, merchant_id: body.merchant_id || undefined }),
  update: (id: Id, body: WebhookChange) => http.patch<Webhook>(`/channels/webhooks/${id}`, body),
  remove: (id: Id) => http.del<void>(`/channels/webhooks/${id}`),
  rotate: (id: Id) => http.post<WebhookWithSecret>(`/channels/webhooks/${id}/rotate-secret`),
  deliveries: (id: Id, limit = 50) => http.get<WebhookDelivery[]>(`/channels/webhooks/${id}/deliveries`, { limit }),
  replay: (deliveryId: Id) => http.post<WebhookDelivery>(`/channels/webhook-deliveries/${deliveryId}/replay`),
}

export interface PhoneLine {
  number: string
  label: string
}

export interface PhoneSettings {
  merchant_id: Id | null
  lines: PhoneLine[]
  ring_secs: number
  rings_target: number
  callback_due_mins: number
  updated_at: Timestamp | null
}

export interface PhoneSettingsInput {
  lines: PhoneLine[]
  ring_secs: number
  rings_target: number
  callback_due_mins: number
  merchant_id?: Id | null
}

const merchantQuery = (merchant: Id | null | undefined) => (merchant ? { merchant_id: merchant } : undefined)

export const phoneApi = {
  get: (merchant?: Id | null) => http.get<PhoneSettings>('/channels/phone/settings', merchantQuery(merchant)),
  put: (body: PhoneSettingsInput) =>
    http.put<PhoneSettings>('/channels/phone/settings', { ...body, merchant_id: body.merchant_id || undefined }),
}
