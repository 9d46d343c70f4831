// Shared by the browser tests: the server and browser to use (from the environment), launching Debian's
// Chromium, calling the API directly, waiting for the API response an action in the page causes,
// choosing in an Element Plus select, and numbered screenshots.
import fs from 'node:fs'
import path from 'node:path'
import { chromium } from 'playwright-core'

export const BASE = (process.env.KEFU_URL ?? '').replace(/\/+$/, '')
export const ADMIN = process.env.KEFU_ADMIN_USER ?? ''
export const ADMIN_PASSWORD = process.env.KEFU_ADMIN_PASSWORD ?? ''
export const SHOTS = process.env.KEFU_SCREENSHOTS ?? ''
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium'
export const TIMEOUT = 15_000

/** Debian's Chromium, headless, without the background connections this machine's network refuses. */
export function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

/** A caller of the JSON API with the bearer token `token()` gives (none when empty). */
export function apiClient(token) {
  return async function api(method, pathPart, body) {
    const t = token()
    const res = await fetch(`${BASE}/api/v1${pathPart}`, {
      method,
      headers: { 'content-type': 'application/json', ...(t ? { authorization: `Bearer ${t}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    const json = text ? JSON.parse(text) : null
    if (!res.ok) throw new Error(`${method} ${pathPart} answered ${res.status}: ${text}`)
    return json
  }
}

/** Run an action in the page and return the status and JSON body of the API response it causes. */
export async function apiResponse(page, method, pathPart, action, query = {}) {
  const matches = (r) => {
    if (r.request().method() !== method) return false
    const u = new URL(r.url())
    if (u.pathname !== `/api/v1${pathPart}`) return false
    return Object.entries(query).every(([k, v]) => u.searchParams.get(k) === v)
  }
  const [res] = await Promise.all([page.waitForResponse(matches, { timeout: TIMEOUT }), action()])
  const status = res.status()
  const text = await res.text().catch(() => '')
  let body = null
  try {
    body = text ? JSON.parse(text) : null
  } catch {
    body = text
  }
  return { status, body }
}

/** Open an Element Plus select and click the option with this text. */
export async function chooseOption(page, selectLocator, optionText) {
  await selectLocator.click()
  const option = page.locator('.el-select-dropdown__item:visible', { hasText: optionText }).first()
  await option.waitFor({ state: 'visible', timeout: TIMEOUT })
  await option.click()
}

/** Numbered screenshots into KEFU_SCREENSHOTS (nothing when unset), named `<prefix>NN-<name>.png`. */
export function screenshotter(prefix, page) {
  let shot = 0
  return async function screenshot(name) {
    if (!SHOTS) return
    fs.mkdirSync(SHOTS, { recursive: true })
    shot += 1
    await page().waitForTimeout(450) // let dialogs, drawers and transitions settle
    await page().screenshot({ path: path.join(SHOTS, `${prefix}${String(shot).padStart(2, '0')}-${name}.png`), fullPage: false })
  }
}
