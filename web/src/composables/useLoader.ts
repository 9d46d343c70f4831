// The loading state of a screen that reads one thing: the data, whether it is loading, the error to show
// (with a retry), and `load` to read it again after a change.
import { ref, type Ref } from 'vue'

export function useLoader<T>(fetch: () => Promise<T>, initial: T) {
  const data = ref(initial) as Ref<T>
  const loading = ref(false)
  const loadError = ref<unknown>(null)
  async function load(): Promise<void> {
    loading.value = true
    loadError.value = null
    try {
      data.value = await fetch()
    } catch (e) {
      loadError.value = e
    } finally {
      loading.value = false
    }
  }
  return { data, loading, loadError, load }
}
