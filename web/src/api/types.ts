// Types of the kefu JSON API under /api/v1. Field names follow the server exactly.

export type Id = number

/** Timestamps are RFC 3339 strings; tolerate milliseconds since the epoch too. */
export type Timestamp = string | number

export const ROLES = [
  'agent',
  'senior_agent',
  'supervisor',
  'manager',
  'director',
  'qa_inspector',
  'trainer',
  'merchant_admin',
  'platform_admin',
] as const
export type Role = (typeof ROLES)[number]

export type Permission =
  | 'self_service'
  | 'merchant.read'
  | 'merchant.manage'
  | 'team.read'
  | 'team.manage'
  | 'department.read'
  | 'department.manage'
  | 'user.read'
  | 'user.manage'
  | 'token.manage'
  | 'audit.read'
  | 'security.manage'
  | 'customer.read'
  | 'customer.manage'
  | 'customer.reveal'
  | 'ticket.read'
  | 'ticket.work'
  | 'ticket.supervise'
  | 'sla.read'
  | 'sla.manage'
  | 'holiday.manage'

export interface Me {
  id: Id
  username: string
  display_name: string
  role: Role
  merchant_id: Id | null
  totp_enabled: boolean
  /** The role requires TOTP and the account has not enrolled: only self-service works until it does. */
  totp_enrolment_required?: boolean
  permissions: string[]
}

export interface LoginRequest {
  username: string
  password: string
  totp_code?: string
}

export interface LoginResponse {
  token: string
  expires_at: Timestamp
  user: Me
}

export interface Page<T> {
  items: T[]
  next_cursor: string | null
}

export interface PageQuery {
  limit?: number
  cursor?: string | null
}

export type MerchantStatus = 'active' | 'suspended'

export interface Merchant {
  id: Id
  code: string
  name: string
  status: MerchantStatus | string
  created_at: Timestamp
  updated_at: Timestamp
}
export interface NewMerchant {
  code: string
  name: string
}
export interface MerchantPatch {
  name?: string
  status?: MerchantStatus
}

export const TEAM_OWNERS = ['platform', 'merchant', 'outsourced'] as const
export type TeamOwner = (typeof TEAM_OWNERS)[number]

export interface Team {
  id: Id
  merchant_id: Id | null
  owner: TeamOwner
  vendor: string | null
  name: string
  created_at: Timestamp
}
export interface NewTeam {
  name: string
  owner: TeamOwner
  vendor?: string
  merchant_id?: Id
}

export interface Department {
  id: Id
  merchant_id: Id | null
  code: string
  name: string
  created_at: Timestamp
}
export interface NewDepartment {
  code: string
  name: string
  merchant_id?: Id
}

export interface User {
  id: Id
  username: string
  display_name: string
  role: Role
  merchant_id: Id | null
  team_id: Id | null
  department_id: Id | null
  supervisor_id: Id | null
  disabled: boolean
  locked_until: Timestamp | null
  totp_enabled: boolean
  created_at: Timestamp
  updated_at: Timestamp
}
export interface NewUser {
  username: string
  display_name: string
  password: string
  role: Role
  merchant_id?: Id
  team_id?: Id
  department_id?: Id
  supervisor_id?: Id
}
export interface UserPatch {
  display_name?: string
  role?: Role
  team_id?: Id | null
  department_id?: Id | null
  supervisor_id?: Id | null
  disabled?: boolean
}

export interface ApiToken {
  id: Id
  name: string
  user_id: Id
  role: Role
  merchant_id: Id | null
  created_at: Timestamp
  expires_at: Timestamp | null
  last_used_at: Timestamp | null
  revoked_at: Timestamp | null
}
export interface NewApiToken {
  name: string
  role: Role
  merchant_id?: Id
  expires_at?: string
}
export interface CreatedApiToken {
  token: string
  api_token: ApiToken
}

export interface AuditRecord {
  id: Id
  chain: string | number
  seq: number
  /** Milliseconds since the epoch. */
  at: number
  actor_id: Id | null
  actor_name: string | null
  ip: string | null
  request_id: string | null
  action: string
  object_type: string
  object_id: string | null
  merchant_id: Id | null
  /** JSON text or null. */
  before: string | null
  after: string | null
  prev_hash: string
  hash: string
}
export interface AuditQuery extends PageQuery {
  actor_id?: string | number
  action?: string
  object_type?: string
  object_id?: string
  /** RFC 3339 */
  from?: string
  to?: string
}

