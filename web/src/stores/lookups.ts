// Small caches of merchants, teams, departments and users, so tables can show names instead of ids
// and dialogs can offer them in selects. Each list is read in pages, bounded, and only when allowed.
import { reactive, ref, watch, type Ref } from 'vue'
import { departmentsApi, merchantsApi, teamsApi, usersApi, type Page, type PageQuery } from '@/api'
import type { Department, Merchant, Team, User } from '@/api/types'
import { useSession } from './session'

const PAGE = 100
const MAX_PAGES = 20

interface Lookup<T extends { id: number }> {
  items: Ref<T[]>
  loading: Ref<boolean>
  ensure: () => Promise<void>
  refresh: () => Promise<void>
  get: (id: number | null | undefined) => T | undefined
  put: (item: T) => void
  reset: () => void
}

function makeLookup<T extends { id: number }>(loader: (q: PageQuery) => Promise<Page<T>>, permission: string): Lookup<T> {
  const items = ref([]) as Ref<T[]>
  const loading = ref(false)
  const index = reactive(new Map<number, T>()) as Map<number, T>
  let done = false
  let inflight: Promise<void> | null = null

  async function load() {
    const session = useSession()
    if (!session.can(permission)) return
    loading.value = true
    try {
      const all: T[] = []
      let cursor: string | null = null
      for (let i = 0; i < MAX_PAGES; i++) {
        const page: Page<T> = await loader({ limit: PAGE, cursor })
        all.push(...(page.items ?? []))
        cursor = page.next_cursor ?? null
        if (!cursor) break
      }
      items.value = all
      index.clear()
      for (const it of all) index.set(it.id, it)
      done = true
    } catch {
      /* names fall back to ids */
    } finally {
      loading.value = false
      inflight = null
    }
  }

  return {
    items,
    loading,
    ensure() {
      if (done) return Promise.resolve()
      return (inflight ??= load())
    },
    refresh() {
      done = false
      return (inflight ??= load())
    },
    get(id) {
      return id === null || id === undefined ? undefined : index.get(id)
    },
    reset() {
      done = false
      items.value = []
      index.clear()
    },
    put(item) {
      index.set(item.id, item)
      const i = items.value.findIndex((x) => x.id === item.id)
      if (i >= 0) items.value.splice(i, 1, item)
      else items.value = [...items.value, item]
    },
  }
}

export const merchantLookup = makeLookup<Merchant>(merchantsApi.list, 'merchant.read')
export const teamLookup = makeLookup<Team>(teamsApi.list, 'team.read')
export const departmentLookup = makeLookup<Department>(departmentsApi.list, 'department.read')
export const userLookup = makeLookup<User>(usersApi.list, 'user.read')

// Another account in the same tab sees other tenants: forget everything when the user changes.
watch(
  () => useSession().me.value?.id,
  () => {
    for (const l of [merchantLookup, teamLookup, departmentLookup, userLookup]) l.reset()
  },
)
