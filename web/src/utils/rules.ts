// Client-side checks that mirror the server's (kefu-core org.rs / security.rs). The server stays the
// judge: its validation errors are shown next to the field too.
import type { FormItemRule } from 'element-plus'

type T = (key: string, named?: Record<string, unknown>) => string

export const CODE_RE = /^[a-z][a-z0-9_-]{1,39}$/
export const USERNAME_RE = /^[A-Za-z0-9._@-]{3,64}$/

export function required(t: T, field: string, select = false): FormItemRule {
  return {
    required: true,
    trigger: select ? 'change' : 'blur',
    message: t(select ? 'validation.requiredSelect' : 'validation.required', { field }),
    ...(select ? {} : { whitespace: true }),
  }
}

export const codeRule = (t: T): FormItemRule => ({ pattern: CODE_RE, message: t('validation.code'), trigger: 'blur' })
export const usernameRule = (t: T): FormItemRule => ({ pattern: USERNAME_RE, message: t('validation.username'), trigger: 'blur' })
export const nameRule = (t: T): FormItemRule => ({ max: 100, message: t('validation.name'), trigger: 'blur' })

export function passwordOk(password: string, username = ''): boolean {
  const n = [...password].length
  if (n < 10 || n > 128) return false
  const classes = [/\p{Ll}/u, /\p{Lu}/u, /[0-9]/, /[^A-Za-z0-9\p{Ll}\p{Lu}]/u].filter((re) => re.test(password)).length
  if (classes < 2) return false
  return !(username && password.toLowerCase() === username.toLowerCase())
}

export function passwordRule(t: T, username: () => string = () => ''): FormItemRule {
  return {
    trigger: 'blur',
    validator: (_r, value: string, cb) => (passwordOk(value ?? '', username()) ? cb() : cb(new Error(t('validation.password')))),
  }
}

export const totpRule = (t: T): FormItemRule => ({ pattern: /^\d{6}$/, message: t('validation.totpCode'), trigger: 'blur' })
