// Follow-up visits (回访任务) and satisfaction surveys (满意度评价): /api/v1/follow-ups,
// /api/v1/tickets/{id}/survey-link and /api/v1/reports/satisfaction.
import { http } from '@/api/client'
import type { Id, Timestamp } from '@/api/types'

export type VisitReason = 'complaint' | 'after_sales' | 'low_rating' | 'other'
export const VISIT_REASONS: VisitReason[] = ['complaint', 'after_sales', 'low_rating', 'other']
export type VisitStatus = 'pending' | 'completed'
export const VISIT_STATUSES: VisitStatus[] = ['pending', 'completed']
export type VisitOutcome = 'satisfied' | 'still_dissatisfied' | 'unreachable' | 'declined'
export const VISIT_OUTCOMES: VisitOutcome[] = ['satisfied', 'still_dissatisfied', 'unreachable', 'declined']

export interface FollowUpVisit {
  id: Id
  merchant_id: Id | null
  ticket_id: Id | null
  ticket_number: string
  ticket_subject: string | null
  customer_id: Id | null
  reason: VisitReason
  reason_label: string
  /** `rating:<id>`, `aftersales:<id>`, `complaint:<id>`, or empty when scheduled by hand. */
  source: string
  due_at: Timestamp
  /** `null`: the supervisors' queue. */
  assignee_id: Id | null
  assignee_name: string | null
  status: VisitStatus
  status_label: string
  script: string
  outcome: VisitOutcome | null
  outcome_label: string | null
  renewed_score: number | null
  note: string
  created_by: Id | null
  created_at: Timestamp
  completed_by: Id | null
  completed_at: Timestamp | null
}

export interface SurveyLink {
  url: string
  expires_at: Timestamp
}

export interface AgentSatisfaction {
  agent_id: Id | null
  agent_name: string | null
  count: number
  average: number
  satisfied: number
  dissatisfied: number
}

export interface SatisfactionReport {
  from: Timestamp
  to: Timestamp
  count: number
  average: number
  satisfied: number
  dissatisfied: number
  by_score: number[]
  agents: AgentSatisfaction[]
  satisfied_share: number
  dissatisfied_share: number
}

/** The platforms' five labels, score 5 first. */
export const SCORES = [5, 4, 3, 2, 1]

export const followUpsApi = {
  list: (q: { status?: VisitStatus | ''; mine?: boolean; ticket_id?: Id }) =>
    http.get<FollowUpVisit[]>('/follow-ups', { status: q.status || undefined, mine: q.mine || undefined, ticket_id: q.ticket_id }),
  get: (id: Id) => http.get<FollowUpVisit>(`/follow-ups/${id}`),
  schedule: (body: { ticket_id: Id; reason: VisitReason; due_at?: Timestamp; assignee_id?: Id | null; script?: string }) =>
    http.post<FollowUpVisit>('/follow-ups', body),
  complete: (id: Id, body: { outcome: VisitOutcome; renewed_score?: number | null; note: string }) =>
    http.post<FollowUpVisit>(`/follow-ups/${id}/complete`, body),
  surveyLink: (ticketId: Id) => http.post<SurveyLink>(`/tickets/${ticketId}/survey-link`, {}),
  report: (q: { from?: Timestamp; to?: Timestamp }) => http.get<SatisfactionReport>('/reports/satisfaction', q),
}
