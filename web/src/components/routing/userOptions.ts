import { computed } from 'vue'
import type { User } from '@/api'
import { userLookup } from '@/stores/lookups'

/** Staff who can take work, for the pickers: enabled accounts, agents first. */
export const staffOptions = computed<User[]>(() =>
  userLookup.items.value.filter((u) => !u.disabled).sort((a, b) => a.display_name.localeCompare(b.display_name, 'zh-CN')),
)

export const userLabel = (u: Pick<User, 'display_name' | 'username'>) => `${u.display_name}（${u.username}）`

/** Seconds as 3 小时 20 分 / 3 h 20 min. */
export function hoursMinutes(t: (k: string, v?: Record<string, unknown>) => string, secs: number): string {
  const total = Math.max(0, Math.round(secs / 60))
  const h = Math.floor(total / 60)
  const m = total % 60
  return h ? t('routing.hm', { h, m }) : t('routing.m', { m })
}