export interface SecuritySettings {
  mandatory_totp_roles: Role[]
}

/** 数据保留: how long closed tickets are kept (at least 3 years) and what happens after. */
export type RetentionAction = 'archive' | 'purge'
export interface RetentionPolicy {
  years: number
  action: RetentionAction
}
export interface RetentionSettings {
  default: RetentionPolicy
  /** Merchant id (as a string) → that merchant's own policy. */
  merchants: Record<string, RetentionPolicy>
}

export interface TotpEnrollment {
  secret: string
  otpauth_url: string
}

export type ErrorCode =
  | 'bad_request'
  | 'validation'
  | 'unauthenticated'
  | 'totp_required'
  | 'totp_enrolment_required'
  | 'account_locked'
  | 'rate_limited'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'internal'
  | 'unavailable'
  /** Client-side: the request never got an answer, or the answer was not the JSON error body. */
  | 'network'

export interface ErrorBody {
  error: { code: ErrorCode; message: string; field?: string | null }
}

// ---------------------------------------------------------------- tickets (工单)

export const TICKET_STATUSES = ['new', 'open', 'pending_customer', 'on_hold', 'resolved', 'closed'] as const
export type TicketStatus = (typeof TICKET_STATUSES)[number]
export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const
export type Priority = (typeof PRIORITIES)[number]
export const TIERS = ['l1', 'l2', 'l3'] as const
export type Tier = (typeof TIERS)[number]
export const CHANNELS = ['chat', 'email', 'phone', 'left_message', 'app', 'api', 'web'] as const
export type Channel = (typeof CHANNELS)[number]

export interface OpenDepartmentTask {
  task_no: number
  department_id: Id
  opened_at: Timestamp
  due_at: Timestamp
}

export interface Ticket {
  id: Id
  /** e.g. KF20261122-000123 */
  number: string
  merchant_id: Id | null
  customer_id: Id | null
  channel: Channel
  subject: string
  status: TicketStatus
  priority: Priority
  tier: Tier
  category: string | null
  assignee_id: Id | null
  team_id: Id | null
  /** 首问责任人 */
  first_responder_id: Id | null
  first_response_at: Timestamp | null
  created_at: Timestamp
  updated_at: Timestamp
  resolved_at: Timestamp | null
  closed_at: Timestamp | null
  /** Send back as expected_version. */
  version: number
  merged_into: string | null
  follow_up_of: string | null
  tags: string[]
  order_numbers: string[]
  custom_fields: Record<string, unknown>
  open_tasks: OpenDepartmentTask[]
}

/** A row of the ticket list; searches carry a snippet with matches in 【】. */
export interface TicketHit extends Ticket {
  snippet?: string | null
  score?: number | null
}

export interface TicketQuery extends PageQuery {
  /** Comma-separated statuses. */
  status?: string
  category?: string
  priority?: Priority
  tier?: Tier
  assignee_id?: Id
  first_responder_id?: Id
  team_id?: Id
  merchant_id?: Id
  customer_id?: Id
  order_no?: string
  tag?: string
  channel?: Channel
  created_from?: string
  created_to?: string
  /** mine, pending, first_responded, due_soon or a saved view's id */
  view?: string
  /** With view=due_soon: the next SLA warning or breach falls due within this many minutes. */
  due_within_minutes?: number
  q?: string
}

export type MessageKind = 'reply' | 'customer' | 'note'

export interface Message {
  id: Id
  ticket_id: Id
  origin_ticket_id: Id
  kind: MessageKind | string
  author_kind: 'staff' | 'customer' | 'system' | string
  author_id: Id | null
  /** Plain text as received: render as text, never as HTML. */
  body: string
  created_at: Timestamp
}

export interface Attachment {
  id: Id
  ticket_id: Id
  merchant_id: Id | null
  sha256: string
  file_name: string
  mime: string
  size: number
  uploaded_by: Id | null
  created_at: Timestamp
}

export interface TicketDetail {
  ticket: Ticket
  messages: Message[]
  attachments: Attachment[]
}

