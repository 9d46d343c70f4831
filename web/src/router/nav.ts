// The screens and who may see them: one list feeds the router, the side menu and the workbench links.
import type { Component } from 'vue'
import { Shop, UserFilled, OfficeBuilding, User, Key, Document, Lock, Avatar, Tickets, Postcard, Connection, Timer, Share, Monitor, ChatDotRound, Promotion, Files, DataLine, Stamp, Wallet } from '@element-plus/icons-vue'
import { Phone } from '@element-plus/icons-vue'
import { WarnTriangleFilled } from '@element-plus/icons-vue'

export interface NavItem {
  name: string
  path: string
  /** i18n key of the menu label and page title */
  title: string
  /** i18n key of a one-line description for the workbench */
  desc: string
  permission: string
  icon: Component
  group: 'work' | 'admin' | 'personal'
}

export const NAV: NavItem[] = [
  { name: 'tickets', path: '/tickets', title: 'nav.tickets', desc: 'home.links.tickets', permission: 'ticket.read', icon: Tickets, group: 'work' },
  { name: 'chats', path: '/chats', title: 'nav.chats', desc: 'home.links.chats', permission: 'ticket.work', icon: ChatDotRound, group: 'work' },
  { name: 'customers', path: '/customers', title: 'nav.customers', desc: 'home.links.customers', permission: 'customer.read', icon: Postcard, group: 'work' },
  { name: 'department-tasks', path: '/department-tasks', title: 'nav.departmentTasks', desc: 'home.links.departmentTasks', permission: 'ticket.read', icon: Connection, group: 'work' },
  { name: 'routing-live', path: '/routing/live', title: 'nav.routingLive', desc: 'home.links.routingLive', permission: 'routing.read', icon: Monitor, group: 'work' },
  { name: 'dashboard', path: '/dashboard', title: 'nav.dashboard', desc: 'home.links.dashboard', permission: 'sla.read', icon: DataLine, group: 'work' },
  { name: 'approvals', path: '/approvals', title: 'approvals.nav', desc: 'approvals.navDesc', permission: 'approval.decide', icon: Stamp, group: 'work' },
  { name: 'complaints', path: '/complaints', title: 'complaints.nav', desc: 'complaints.navDesc', permission: 'ticket.read', icon: WarnTriangleFilled, group: 'work' },
  { name: 'follow-ups', path: '/follow-ups', title: 'satisfaction.nav', desc: 'satisfaction.navDesc', permission: 'ticket.work', icon: Phone, group: 'work' },
  { name: 'merchants', path: '/admin/merchants', title: 'nav.merchants', desc: 'home.links.merchants', permission: 'merchant.read', icon: Shop, group: 'admin' },
  { name: 'teams', path: '/admin/teams', title: 'nav.teams', desc: 'home.links.teams', permission: 'team.read', icon: UserFilled, group: 'admin' },
  { name: 'departments', path: '/admin/departments', title: 'nav.departments', desc: 'home.links.departments', permission: 'department.read', icon: OfficeBuilding, group: 'admin' },
  { name: 'users', path: '/admin/users', title: 'nav.users', desc: 'home.links.users', permission: 'user.read', icon: User, group: 'admin' },
  { name: 'api-tokens', path: '/admin/api-tokens', title: 'nav.apiTokens', desc: 'home.links.apiTokens', permission: 'token.manage', icon: Key, group: 'admin' },
  { name: 'sla', path: '/admin/sla', title: 'nav.sla', desc: 'home.links.sla', permission: 'sla.read', icon: Timer, group: 'admin' },
  { name: 'routing', path: '/admin/routing', title: 'nav.routing', desc: 'home.links.routing', permission: 'routing.read', icon: Share, group: 'admin' },
  { name: 'categories', path: '/admin/categories', title: 'nav.categories', desc: 'home.links.categories', permission: 'ticket.supervise', icon: Files, group: 'admin' },
  { name: 'channels', path: '/admin/channels', title: 'nav.channels', desc: 'home.links.channels', permission: 'channel.manage', icon: Promotion, group: 'admin' },
  { name: 'authority-limits', path: '/admin/authority-limits', title: 'approvals.limitsNav', desc: 'approvals.limitsNavDesc', permission: 'authority.manage', icon: Wallet, group: 'admin' },
  { name: 'audit', path: '/admin/audit', title: 'nav.audit', desc: 'home.links.audit', permission: 'audit.read', icon: Document, group: 'admin' },
  { name: 'security', path: '/admin/security', title: 'nav.security', desc: 'home.links.security', permission: 'security.manage', icon: Lock, group: 'admin' },
  { name: 'account', path: '/account/security', title: 'nav.account', desc: 'home.links.account', permission: 'self_service', icon: Avatar, group: 'personal' },
]
