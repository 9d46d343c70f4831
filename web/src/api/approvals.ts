// Authority limits (权限额度) and approvals (审批): /api/v1/authority-limits, /api/v1/tickets/{id}/promises and
// /api/v1/approvals. Amounts are integer fen (分) on the wire; the screens convert 元 with `parseYuan`/`yuan`.
import { http } from './client'
import type { Id, Page, Timestamp } from './types'

export type PromiseKind = 'compensation' | 'coupon' | 'goodwill_refund' | 'refund_outside_rules'
export const PROMISE_KINDS: PromiseKind[] = ['compensation', 'coupon', 'goodwill_refund', 'refund_outside_rules']

/** One role's limit: up to an amount in fen, or unlimited. */
export type Limit = { type: 'up_to'; fen: number } | { type: 'unlimited' }

/** The configurable tiers of one kind, lowest role first. */
export interface KindLimits {
  agent: Limit
  senior_agent: Limit
  supervisor: Limit
  manager: Limit
  director: Limit
}
export const LIMIT_TIERS: (keyof KindLimits)[] = ['agent', 'senior_agent', 'supervisor', 'manager', 'director']

export type AuthorityLimits = Record<PromiseKind, KindLimits>

export interface OwnLimit {
  kind: PromiseKind
  label: string
  limit: Limit
}

export interface LimitsView {
  merchant_id: Id | null
  /** `merchant` (its own), `platform` (configured platform defaults) or `shipped` (built-in defaults). */
  source: 'merchant' | 'platform' | 'shipped'
  limits: AuthorityLimits
  updated_at: Timestamp | null
  role: string
  mine: OwnLimit[]
  may_edit: boolean
}

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'cancelled'
export const APPROVAL_STATUSES: ApprovalStatus[] = ['pending', 'approved', 'rejected', 'cancelled']

export interface Approval {
  id: Id
  merchant_id: Id | null
  ticket_id: Id | null
  ticket_number: string | null
  ticket_subject: string | null
  requester_id: Id
  requester_name: string
  requester_role: string
  kind: PromiseKind
  kind_label: string
  amount_fen: number
  reason: string
  status: ApprovalStatus
  decided_by: Id | null
  decided_by_name: string | null
  decided_at: Timestamp | null
  note: string
  created_at: Timestamp
  can_decide: boolean
  can_cancel: boolean
}

export interface PromiseOutcome {
  outcome: 'recorded' | 'pending_approval'
  kind: PromiseKind
  amount_fen: number
  limit: Limit
  approval: Approval | null
}

export interface ApprovalQuery {
  status?: ApprovalStatus | ''
  ticket_id?: Id
  mine?: boolean
  cursor?: string | null
  limit?: number
}

export const approvalsApi = {
  limits: (merchantId?: Id | null) =>
    http.get<LimitsView>('/authority-limits', merchantId ? { merchant_id: merchantId } : undefined),
  putLimits: (limits: AuthorityLimits, merchantId?: Id | null) =>
    http.put<LimitsView>('/authority-limits', merchantId ? { merchant_id: merchantId, limits } : { limits }),
  promise: (ticketId: Id, body: { kind: PromiseKind; amount_fen: number; summary: string }) =>
    http.post<PromiseOutcome>(`/tickets/${ticketId}/promises`, body),
  list: (q: ApprovalQuery) => http.get<Page<Approval>>('/approvals', { ...q, status: q.status || undefined }),
  get: (id: Id) => http.get<Approval>(`/approvals/${id}`),
  approve: (id: Id, note: string) => http.post<Approval>(`/approvals/${id}/approve`, { note }),
  reject: (id: Id, note: string) => http.post<Approval>(`/approvals/${id}/reject`, { note }),
  cancel: (id: Id, note = '') => http.post<Approval>(`/approvals/${id}/cancel`, { note }),
}
