// The logged-in user. The session itself is the HttpOnly cookie; this only mirrors GET /me.
import { clearDrafts } from '@/composables/useDraft'
import { computed, ref } from 'vue'
import { authApi, isApiError, type Me } from '@/api'

const me = ref<Me | null>(null)
/** True once /me has been asked at least once (answer may be "not logged in"). */
const checked = ref(false)
let inflight: Promise<Me | null> | null = null

async function fetchMe(force = false): Promise<Me | null> {
  if (checked.value && !force) return me.value
  if (inflight) return inflight
  inflight = (async () => {
    try {
      me.value = await authApi.me()
    } catch (e) {
      if (isApiError(e) && (e.status === 401 || e.code === 'unauthenticated')) {
        me.value = null
      } else {
        // Server unreachable or broken: do not pretend to be logged out forever; ask again next time.
        inflight = null
        throw e
      }
    }
    checked.value = true
    inflight = null
    return me.value
  })()
  return inflight
}

function setMe(user: Me | null) {
  me.value = user
  checked.value = true
}

async function logout(): Promise<void> {
  try {
    await authApi.logout()
  } finally {
    clearDrafts()
    setMe(null)
  }
}

function can(permission: string | undefined): boolean {
  if (!permission) return true
  return !!me.value?.permissions?.includes(permission)
}

export function useSession() {
  return {
    me,
    checked,
    isPlatformStaff: computed(() => !!me.value && me.value.merchant_id === null),
    fetchMe,
    setMe,
    logout,
    can,
  }
}
