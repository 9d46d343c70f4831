// Drafts that outlive the page: a reply being typed is kept in sessionStorage under the user and the
// ticket, so a session that expires mid-work (the app goes to the login page) or a reload loses nothing.
// sessionStorage ends with the tab and explicit logout clears it, so a shared computer keeps no drafts.
import { ref, watch, type Ref } from 'vue'

const PREFIX = 'kefu.draft.'

function storage(): Storage | null {
  try {
    return globalThis.sessionStorage ?? null
  } catch {
    return null
  }
}

export function draftKey(userId: number | null | undefined, what: string): string | null {
  return userId == null ? null : `${PREFIX}${userId}.${what}`
}

/**
 * A text ref saved under `key()` on every change and restored whenever the key changes (another ticket,
 * or the same user back after logging in again). While the key is null (nobody logged in) the text
 * stays as it is and nothing is written.
 */
export function useDraft(key: () => string | null): Ref<string> {
  const text = ref('')
  let current: string | null = null
  watch(
    key,
    (k) => {
      if (k === null || k === current) return
      current = k
      text.value = storage()?.getItem(k) ?? ''
    },
    { immediate: true },
  )
  watch(text, (v) => {
    const s = storage()
    if (!current || !s) return
    try {
      if (v) s.setItem(current, v)
      else s.removeItem(current)
    } catch {
      /* storage full or disabled: the draft still lives in memory */
    }
  })
  return text
}

/** Forget every saved draft (explicit logout). */
export function clearDrafts(): void {
  const s = storage()
  if (!s) return
  for (let i = s.length - 1; i >= 0; i--) {
    const k = s.key(i)
    if (k?.startsWith(PREFIX)) s.removeItem(k)
  }
}
