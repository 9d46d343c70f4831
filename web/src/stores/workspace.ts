// Caches for the agent workspace: the category tree, and names of users, teams and departments
// (looked up once, then from memory). Names fall back to "#id" while unknown.
import { computed, reactive, ref, watch } from 'vue'
import { categoriesApi, usersApi } from '@/api'
import type { Category, User } from '@/api/types'
import { departmentLookup, teamLookup, userLookup } from './lookups'
import { useSession } from './session'

const categories = ref<Category[]>([])
let categoriesLoaded: Promise<void> | null = null

export function ensureCategories(): Promise<void> {
  if (!useSession().can('ticket.read')) return Promise.resolve()
  return (categoriesLoaded ??= categoriesApi
    .list()
    .then((c) => {
      categories.value = c
    })
    .catch(() => {
      categoriesLoaded = null
    }))
}

/** Read the categories again (after one was added). */
export function reloadCategories(): Promise<void> {
  categoriesLoaded = null
  return ensureCategories()
}

export interface CategoryNode {
  value: string
  label: string
  children?: CategoryNode[]
}

/** The active categories as a tree for el-tree-select (parents before children, by position). */
export const categoryTree = computed<CategoryNode[]>(() => {
  const active = categories.value.filter((c) => c.active).sort((a, b) => a.position - b.position)
  const byParent = new Map<string | null, Category[]>()
  const codes = new Set(active.map((c) => c.code))
  for (const c of active) {
    const parent = c.parent_code && codes.has(c.parent_code) ? c.parent_code : null
    byParent.set(parent, [...(byParent.get(parent) ?? []), c])
  }
  const build = (parent: string | null, depth: number): CategoryNode[] =>
    (byParent.get(parent) ?? []).map((c) => {
      const children = depth < 5 ? build(c.code, depth + 1) : []
      return children.length ? { value: c.code, label: c.name, children } : { value: c.code, label: c.name }
    })
  return build(null, 0)
})

/** "售后 / 退货" for a category code; the code itself when unknown. */
export function categoryName(code: string | null | undefined): string {
  if (!code) return ''
  const byCode = new Map(categories.value.map((c) => [c.code, c]))
  const c = byCode.get(code)
  if (!c) return code
  const parent = c.parent_code ? byCode.get(c.parent_code) : undefined
  return parent ? `${parent.name} / ${c.name}` : c.name
}

// Users outside the list (another tenant's staff on a platform ticket, disabled accounts …) are read one by one.
const extraUsers = reactive(new Map<number, User | null>())
const pending = new Set<number>()

function fetchUser(id: number) {
  if (pending.has(id) || extraUsers.has(id)) return
  pending.add(id)
  usersApi
    .get(id)
    .then((u) => extraUsers.set(id, u))
    .catch(() => extraUsers.set(id, null))
    .finally(() => pending.delete(id))
}

export function ensureNames(): void {
  void userLookup.ensure()
  void teamLookup.ensure()
  void departmentLookup.ensure()
  void ensureCategories()
}

/** A staff member's display name (looked up on demand). */
export function userName(id: number | null | undefined): string {
  if (id === null || id === undefined) return ''
  const u = userLookup.get(id) ?? extraUsers.get(id)
  if (u) return u.display_name
  if (!userLookup.loading.value && userLookup.items.value.length > 0) fetchUser(id)
  return `#${id}`
}

/** True once the name of this user is known not to be readable (another tenant's staff). */
export function userUnknown(id: number | null | undefined): boolean {
  return id !== null && id !== undefined && !userLookup.get(id) && extraUsers.get(id) === null
}

export function teamName(id: number | null | undefined): string {
  if (id === null || id === undefined) return ''
  return teamLookup.get(id)?.name ?? `#${id}`
}

export function departmentName(id: number | null | undefined): string {
  if (id === null || id === undefined) return ''
  return departmentLookup.get(id)?.name ?? `#${id}`
}

// Another account in the same tab sees other tenants: forget everything when the user changes.
watch(
  () => useSession().me.value?.id,
  () => {
    categories.value = []
    categoriesLoaded = null
    extraUsers.clear()
  },
)