export interface Assignee {
  user_id: Id | null
  team_id: Id | null
}

export interface Actor {
  kind: 'staff' | 'customer' | 'system'
  user_id?: Id
  role?: Role
  customer_id?: Id
  name?: string
}

/** The event payload: `type` plus the fields of that type (see the timeline rendering). */
export interface TicketEventKind {
  type: string
  [field: string]: unknown
}

export interface TicketEvent {
  seq: number
  at: Timestamp
  actor: Actor
  kind: TicketEventKind
}

export interface NewTicket {
  merchant_id?: Id
  customer_id?: Id
  channel: Channel
  subject: string
  body?: string
  priority?: Priority
  category?: string
  tags?: string[]
  order_numbers?: string[]
}

export interface TicketPatch {
  priority?: Priority
  category?: string
  tags?: string[]
  order_numbers?: string[]
  expected_version?: number
}

export type BulkAction =
  | { action: 'assign'; user_id?: Id; team_id?: Id }
  | { action: 'status'; status: TicketStatus }
  | { action: 'tag'; add: string[] }

export interface BulkResult {
  ticket_id: Id
  ok: boolean
  error: string | null
}

export interface Category {
  id: Id
  merchant_id: Id | null
  code: string
  name: string
  parent_code: string | null
  position: number
  active: boolean
}

/** The filters of a saved view (server-side TicketFilter). */
export interface TicketFilter {
  status?: TicketStatus[]
  category?: string | null
  priority?: Priority | null
  tier?: Tier | null
  assignee_id?: Id | null
  first_responder_id?: Id | null
  team_id?: Id | null
  merchant_id?: Id | null
  customer_id?: Id | null
  order_no?: string | null
  tag?: string | null
  channel?: Channel | null
  created_from?: Timestamp | null
  created_to?: Timestamp | null
  unassigned?: boolean
  /** 升级工单: only tickets above the first tier. */
  escalated?: boolean
}

export interface SavedView {
  id: Id
  merchant_id: Id | null
  /** null: shared */
  owner_id: Id | null
  name: string
  filters: TicketFilter
  created_at: Timestamp
}

export interface DepartmentTask {
  ticket_id: Id
  ticket_number: string
  task_no: number
  department_id: Id
  merchant_id: Id | null
  request: string
  due_at: Timestamp
  status: 'open' | 'answered' | 'cancelled' | string
  answer: string | null
  opened_at: Timestamp
  closed_at: Timestamp | null
}

export interface DepartmentTaskQuery extends PageQuery {
  department_id?: Id
  open?: boolean
}

// ---------------------------------------------------------------- customers (客户档案)

export const MEMBER_TIERS = ['regular', 'silver', 'gold', 'diamond'] as const
export type MemberTier = (typeof MEMBER_TIERS)[number]
export const REVEAL_FIELDS = ['phone', 'email', 'address'] as const
export type RevealField = (typeof REVEAL_FIELDS)[number]

export interface Customer {
  id: Id
  merchant_id: Id | null
  display_name: string
  /** Masked, e.g. 138****5678 */
  phone: string | null
  email: string | null
  address: string | null
  account_id: string | null
  visitor_id: string | null
  member_tier: MemberTier | string
  vip: boolean
  tags: string[]
  notes: string
  merged_into: Id | null
  created_at: Timestamp
}

export interface CustomerQuery extends PageQuery {
  phone?: string
  email?: string
  account_id?: string
  visitor_id?: string
}

export interface NewCustomer {
  display_name: string
  member_tier?: MemberTier
  vip?: boolean
  merchant_id?: Id
  phone?: string
  email?: string
  address?: string
  tags?: string[]
  notes?: string
}

export interface Revealed {
  field: RevealField
  value: string | null
}

// ---------------------------------------------------------------- SLA (服务时效)

export const SLA_METRICS = ['first_response', 'next_response', 'resolution'] as const
export type SlaMetric = (typeof SLA_METRICS)[number]
export const CLOCK_STATES = ['running', 'paused', 'overdue', 'met', 'missed'] as const
export type ClockState = (typeof CLOCK_STATES)[number]

