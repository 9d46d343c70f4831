// Orders (订单) and after-sales cases (售后单): /api/v1/orders, /api/v1/aftersales and the ticket's
// after-sales link. Money is in fen (分) on the wire; screens show it with `yuan`.
import { http } from './client'
import type { Id, Page, Timestamp } from './types'

export type OrderStatus = 'pending_payment' | 'paid' | 'shipped' | 'signed' | 'completed' | 'cancelled' | 'closed'

/** Flags an item carries from purchase time; they decide the seven-day no-reason exclusions. */
export interface ItemFlags {
  customised: boolean
  perishable: boolean
  digital_unsealed: boolean
  periodical: boolean
  presale: boolean
  confirmed_non_returnable: boolean
}

export const ITEM_FLAGS: (keyof ItemFlags)[] = ['customised', 'perishable', 'digital_unsealed', 'periodical', 'presale', 'confirmed_non_returnable']

export interface OrderItem {
  sku: string
  name: string
  category?: string | null
  quantity: number
  /** Unit price in fen. */
  price_fen: number
  flags?: Partial<ItemFlags>
}

export interface Order {
  id: Id
  merchant_id: Id
  order_no: string
  customer_id: Id | null
  status: OrderStatus
  status_label: string
  items: OrderItem[]
  total_fen: number
  paid_fen: number
  payment_method: string | null
  shipping_company: string | null
  waybill: string | null
  ordered_at: Timestamp
  paid_at: Timestamp | null
  shipped_at: Timestamp | null
  signed_at: Timestamp | null
  shop_updated_at: Timestamp
  created_at: Timestamp
  updated_at: Timestamp
}

export type AfterSalesKind = 'refund_only' | 'return_refund' | 'exchange' | 'repair'
export const KINDS: AfterSalesKind[] = ['refund_only', 'return_refund', 'exchange', 'repair']

export type Reason = 'no_reason' | 'quality_problem' | 'not_as_described' | 'wrong_item' | 'damaged_in_transit' | 'not_received'
export const REASONS: Reason[] = ['no_reason', 'quality_problem', 'not_as_described', 'wrong_item', 'damaged_in_transit', 'not_received']

export type ProofKind = 'order_screenshot' | 'invoice' | 'photos'
export const PROOF_KINDS: ProofKind[] = ['photos', 'order_screenshot', 'invoice']

export type Outcome = 'eligible' | 'not_eligible' | 'needs_review'

/** The eligibility engine's answer for one item (资格判定). */
export interface Verdict {
  outcome: Outcome
  /** Stable rule code, e.g. `no_reason_within_window`. */
  rule: string
  /** 法律依据 in Chinese. */
  basis: string
  /** What applies and why, with dates, in Chinese. */
  explanation: string
  deadline: Timestamp | null
  missing_proofs: ProofKind[]
}

export type CaseStatus =
  | 'awaiting_merchant'
  | 'awaiting_return'
  | 'awaiting_receipt'
  | 'refunding'
  | 'awaiting_resend'
  | 'refunded'
  | 'exchanged'
  | 'repaired'
  | 'rejected'
  | 'cancelled'
  | 'closed'
  | 'platform_intervention'

export type TimeLimit = 'merchant_response' | 'buyer_shipment' | 'merchant_receipt'

export interface CaseItem {
  sku: string
  name: string
  quantity: number
}

export interface CaseProof {
  attachment_id: Id
  kind: ProofKind
}

export interface AfterSalesCase {
  id: Id
  merchant_id: Id
  customer_id: Id | null
  order_id: Id
  order_no: string
  ticket_id: Id | null
  kind: AfterSalesKind
  kind_label: string
  reason: Reason
  reason_label: string
  description: string
  items: CaseItem[]
  proofs: CaseProof[]
  verdict: { outcome: Outcome; rule: string; basis: string; explanation: string }
  goodwill: boolean
  needs_review: boolean
  amount_fen: number
  status: CaseStatus
  status_label: string
  return_carrier: string | null
  return_waybill: string | null
  goods_condition: string | null
  refund_ref: string | null
  time_limit: TimeLimit | null
  due_at: Timestamp | null
  version: number
  created_by: Id | null
  created_at: Timestamp
  updated_at: Timestamp
}

export type CaseActor =
  | { kind: 'buyer' }
  | { kind: 'merchant'; user_id: Id }
  | { kind: 'platform'; user_id: Id }
  | { kind: 'system'; name: string }

/** One step of a case's history: `type` and its fields (e.g. `reason`, `waybill`, `rule`). */
export interface CaseEntry {
  seq: number
  recorded_by: Id | null
  at: Timestamp
  actor: CaseActor
  type: string
  [field: string]: unknown
}

export interface CaseDetail extends AfterSalesCase {
  events: CaseEntry[]
}

export interface NewCase {
  order_id: Id
  ticket_id: Id
  kind: AfterSalesKind
  reason: Reason
  items: { sku: string; quantity: number }[]
  proofs: CaseProof[]
  description: string
  amount_fen?: number
  goodwill?: boolean
}

/** The commands of the case state machine, one endpoint each, and the status each is valid in. */
export type CaseCommand = 'agree' | 'reject' | 'return-shipment' | 'receipt' | 'refund-executed' | 'refund-failed' | 'resend' | 'cancel' | 'dispute' | 'platform-decision'

export const COMMANDS_BY_STATUS: Record<CaseStatus, CaseCommand[]> = {
  awaiting_merchant: ['agree', 'reject', 'cancel'],
  awaiting_return: ['return-shipment', 'cancel'],
  awaiting_receipt: ['receipt', 'reject'],
  refunding: ['refund-executed', 'refund-failed'],
  awaiting_resend: ['resend'],
  refunded: [],
  exchanged: [],
  repaired: [],
  rejected: ['dispute', 'cancel'],
  cancelled: [],
  closed: [],
  platform_intervention: ['platform-decision'],
}

/** Fen as yuan, exactly (integer arithmetic, no floating point): 5900 → "¥59.00". */
export function yuan(fen: number): string {
  const neg = fen < 0
  const a = Math.abs(Math.trunc(fen))
  const cents = String(a % 100).padStart(2, '0')
  return `${neg ? '-' : ''}¥${Math.floor(a / 100)}.${cents}`
}

export interface OrderQuery {
  order_no?: string
  customer_id?: Id
  limit?: number
}

export const ordersApi = {
  list: (q: OrderQuery) => http.get<Page<Order>>('/orders', { ...q }),
  get: (id: Id) => http.get<Order>(`/orders/${id}`),
  eligibility: (id: Id, body: { sku: string; kind: AfterSalesKind; reason: Reason; proofs: ProofKind[] }) =>
    http.post<Verdict>(`/orders/${id}/eligibility`, body),
}

export const aftersalesApi = {
  list: (q: { ticket_id?: Id; order_id?: Id; customer_id?: Id; status?: CaseStatus; limit?: number }) =>
    http.get<Page<AfterSalesCase>>('/aftersales', { ...q }),
  get: (id: Id) => http.get<CaseDetail>(`/aftersales/${id}`),
  create: (body: NewCase) => http.post<AfterSalesCase>('/aftersales', body),
  command: (id: Id, command: CaseCommand, body: Record<string, unknown>) => http.post<AfterSalesCase>(`/aftersales/${id}/${command}`, body),
  link: (ticketId: Id) => http.post<{ url: string; expires_at: Timestamp }>(`/tickets/${ticketId}/aftersales-link`),
}
