import { computed } from 'vue'
import { createI18n } from 'vue-i18n'
import zhCN, { type MessageSchema } from './locales/zh-CN'
import en from './locales/en'
import elZhCn from 'element-plus/es/locale/lang/zh-cn'
import elEn from 'element-plus/es/locale/lang/en'

export type AppLocale = 'zh-CN' | 'en'
export const LOCALES: AppLocale[] = ['zh-CN', 'en']
const STORAGE_KEY = 'kefu.locale'

function initialLocale(): AppLocale {
  try {
    const saved = localStorage.getItem(STORAGE_KEY)
    if (saved === 'en' || saved === 'zh-CN') return saved
  } catch {
    /* storage may be unavailable */
  }
  // Simplified Chinese unless the user asked for English.
  return 'zh-CN'
}

export const i18n = createI18n<[MessageSchema], AppLocale, false>({
  legacy: false,
  locale: initialLocale(),
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zhCN, en },
})

export const currentLocale = computed<AppLocale>(() => i18n.global.locale.value as AppLocale)
export const elementLocale = computed(() => (currentLocale.value === 'en' ? elEn : elZhCn))

function applyDocument(l: AppLocale) {
  document.documentElement.lang = l
  document.title = i18n.global.t('app.product')
}

export function setLocale(l: AppLocale): void {
  i18n.global.locale.value = l
  try {
    localStorage.setItem(STORAGE_KEY, l)
  } catch {
    /* ignore */
  }
  applyDocument(l)
}

applyDocument(i18n.global.locale.value as AppLocale)

/** The localised name of an API error code (falls back to a generic title for codes this UI does not know). */
export function errorTitle(code: string | null | undefined): string {
  const key = `errors.${code}`
  return code && i18n.global.te(key) ? i18n.global.t(key) : i18n.global.t('errors.title')
}