/** One clock of a ticket: seconds are business seconds of the policy's calendar. */
export interface SlaClock {
  metric: SlaMetric
  /** 1 for first response and resolution; the n-th customer message for next response. */
  cycle: number
  state: ClockState
  target_secs: number
  elapsed_secs: number
  /** Negative when late. */
  remaining_secs: number
  started_at: Timestamp
  stopped_at: Timestamp | null
  due_at: Timestamp | null
  warn_at: Timestamp | null
  warned: boolean
  breached: boolean
}

/** GET /tickets/{id}/sla */
export interface TicketSla {
  policy_id: Id | null
  policy_name: string | null
  calendar_id: Id | null
  pause_when_pending: boolean
  next_due_at: Timestamp | null
  clocks: SlaClock[]
}

export interface SlaConditions {
  channels: Channel[]
  /** Category codes; a code also matches its sub-categories. */
  categories: string[]
  priorities: Priority[]
  tiers: Tier[]
  /** Member tiers; `vip` stands for customers marked VIP. */
  member_tiers: string[]
}

/** Business seconds; null: not measured. */
export interface SlaTargets {
  first_response_secs: number | null
  next_response_secs: number | null
  resolution_secs: number | null
}

export const BREACH_ACTION_TYPES = ['raise_priority', 'escalate_tier', 'reassign_team'] as const
export type BreachActionType = (typeof BREACH_ACTION_TYPES)[number]
export type BreachAction = { type: 'raise_priority' } | { type: 'escalate_tier' } | { type: 'reassign_team'; team_id: Id }

export interface SlaPolicy {
  id: Id
  /** null: a platform policy, tried after the merchant's own. */
  merchant_id: Id | null
  name: string
  position: number
  active: boolean
  conditions: SlaConditions
  targets: SlaTargets
  /** null: the team's, merchant's or platform's default calendar. */
  calendar_id: Id | null
  pause_when_pending: boolean
  warn_percent: number
  breach_actions: BreachAction[]
}

export type SlaPolicyInput = Omit<SlaPolicy, 'id' | 'merchant_id'> & { merchant_id?: Id | null }

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const
export type Weekday = (typeof WEEKDAYS)[number]

export interface SlaCalendar {
  id: Id
  merchant_id: Id | null
  name: string
  time_zone: string
  /** mon … sun → windows like "09:00-12:00"; a missing or empty day is closed. */
  weekly: Partial<Record<Weekday, string[]>>
  /** Windows of a make-up workday (调休上班); null: Monday's. */
  makeup_windows: string[] | null
  /** Follows the statutory holiday schedule. */
  holidays: boolean
  created_at: Timestamp
  updated_at: Timestamp
  /** Dates of the next 90 days without a published holiday schedule: counted by the weekly rule only. */
  uncovered_dates?: string[]
  /** Set when the stored calendar cannot be used (it counts as 7×24 until fixed). */
  problem?: string | null
}

export interface SlaCalendarInput {
  merchant_id?: Id | null
  name: string
  time_zone: string
  weekly: Partial<Record<Weekday, string[]>>
  makeup_windows?: string[] | null
  holidays: boolean
}

export interface HolidayDay {
  date: string
  kind: 'holiday' | 'workday' | string
  name: string
}

export interface HolidayYear {
  year: number
  origin: 'shipped' | 'imported' | string
  source: string | null
  holidays: number
  makeup_workdays: number
  /** The year in the JSON import format. */
  schedule: { year: number; source?: string; days: HolidayDay[] } | null
}

export interface HolidayImport {
  format: 'json' | 'csv'
  /** Required for CSV. */
  year?: number
  content: string
}

export const SLA_GROUP_BY = ['policy', 'team', 'agent', 'channel', 'day'] as const
export type SlaGroupBy = (typeof SLA_GROUP_BY)[number]

export interface SlaReportQuery {
  from?: string
  to?: string
  group_by?: SlaGroupBy
  merchant_id?: Id
}

export interface SlaReportRow {
  /** The policy, team or agent id, or the channel; null when not set. */
  group: string | null
  metric: SlaMetric | string
  measured: number
  met: number
  breached: number
  /** 0–1; null with nothing measured. */
  compliance: number | null
  avg_elapsed_secs: number | null
}

