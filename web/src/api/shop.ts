// The shop system integration (店铺系统对接): settings, CSV order import, actions from a ticket, member tiers.
import { http, uploadRaw } from './client'

type Id = number

export interface ShopIntegration {
  merchant_id: Id
  actions_url: string
  secret: string
  active: boolean
  created_at: string
  updated_at: string
}

export interface ImportOutcome {
  rows: number
  orders: number
  created: number
  updated: number
  unchanged: number
}

export type ShopActionType = 'modify_address' | 'cancel' | 'refund' | 'resend'
export type ShopActionStatus = 'pending' | 'accepted' | 'succeeded' | 'failed'

export type ShopActionRequest =
  | { type: 'modify_address'; receiver: string; phone: string; address: string }
  | { type: 'cancel'; reason: string }
  | { type: 'refund'; amount_fen: number; reason: string; case_id?: Id | null }
  | { type: 'resend'; reason: string }

export interface ShopActionRecord {
  id: Id
  merchant_id: Id
  ticket_id: Id | null
  order_id: Id
  order_no: string
  case_id: Id | null
  action: ShopActionType
  action_label: string
  request: ShopActionRequest
  amount_fen: number
  idempotency_key: string
  status: ShopActionStatus
  status_label: string
  message: string
  reference: string | null
  attempts: number
  requested_by: Id | null
  requested_by_name: string
  created_at: string
  updated_at: string
  completed_at: string | null
}

export interface TierRights {
  tier: string
  label: string
  priority_service: boolean
  free_return_shipping: boolean
  extra_return_days: number
  benefits: string[]
  /** Set by the merchant (false: the platform's default). */
  custom: boolean
}

/** A merchant's setting of one tier's rights (会员权益设置). */
export interface TierSetting {
  tier: string
  priority_service: boolean
  free_return_shipping: boolean
  extra_return_days: number
}

const merchantQuery = (merchant: Id | null | undefined) => (merchant ? { merchant_id: merchant } : undefined)

export const shopApi = {
  getIntegration: (merchant?: Id | null) => http.get<ShopIntegration>('/shop-integration', merchantQuery(merchant)),
  putIntegration: (body: { merchant_id?: Id | null; actions_url: string; active: boolean; rotate_secret?: boolean }) =>
    http.put<ShopIntegration>('/shop-integration', { ...body, merchant_id: body.merchant_id || undefined }),
  importCsv: (file: Blob, merchant?: Id | null) =>
    uploadRaw<ImportOutcome>('/orders/import', new Blob([file], { type: 'text/csv' }), merchantQuery(merchant)),
  ticketActions: (ticket: Id) => http.get<ShopActionRecord[]>(`/tickets/${ticket}/shop-actions`),
  orderActions: (order: Id) => http.get<ShopActionRecord[]>(`/orders/${order}/shop-actions`),
  send: (ticket: Id, order: Id, action: ShopActionRequest) =>
    http.post<ShopActionRecord>(`/tickets/${ticket}/shop-actions`, { order_id: order, action }),
  memberTiers: (merchant?: Id | null) => http.get<TierRights[]>('/member-tiers', merchantQuery(merchant)),
  putMemberTiers: (tiers: TierSetting[], merchant?: Id | null) =>
    http.put<TierRights[]>('/member-tiers', { merchant_id: merchant || undefined, tiers }),
}


/** The eligibility windows of one product category, or the default (days after sign-for). */
export interface ReturnPolicy {
  no_reason_days: number
  quality_return_days: number
  quality_exchange_days: number
  repair_days: number
}

export interface ReturnRules {
  default: ReturnPolicy
  categories: { category: string; policy: ReturnPolicy }[]
}

export interface ReturnRulesView {
  merchant_id: Id
  custom: boolean
  rules: ReturnRules
}

export const returnRulesApi = {
  get: (merchant?: Id | null) => http.get<ReturnRulesView>('/return-rules', merchantQuery(merchant)),
  put: (rules: ReturnRules, merchant?: Id | null) =>
    http.put<ReturnRulesView>('/return-rules', { rules, merchant_id: merchant || undefined }),
}
