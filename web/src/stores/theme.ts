import { ref, watch } from 'vue'

export type Theme = 'light' | 'dark'
const STORAGE_KEY = 'kefu.theme'

function initial(): Theme {
  // index.html applied the class before first paint; read it back.
  return document.documentElement.classList.contains('dark') ? 'dark' : 'light'
}

export const theme = ref<Theme>(initial())

watch(theme, (t) => {
  document.documentElement.classList.toggle('dark', t === 'dark')
  try {
    localStorage.setItem(STORAGE_KEY, t)
  } catch {
    /* ignore */
  }
})

export function toggleTheme() {
  theme.value = theme.value === 'dark' ? 'light' : 'dark'
}
