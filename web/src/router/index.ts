import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { setEnrolmentRequiredHandler, setUnauthenticatedHandler } from '@/api'
import { useSession } from '@/stores/session'
import { NAV } from './nav'

declare module 'vue-router' {
  interface RouteMeta {
    public?: boolean
    permission?: string
    title?: string
  }
}

const views: Record<string, () => Promise<unknown>> = {
  tickets: () => import('@/views/tickets/TicketsView.vue'),
  chats: () => import('@/views/tickets/ChatsView.vue'),
  customers: () => import('@/views/customers/CustomersView.vue'),
  'department-tasks': () => import('@/views/tasks/DepartmentTasksView.vue'),
  merchants: () => import('@/views/admin/MerchantsView.vue'),
  teams: () => import('@/views/admin/TeamsView.vue'),
  departments: () => import('@/views/admin/DepartmentsView.vue'),
  users: () => import('@/views/admin/UsersView.vue'),
  'api-tokens': () => import('@/views/admin/ApiTokensView.vue'),
  sla: () => import('@/views/admin/SlaView.vue'),
  routing: () => import('@/views/admin/RoutingView.vue'),
  'routing-live': () => import('@/views/routing/LiveView.vue'),
  dashboard: () => import('@/views/dashboard/DashboardView.vue'),
  channels: () => import('@/views/admin/ChannelsView.vue'),
  categories: () => import('@/views/admin/CategoriesView.vue'),
  approvals: () => import('@/views/approvals/ApprovalsView.vue'),
  'follow-ups': () => import('@/views/followups/FollowUpsView.vue'),
  complaints: () => import('@/views/complaints/ComplaintsView.vue'),
  'authority-limits': () => import('@/views/approvals/AuthorityLimitsView.vue'),
  audit: () => import('@/views/admin/AuditView.vue'),
  security: () => import('@/views/admin/SecuritySettingsView.vue'),
  account: () => import('@/views/account/AccountSecurityView.vue'),
}

const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: () => import('@/views/LoginView.vue'), meta: { public: true, title: 'login.title' } },
  {
    path: '/',
    component: () => import('@/layouts/AppShell.vue'),
    children: [
      { path: '', name: 'home', component: () => import('@/views/HomeView.vue'), meta: { title: 'nav.home' } },
      ...NAV.map(
        (n): RouteRecordRaw => ({
          path: n.path.slice(1),
          name: n.name,
          component: views[n.name] as RouteRecordRaw['component'] & object,
          meta: { permission: n.permission, title: n.title },
        }),
      ),
      {
        path: 'tickets/:id(\\d+)',
        name: 'ticket',
        component: () => import('@/views/tickets/TicketView.vue'),
        meta: { permission: 'ticket.read', title: 'ticket.title' },
      },
      {
        path: 'my-approvals',
        name: 'my-approvals',
        component: () => import('@/views/approvals/ApprovalsView.vue'),
        meta: { permission: 'ticket.work', title: 'approvals.promise.myRequests' },
      },
      { path: 'forbidden', name: 'forbidden', component: () => import('@/views/ErrorView.vue'), props: { kind: 'forbidden' } },
      { path: ':pathMatch(.*)*', name: 'not-found', component: () => import('@/views/ErrorView.vue'), props: { kind: 'not-found' } },
    ],
  },
]

export const router = createRouter({
  history: createWebHistory(import.meta.env.BASE_URL),
  routes,
})

const session = useSession()

router.beforeEach(async (to) => {
  let me = session.me.value
  if (!session.checked.value) {
    try {
      me = await session.fetchMe()
    } catch {
      // Server unreachable: let public pages render; protected ones go to login, which shows the error.
      me = null
    }
  }
  if (to.meta.public) {
    if (to.name === 'login' && me) {
      const target = typeof to.query.redirect === 'string' && to.query.redirect.startsWith('/') ? to.query.redirect : '/'
      return target
    }
    return true
  }
  if (!me) {
    return { name: 'login', query: to.fullPath !== '/' ? { redirect: to.fullPath } : {} }
  }
  if (to.meta.permission && !session.can(to.meta.permission)) {
    return { name: 'forbidden' }
  }
  // A role that must use TOTP gets nothing but its own account until the account has enrolled.
  if (me.totp_enrolment_required && to.meta.permission && to.meta.permission !== 'self_service') {
    return { name: 'account' }
  }
  return true
})

setEnrolmentRequiredHandler(() => {
  const me = session.me.value
  if (me && !me.totp_enrolment_required) session.setMe({ ...me, totp_enrolment_required: true })
  if (router.currentRoute.value.name !== 'account') void router.replace({ name: 'account' })
})

// A 401 on any call means the session is gone: back to the login page, then back here after login.
setUnauthenticatedHandler(() => {
  session.setMe(null)
  const current = router.currentRoute.value
  if (current.name !== 'login') {
    void router.replace({ name: 'login', query: { redirect: current.fullPath, expired: '1' } })
  }
})
