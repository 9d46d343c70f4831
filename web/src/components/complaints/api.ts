// Complaints (投诉, EC-6): /api/v1/complaints — the workflow, its deadlines and its printable documents.
import { API_BASE, http } from '@/api/client'
import type { Id, Page, Timestamp } from '@/api/types'

export type ComplaintSource = 'customer' | 'platform' | 'regulator'
export const SOURCES: ComplaintSource[] = ['customer', 'platform', 'regulator']
export type Severity = 'normal' | 'serious' | 'major'
export const SEVERITIES: Severity[] = ['normal', 'serious', 'major']
export type Stage =
  | 'received'
  | 'acknowledged'
  | 'claim_recorded'
  | 'investigating'
  | 'investigated'
  | 'proposed'
  | 'disagreed'
  | 'agreed'
  | 'executed'
  | 'visited'
  | 'closed'
export const STAGES: Stage[] = [
  'received',
  'acknowledged',
  'claim_recorded',
  'investigating',
  'investigated',
  'proposed',
  'disagreed',
  'agreed',
  'executed',
  'visited',
  'closed',
]

/** The steps of the stepper (a disagreement goes back to 提出方案). */
export const STEPS = ['acknowledge', 'claim', 'investigation', 'findings', 'remedy', 'customer-response', 'execution', 'follow-up', 'close'] as const
export type Command = (typeof STEPS)[number]

/** The command each stage waits for. */
export const NEXT: Record<Stage, Command | null> = {
  received: 'acknowledge',
  acknowledged: 'claim',
  claim_recorded: 'investigation',
  investigating: 'findings',
  investigated: 'remedy',
  proposed: 'customer-response',
  disagreed: 'remedy',
  agreed: 'execution',
  executed: 'follow-up',
  visited: 'close',
  closed: null,
}

/** How many steps are done in a stage (the stepper's active index). */
export function stepIndex(stage: Stage): number {
  const next = NEXT[stage]
  return next ? STEPS.indexOf(next) : STEPS.length
}

export interface RegulatorDeadlines {
  accept_due: Timestamp
  mediate_due: Timestamp
}

export interface Workflow {
  source: ComplaintSource | null
  severity: Severity | null
  stage: Stage
  received_at: Timestamp
  regulator_ref: string | null
  summary: string
  acknowledge_due: Timestamp
  regulator: RegulatorDeadlines | null
  repeat_of: string[]
  acknowledged_at: Timestamp | null
  acknowledged_late: boolean
  claim: string | null
  demand: string | null
  department_id: Id | null
  task_no: number | null
  findings: string | null
  responsible: string | null
  remedy: string | null
  proposals: number
  disagreements: number
  customer_note: string | null
  execution: string | null
  follow_up: string | null
  satisfaction: number | null
  closed_at: Timestamp | null
  closing_summary: string | null
}

export interface Complaint {
  id: Id
  merchant_id: Id
  number: string
  ticket_id: Id | null
  ticket_number: string
  customer_id: Id | null
  order_no: string | null
  source_label: string
  severity_label: string
  stage_label: string
  next_step: string
  repeat: boolean
  due_at: Timestamp | null
  overdue: boolean
  notice_attachment_id: Id | null
  version: number
  created_by: Id | null
  created_at: Timestamp
  updated_at: Timestamp
  workflow: Workflow
}

export interface ComplaintEntry {
  seq: number
  recorded_by: Id | null
  at: Timestamp
  type: string
  [key: string]: unknown
}

export interface ComplaintDetail extends Complaint {
  events: ComplaintEntry[]
}

export interface NewComplaint {
  ticket_id: Id
  source: ComplaintSource
  severity: Severity
  summary: string
  received_at?: Timestamp
  regulator_ref?: string
  order_no?: string
}

export interface ComplaintQuery {
  stage?: Stage | ''
  severity?: Severity | ''
  source?: ComplaintSource | ''
  overdue?: boolean
  repeat?: boolean
  ticket_id?: Id
  cursor?: string | null
  limit?: number
}

/** Which deadline runs in a stage: acknowledgement (受理时限), the 24-hour handling target until a remedy
 *  is proposed (处理时限), then the 12315 mediation deadline. */
export function dueKind(stage: Stage): 'ackDue' | 'handleDue' | 'mediateDue' {
  if (stage === 'received') return 'ackDue'
  if (stage === 'acknowledged' || stage === 'claim_recorded' || stage === 'investigating' || stage === 'investigated') return 'handleDue'
  return 'mediateDue'
}

/** One line of a breakdown. */
export interface Tally {
  key: string
  label: string
  count: number
}

/** 投诉分析: the complaints received in a period (rates 0–1, `null` when nothing was measured). */
export interface ComplaintAnalysis {
  received: number
  closed: number
  open: number
  overdue: number
  by_source: Tally[]
  by_severity: Tally[]
  by_stage: Tally[]
  repeat: number
  repeat_rate: number | null
  acknowledged: number
  acknowledged_on_time: number
  acknowledge_on_time_rate: number | null
  handled: number
  handled_on_time: number
  handle_on_time_rate: number | null
  handling_overdue: number
  disputed: number
  disagreements: number
  avg_hours_to_remedy: number | null
  avg_hours_to_close: number | null
  visits: number
  avg_visit_satisfaction: number | null
  regulator: { received: number; accepted_on_time: number; closed_in_time: number; overdue: number }
  responsible: Tally[]
}

export interface ComplaintReport {
  from: Timestamp
  to: Timestamp
  merchant_id: Id | null
  truncated: boolean
  analysis: ComplaintAnalysis
}

/** A share as a whole percentage ("—" when nothing was measured). */
export function percent(rate: number | null): string {
  return rate === null ? '—' : `${Math.round(rate * 100)}%`
}

export const complaintsApi = {
  list: (q: ComplaintQuery) => http.get<Page<Complaint>>('/complaints', { ...q }),
  analysis: (q: { from?: Timestamp; to?: Timestamp; merchant_id?: Id }) => http.get<ComplaintReport>('/reports/complaints', { ...q }),
  get: (id: Id) => http.get<ComplaintDetail>(`/complaints/${id}`),
  create: (body: NewComplaint) => http.post<Complaint>('/complaints', body),
  command: (id: Id, command: Command, body: Record<string, unknown>) => http.post<Complaint>(`/complaints/${id}/${command}`, body),
}

/** The print-ready documents open in a new tab (same origin, the session cookie authenticates). */
export const noticeUrl = (id: Id) => `${API_BASE}/complaints/${id}/notice`
export const evaluationUrl = (id: Id) => `${API_BASE}/complaints/${id}/evaluation-form`