export interface ResponseBucket {
  /** Inclusive upper bound; null for the last, open bucket. */
  up_to_secs: number | null
  count: number
}

export interface SlaReport {
  from: Timestamp
  to: Timestamp
  group_by: SlaGroupBy | string
  rows: SlaReportRow[]
  first_response_distribution: ResponseBucket[]
  chat_sessions: number
  chat_answered_30s: number | null
  chat_answered_3min: number | null
}

/** A canned answer (快捷回复): personal when owner_id is set, else shared with the merchant or a team. */
export interface QuickReply {
  id: Id
  merchant_id: Id | null
  team_id: Id | null
  /** Set: a personal reply of this user. Null: shared. */
  owner_id: Id | null
  title: string
  /** May hold the variables {客户称呼} {订单号} {客服昵称} {工单号}, filled in by render. */
  body: string
  /** e.g. "/退款": typed alone then Tab in the reply box. */
  shortcut: string | null
  position: number
  created_at: Timestamp
  updated_at: Timestamp
}

export interface QuickReplyInput {
  title: string
  body: string
  shortcut?: string | null
  position?: number
  /** Shared with the merchant (needs ticket.supervise); personal by default. */
  shared?: boolean
  team_id?: Id | null
  merchant_id?: Id | null
}

export const PRESENCE_STATUSES = ['online', 'busy', 'away', 'offline'] as const
export type PresenceStatus = (typeof PRESENCE_STATUSES)[number]

export interface Presence {
  status: PresenceStatus
  reason?: string | null
}

/** GET/PUT /me/presence: presence, skill groups, certifications, capacity and load. */
export interface AgentState {
  user_id: Id
  merchant_id: Id | null
  presence: Presence
  memberships: unknown[]
  certified_groups: unknown[]
  capacity: { max_chats: number; max_tickets: number }
  load: { chats: number; tickets: number }
  last_assigned_at: Timestamp | null
  languages: string[]
}

// ---------- routing (路由与排班)
export const STRATEGIES = ['round_robin', 'least_loaded', 'skill_priority'] as const
export type Strategy = (typeof STRATEGIES)[number]

export interface GroupMatch {
  channels: Channel[]
  categories: string[]
  member_tiers: string[]
  languages: string[]
}

/** A skill group (技能组). */
export interface SkillGroup {
  id: Id
  merchant_id: Id | null
  name: string
  position: number
  strategy: Strategy
  matching: GroupMatch
  vip_dedicated: boolean
  overflow_to: Id | null
  overflow_after_secs: number | null
}
export interface SkillGroupInput {
  merchant_id?: Id
  name: string
  position: number
  strategy: Strategy
  matching: GroupMatch
  vip_dedicated: boolean
  overflow_to?: Id | null
  overflow_after_secs?: number | null
}

export interface Membership {
  group_id: Id
  user_id: Id
  /** 1–5 */
  skill_level: number
  /** 0–255, lower first */
  priority: number
}
export interface MembershipInput {
  user_id: Id
  skill_level?: number
  priority?: number
}

/** 上岗认证 */
export interface Certification {
  id: Id
  user_id: Id
  group_id: Id
  source: string | null
  granted_by: Id | null
  granted_at: Timestamp
  revoked_at: Timestamp | null
}

export interface Capacity {
  max_chats: number
  max_tickets: number
}

export interface LiveQueue {
  group_id: Id | null
  name: string
  waiting: number
  longest_wait_secs: number
}
export interface LiveAgent {
  user_id: Id
  username: string
  display_name: string
  merchant_id: Id | null
  presence: Presence
  since: Timestamp
  capacity: Capacity
  open_tickets: number
}
/** GET /routing/live and each `live` event of /routing/live/stream. */
export interface LiveView {
  at: Timestamp
  queues: LiveQueue[]
  agents: LiveAgent[]
  presence_counts: Partial<Record<PresenceStatus, number>> & Record<string, number>
  sla_due_soon: number
  sla_overdue: number
}

export interface AttendanceRow {
  user_id: Id
  on_duty_secs: number
  online_secs: number
  busy_secs: number
  away_secs: number
  first_on_duty_at: Timestamp | null
  last_change_at: Timestamp | null
}
export interface Attendance {
  date: string
  rows: AttendanceRow[]
}
