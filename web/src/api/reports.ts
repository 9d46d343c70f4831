// The supervisor dashboard's report (监控看板): GET /api/v1/reports/overview.
import { http } from './client'
import type { Id, Timestamp } from './types'

export interface OverviewQuery {
  /** RFC 3339, inclusive; default: midnight today in Asia/Shanghai. */
  from?: string
  /** RFC 3339, exclusive; default now. At most 92 days after `from`. */
  to?: string
  /** Platform staff: one merchant only. */
  merchant_id?: Id | null
}

export interface CountBy {
  /** null: tickets without a value (e.g. no category). */
  key: string | null
  count: number
}

export interface FirstResponseStats {
  count: number
  avg_secs: number | null
  median_secs: number | null
  /** Tickets of the period still active and not yet answered. */
  awaiting: number
}

export interface TicketOverview {
  created: number
  by_channel: CountBy[]
  by_category: CountBy[]
  /** 24 counts, index 0 = 00:00–00:59 Asia/Shanghai. */
  by_hour: number[]
  by_status: CountBy[]
  open_by_status: CountBy[]
  escalated_open: number
  first_response: FirstResponseStats
}

export interface PolicyCompliance {
  policy_id: Id | null
  policy_name: string | null
  metric: string
  measured: number
  met: number
  breached: number
  compliance: number | null
}

export interface MetricCompliance {
  metric: string
  measured: number
  met: number
  breached: number
  compliance: number | null
}

export interface Overview {
  from: Timestamp
  to: Timestamp
  merchant_id: Id | null
  tickets: TicketOverview
  sla_by_policy: PolicyCompliance[]
  sla_totals: MetricCompliance[]
}

export const reportsApi = {
  overview: (q: OverviewQuery = {}) =>
    http.get<Overview>('/reports/overview', { from: q.from, to: q.to, merchant_id: q.merchant_id ?? undefined }),
}
