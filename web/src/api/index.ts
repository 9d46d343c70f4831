// One function per endpoint, typed. Screens import from here, never call fetch themselves.
import { API_BASE, http, uploadRaw } from './client'
import type {
  AgentState,
  Attendance,
  Capacity,
  Certification,
  LiveView,
  Membership,
  MembershipInput,
  SkillGroup,
  SkillGroupInput,
  Presence,
  QuickReply,
  QuickReplyInput,
  Attachment,
  BulkAction,
  BulkResult,
  Category,
  Customer,
  CustomerQuery,
  DepartmentTask,
  DepartmentTaskQuery,
  NewCustomer,
  NewTicket,
  Revealed,
  RevealField,
  SavedView,
  Ticket,
  TicketDetail,
  TicketEvent,
  TicketFilter,
  TicketHit,
  TicketPatch,
  TicketQuery,
  TicketStatus,
  Tier,
  Timestamp,
  HolidayImport,
  HolidayYear,
  SlaCalendar,
  SlaCalendarInput,
  SlaPolicy,
  SlaPolicyInput,
  SlaReport,
  SlaReportQuery,
  TicketSla,
  ApiToken,
  AuditQuery,
  AuditRecord,
  CreatedApiToken,
  Department,
  Id,
  LoginRequest,
  LoginResponse,
  Me,
  Merchant,
  MerchantPatch,
  NewApiToken,
  NewDepartment,
  NewMerchant,
  NewTeam,
  NewUser,
  Page,
  PageQuery,
  RetentionSettings,
  SecuritySettings,
  Team,
  TotpEnrollment,
  User,
  UserPatch,
} from './types'

export * from './client'
export * from './types'

const pageQuery = (q: PageQuery = {}) => ({ limit: q.limit, cursor: q.cursor ?? undefined })

export const authApi = {
  login: (body: LoginRequest) => http.post<LoginResponse>('/auth/login', body, { allowUnauthenticated: true }),
  logout: () => http.post<void>('/auth/logout', undefined, { allowUnauthenticated: true }),
  me: () => http.get<Me>('/me', undefined, { allowUnauthenticated: true }),
  changePassword: (current_password: string, new_password: string) =>
    http.post<void>('/me/password', { current_password, new_password }),
  enrollTotp: () => http.post<TotpEnrollment>('/me/totp/enroll'),
  confirmTotp: (code: string) => http.post<void>('/me/totp/confirm', { code }),
  disableTotp: (code: string) => http.del<void>('/me/totp', { code }),
}

export const merchantsApi = {
  list: (q?: PageQuery) => http.get<Page<Merchant>>('/merchants', pageQuery(q)),
  create: (body: NewMerchant) => http.post<Merchant>('/merchants', body),
  update: (id: Id, body: MerchantPatch) => http.patch<Merchant>(`/merchants/${id}`, body),
}

export const teamsApi = {
  list: (q?: PageQuery) => http.get<Page<Team>>('/teams', pageQuery(q)),
  create: (body: NewTeam) => http.post<Team>('/teams', body),
}

export const departmentsApi = {
  list: (q?: PageQuery) => http.get<Page<Department>>('/departments', pageQuery(q)),
  create: (body: NewDepartment) => http.post<Department>('/departments', body),
}

export const usersApi = {
  list: (q?: PageQuery) => http.get<Page<User>>('/users', pageQuery(q)),
  get: (id: Id) => http.get<User>(`/users/${id}`),
  create: (body: NewUser) => http.post<User>('/users', body),
  update: (id: Id, body: UserPatch) => http.patch<User>(`/users/${id}`, body),
  unlock: (id: Id) => http.post<User | void>(`/users/${id}/unlock`),
  setPassword: (id: Id, password: string) => http.post<void>(`/users/${id}/password`, { password }),
  resetTotp: (id: Id) => http.del<void>(`/users/${id}/totp`),
}

export const apiTokensApi = {
  list: (q?: PageQuery) => http.get<Page<ApiToken>>('/api-tokens', pageQuery(q)),
  create: (body: NewApiToken) => http.post<CreatedApiToken>('/api-tokens', body),
  revoke: (id: Id) => http.del<ApiToken | void>(`/api-tokens/${id}`),
}

