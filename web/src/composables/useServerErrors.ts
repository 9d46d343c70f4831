import { reactive, ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { isApiError, type ApiError } from '@/api'
import { errorTitle } from '@/i18n'

/**
 * Server errors for one form: a field error goes next to its field (el-form-item :error),
 * anything else to a banner above the form.
 */
export function useServerErrors(knownFields: string[] = [], aliases: Record<string, string> = {}) {
  const { t } = useI18n()
  const fieldErrors = reactive<Record<string, string>>({})
  const formError = ref<ApiError | null>(null)
  const formErrorText = ref('')

  function clear() {
    for (const k of Object.keys(fieldErrors)) delete fieldErrors[k]
    formError.value = null
    formErrorText.value = ''
  }

  /** Returns true when the error was shown (always, for API errors). */
  function show(e: unknown): boolean {
    clear()
    if (isApiError(e)) {
      const field = e.field ? (aliases[e.field] ?? e.field) : null
      if (field && (knownFields.length === 0 || knownFields.includes(field))) {
        fieldErrors[field] = e.message
        return true
      }
      formError.value = e
      formErrorText.value = e.message
      return true
    }
    formErrorText.value = (e as Error)?.message ?? String(e)
    return true
  }

  /** A title for the banner: the localised name of the code. */
  function titleFor(e: ApiError | null): string {
    return e ? errorTitle(e.code) : t('errors.title')
  }

  return { fieldErrors, formError, formErrorText, clear, show, titleFor }
}

/** A localised one-line description of any error, for toasts. */
export function describeError(_t: (k: string) => string, e: unknown): string {
  if (isApiError(e)) return `${errorTitle(e.code)}：${e.message}`
  return (e as Error)?.message ?? String(e)
}
