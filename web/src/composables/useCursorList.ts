import { ref, shallowRef, type Ref } from 'vue'
import type { Page, PageQuery } from '@/api/types'

/** A table fed by cursor pagination: first page on reload(), next pages appended by loadMore(). */
export function useCursorList<T extends { id: number | string }>(
  loader: (q: PageQuery) => Promise<Page<T>>,
  limit = 50,
) {
  const items = ref([]) as Ref<T[]>
  const nextCursor = ref<string | null>(null)
  const loading = ref(false)
  const loaded = ref(false)
  const error = shallowRef<unknown>(null)
  let generation = 0

  async function fetchPage(cursor: string | null, append: boolean) {
    const gen = ++generation
    loading.value = true
    error.value = null
    try {
      const page = await loader({ limit, cursor })
      if (gen !== generation) return
      const got = page.items ?? []
      if (append) {
        const seen = new Set(items.value.map((i) => i.id))
        items.value = [...items.value, ...got.filter((i) => !seen.has(i.id))]
      } else {
        items.value = got
      }
      nextCursor.value = page.next_cursor ?? null
      loaded.value = true
    } catch (e) {
      if (gen === generation) error.value = e
    } finally {
      if (gen === generation) loading.value = false
    }
  }

  const reload = () => fetchPage(null, false)
  const loadMore = () => (nextCursor.value ? fetchPage(nextCursor.value, true) : Promise.resolve())

  /** Put a freshly created or changed record in view without waiting for a reload. */
  function upsert(item: T, atTop = true) {
    const i = items.value.findIndex((x) => x.id === item.id)
    if (i >= 0) {
      const copy = items.value.slice()
      copy[i] = item
      items.value = copy
    } else {
      items.value = atTop ? [item, ...items.value] : [...items.value, item]
    }
  }

  return { items, nextCursor, loading, loaded, error, reload, loadMore, upsert }
}