export const auditApi = {
  list: (q: AuditQuery = {}) =>
    http.get<Page<AuditRecord>>('/audit', {
      ...pageQuery(q),
      actor_id: q.actor_id,
      action: q.action,
      object_type: q.object_type,
      object_id: q.object_id,
      from: q.from,
      to: q.to,
    }),
}

export const settingsApi = {
  getSecurity: () => http.get<SecuritySettings>('/settings/security'),
  putSecurity: (body: SecuritySettings) => http.put<SecuritySettings>('/settings/security', body),
  getRetention: () => http.get<RetentionSettings>('/settings/retention'),
  putRetention: (body: RetentionSettings) => http.put<RetentionSettings>('/settings/retention', body),
}

const clean = <T extends object>(q: T) => Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined && v !== null && v !== ''))

export const ticketsApi = {
  list: (q: TicketQuery = {}) => http.get<Page<TicketHit>>('/tickets', clean({ ...q, cursor: q.cursor ?? undefined })),
  get: (id: Id) => http.get<TicketDetail>(`/tickets/${id}`),
  events: (id: Id) => http.get<TicketEvent[]>(`/tickets/${id}/events`),
  sla: (id: Id) => http.get<TicketSla>(`/tickets/${id}/sla`),
  create: (body: NewTicket) => http.post<Ticket>('/tickets', body),
  update: (id: Id, body: TicketPatch) => http.patch<Ticket>(`/tickets/${id}`, body),
  reply: (id: Id, body: string, expected_version?: number) => http.post<Ticket>(`/tickets/${id}/replies`, { body, expected_version }),
  note: (id: Id, body: string, expected_version?: number) => http.post<Ticket>(`/tickets/${id}/notes`, { body, expected_version }),
  take: (id: Id, expected_version?: number) => http.post<Ticket>(`/tickets/${id}/take`, { expected_version }),
  transfer: (id: Id, body: { user_id?: Id; team_id?: Id; reason: string; expected_version?: number }) =>
    http.post<Ticket>(`/tickets/${id}/transfer`, body),
  escalate: (id: Id, body: { tier: Tier; reason: string; expected_version?: number }) => http.post<Ticket>(`/tickets/${id}/escalate`, body),
  setStatus: (id: Id, status: TicketStatus, expected_version?: number) => http.post<Ticket>(`/tickets/${id}/status`, { status, expected_version }),
  statusLink: (id: Id) => http.post<{ url: string; expires_at: Timestamp }>(`/tickets/${id}/status-link`),
  followUp: (id: Id, body: string) => http.post<Ticket>(`/tickets/${id}/follow-up`, { body }),
  openTask: (id: Id, body: { department_id: Id; request: string; due_at: string; expected_version?: number }) =>
    http.post<Ticket>(`/tickets/${id}/department-tasks`, body),
  answerTask: (id: Id, taskNo: number, answer: string) => http.post<Ticket>(`/tickets/${id}/department-tasks/${taskNo}/answer`, { answer }),
  merge: (id: Id, into_ticket_id: Id) => http.post<Ticket>(`/tickets/${id}/merge`, { into_ticket_id }),
  link: (id: Id, ticket_id: Id) => http.post<Ticket>(`/tickets/${id}/links`, { ticket_id }),
  split: (id: Id, message_id: Id, subject?: string) => http.post<Ticket>(`/tickets/${id}/split`, { message_id, subject: subject || undefined }),
  upload: (id: Id, file: File) => uploadRaw<Attachment>(`/tickets/${id}/attachments`, file, { file_name: file.name }),
  bulk: (ticket_ids: Id[], action: BulkAction) => http.post<BulkResult[]>('/tickets/bulk', { ticket_ids, ...action }),
}

/** Where the browser downloads an attachment (same-origin, the session cookie authorises it). */
export const attachmentUrl = (id: Id) => `${API_BASE}/attachments/${id}`

export const categoriesApi = {
  list: () => http.get<Category[]>('/categories'),
  /** Add a category (ticket.supervise); there is no edit or delete in the API. */
  create: (body: { code: string; name: string; parent_code?: string | null; position?: number; merchant_id?: Id | null }) =>
    http.post<Category>('/categories', { ...body, parent_code: body.parent_code || undefined, merchant_id: body.merchant_id || undefined }),
}

export const viewsApi = {
  list: () => http.get<SavedView[]>('/views'),
  create: (name: string, filters: TicketFilter, shared = false) => http.post<SavedView>('/views', { name, filters, shared }),
  remove: (id: Id) => http.del<void>(`/views/${id}`),
}

export const departmentTasksApi = {
  list: (q: DepartmentTaskQuery = {}) => http.get<Page<DepartmentTask>>('/department-tasks', clean({ ...q, cursor: q.cursor ?? undefined })),
}

export const customersApi = {
  list: (q: CustomerQuery = {}) => http.get<Page<Customer>>('/customers', clean({ ...q, cursor: q.cursor ?? undefined })),
  get: (id: Id) => http.get<Customer>(`/customers/${id}`),
  create: (body: NewCustomer) => http.post<Customer>('/customers', body),
  reveal: (id: Id, field: RevealField, reason: string) => http.post<Revealed>(`/customers/${id}/reveal`, { field, reason }),
  tickets: (id: Id, q?: PageQuery) => http.get<Page<Ticket>>(`/customers/${id}/tickets`, pageQuery(q)),
}

export const slaApi = {
  policies: () => http.get<SlaPolicy[]>('/sla/policies'),
  createPolicy: (body: SlaPolicyInput) => http.post<SlaPolicy>('/sla/policies', body),
  updatePolicy: (id: Id, body: SlaPolicyInput) => http.put<SlaPolicy>(`/sla/policies/${id}`, body),
  calendars: () => http.get<SlaCalendar[]>('/sla/calendars'),
  createCalendar: (body: SlaCalendarInput) => http.post<SlaCalendar>('/sla/calendars', body),
  updateCalendar: (id: Id, body: SlaCalendarInput) => http.put<SlaCalendar>(`/sla/calendars/${id}`, body),
  holidays: () => http.get<HolidayYear[]>('/sla/holidays'),
  importHolidays: (body: HolidayImport) => http.post<HolidayYear>('/sla/holidays', body),
  report: (q: SlaReportQuery = {}) => http.get<SlaReport>('/reports/sla', clean({ ...q })),
}

/** The public, server-rendered page of a merchant's (or the platform's) service commitments. */
export const commitmentsUrl = (merchantId?: Id | null) => (merchantId ? `/commitments/${merchantId}` : '/commitments')

export const quickRepliesApi = {
  list: (q?: string) => http.get<QuickReply[]>('/quick-replies', { q }),
  create: (body: QuickReplyInput) => http.post<QuickReply>('/quick-replies', body),
  update: (id: Id, body: QuickReplyInput) => http.put<QuickReply>(`/quick-replies/${id}`, body),
  remove: (id: Id) => http.del<void>(`/quick-replies/${id}`),
  /** The body with {客户称呼} {订单号} {客服昵称} {工单号} filled in for that ticket. */
  render: (id: Id, ticket_id: Id) => http.get<{ body: string }>(`/quick-replies/${id}/render`, { ticket_id }),
}

export const presenceApi = {
  get: () => http.get<AgentState>('/me/presence'),
  set: (presence: Presence) => http.put<AgentState>('/me/presence', presence),
  heartbeat: () => http.post<void>('/me/presence/heartbeat'),
}

export const routingApi = {
  groups: () => http.get<SkillGroup[]>('/routing/groups'),
  createGroup: (body: SkillGroupInput) => http.post<SkillGroup>('/routing/groups', body),
  updateGroup: (id: Id, body: SkillGroupInput) => http.put<SkillGroup>(`/routing/groups/${id}`, body),
  members: (groupId: Id) => http.get<Membership[]>(`/routing/groups/${groupId}/members`),
  /** Replaces the group's members. */
  setMembers: (groupId: Id, body: MembershipInput[]) => http.put<Membership[] | void>(`/routing/groups/${groupId}/members`, body),
  certifications: (userId: Id) => http.get<Certification[]>(`/users/${userId}/certifications`),
  grantCertification: (userId: Id, group_id: Id, source?: string) =>
    http.post<Certification>(`/users/${userId}/certifications`, { group_id, source: source || undefined }),
  setCapacity: (userId: Id, body: Capacity) => http.put<void>(`/users/${userId}/capacity`, body),
  live: () => http.get<LiveView>('/routing/live'),
  attendance: (date?: string) => http.get<Attendance>('/routing/attendance', { date }),
}

/** The live view as server-sent events (EventSource sends the session cookie). */
export const liveStreamUrl = (maxSecs = 600) => `${API_BASE}/routing/live/stream?max_secs=${maxSecs}`
