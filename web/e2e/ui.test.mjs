// Browser test of the kefu web UI against a running kefu server, as a user would use it.
//
//   KEFU_URL=http://127.0.0.1:18080 KEFU_ADMIN_USER=admin KEFU_ADMIN_PASSWORD='…' \
//   [KEFU_SCREENSHOTS=/tmp/shots] [CHROMIUM=/usr/bin/chromium] node --test e2e/
//
// The server is started by the caller; the admin must be a platform_admin without TOTP enrolled.
// Every object the test creates has a unique suffix, so it can run again against the same server.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import crypto from 'node:crypto'
import { ADMIN, ADMIN_PASSWORD, BASE, TIMEOUT, apiResponse as responseOf, chooseOption as choose, launch, screenshotter } from './lib.mjs'


const suffix = Date.now().toString(36) + Math.floor(Math.random() * 1296).toString(36)
const merchantCode = `e2e-${suffix}`
const merchantName = `测试商家 ${suffix}`
const username = `e2e.agent.${suffix}`

let browser
let context
let page
const pageErrors = []
const PASSWORD = ADMIN_PASSWORD
const screenshot = screenshotter('', () => page)
const apiResponse = (method, pathPart, action, query) => responseOf(page, method, pathPart, action, query)
const chooseOption = (selectLocator, optionText) => choose(page, selectLocator, optionText)

/** RFC 6238 TOTP (SHA-1, 6 digits, 30 s), as an authenticator app computes it. */
function totp(secretB32, atMs = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  let bits = ''
  for (const c of secretB32.replace(/[=\s]/g, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0')
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)))
  const counter = Buffer.alloc(8)
  counter.writeBigUInt64BE(BigInt(Math.floor(atMs / 30_000)))
  const h = crypto.createHmac('sha1', key).update(counter).digest()
  const o = h[h.length - 1] & 0xf
  const n = (((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3]) % 1_000_000
  return String(n).padStart(6, '0')
}

function dialog(name) {
  return page.getByRole('dialog', { name })
}

describe('kefu web UI', { timeout: 180_000 }, () => {
  before(async () => {
    assert.ok(BASE, 'set KEFU_URL to the running kefu server, e.g. http://127.0.0.1:18080')
    assert.ok(ADMIN && PASSWORD, 'set KEFU_ADMIN_USER and KEFU_ADMIN_PASSWORD')
    browser = await launch()
    // An English-speaking browser: the UI must still start in Simplified Chinese.
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' })
    context.setDefaultTimeout(TIMEOUT)
    page = await context.newPage()
    page.on('pageerror', (e) => pageErrors.push(String(e)))
  })

  after(async () => {
    await browser?.close()
  })

  it('shows the login page in Chinese by default', async () => {
    await page.goto(`${BASE}/admin/merchants`)
    await page.waitForURL(/\/login/)
    await page.getByRole('heading', { name: '登录' }).waitFor()
    assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN')
    await page.getByLabel('用户名').waitFor()
    await page.getByLabel('密码', { exact: true }).waitFor()
    assert.ok(await page.getByRole('button', { name: '登录' }).isVisible())
    await screenshot('login-zh')
  })

  it('shows the server error for a wrong password', async () => {
    await page.getByLabel('用户名').fill(ADMIN)
    await page.getByLabel('密码', { exact: true }).fill(`wrong-${suffix}-Password`)
    const { status, body } = await apiResponse('POST', '/auth/login', () => page.getByRole('button', { name: '登录' }).click())
    assert.equal(status, 401)
    assert.ok(body?.error?.message, 'the server sends an error message')
    const alert = page.locator('[data-test=login-error]')
    await alert.waitFor()
    assert.ok((await alert.innerText()).includes(body.error.message), 'the alert shows the server message')
    assert.match(page.url(), /\/login/)
    await screenshot('login-wrong-password')
  })

  it('logs in and lands on the shell', async () => {
    await page.getByLabel('密码', { exact: true }).fill(PASSWORD)
    const { status, body } = await apiResponse('POST', '/auth/login', () => page.getByRole('button', { name: '登录' }).click())
    assert.equal(status, 200, `login answered ${status}: ${JSON.stringify(body)}`)
    // Logged in from a deep link: back where we wanted to go.
    await page.waitForURL(/\/admin\/merchants/)
    await page.getByText('客服系统 kefu').first().waitFor()
    await page.locator('[data-test=current-user]').waitFor()
    await page.locator('.shell-header').getByText('平台管理员').waitFor()
    const cookies = await context.cookies(BASE)
    const session = cookies.find((c) => c.name === 'kefu_session')
    assert.ok(session, 'the server set the kefu_session cookie')
    assert.equal(session.httpOnly, true, 'the session cookie is HttpOnly')
    // The workbench.
    await page.getByRole('menuitem', { name: '工作台' }).click()
    await page.waitForURL((u) => new URL(u).pathname === '/')
    await page.locator('[data-test=welcome]').waitFor()
    assert.match(await page.locator('[data-test=welcome]').innerText(), /欢迎回来/)
    await screenshot('workbench')
  })

  it('creates a merchant through the dialog and sees it in the table', async () => {
    await page.getByRole('menuitem', { name: '入驻商家' }).click()
    await page.waitForURL(/\/admin\/merchants/)
    await page.getByRole('heading', { name: '入驻商家' }).waitFor()
    await page.getByRole('button', { name: '新建商家' }).click()
    const dlg = dialog('新建商家')
    await dlg.waitFor()

    // Client-side validation first: an invalid code is refused next to the field.
    await dlg.getByLabel('商家编码').fill('Bad Code')
    await dlg.getByLabel('商家名称').fill(merchantName)
    await dlg.getByRole('button', { name: '新建', exact: true }).click()
    await dlg.locator('.el-form-item__error').first().waitFor()

    await dlg.getByLabel('商家编码').fill(merchantCode)
    const { status, body } = await apiResponse('POST', '/merchants', () => dlg.getByRole('button', { name: '新建', exact: true }).click())
    assert.ok(status === 200 || status === 201, `create merchant answered ${status}: ${JSON.stringify(body)}`)
    globalThis.merchantId = body.id
    await dlg.waitFor({ state: 'hidden' })
    const row = page.locator('[data-test=merchants-table] .el-table__body tr', { hasText: merchantCode })
    await row.first().waitFor()
    assert.ok((await row.first().innerText()).includes(merchantName))
    await screenshot('merchant-created')

    // The same code again: the server refuses, and the dialog shows its message.
    await page.getByRole('button', { name: '新建商家' }).click()
    await dlg.waitFor()
    await dlg.getByLabel('商家编码').fill(merchantCode)
    await dlg.getByLabel('商家名称').fill(merchantName)
    const dup = await apiResponse('POST', '/merchants', () => dlg.getByRole('button', { name: '新建', exact: true }).click())
    assert.ok(dup.status >= 400, `a duplicate code is refused (got ${dup.status})`)
    await dlg.getByText(dup.body.error.message).first().waitFor()
    await screenshot('merchant-duplicate')
    await dlg.getByRole('button', { name: '取消' }).click()
    await dlg.waitFor({ state: 'hidden' })
  })

  it('switches to English and remembers it', async () => {
    await page.locator('[data-test=lang-switch]').first().click()
    await page.getByRole('heading', { name: 'Merchants' }).waitFor()
    assert.equal(await page.locator('html').getAttribute('lang'), 'en')
    await page.getByRole('menuitem', { name: 'Users' }).waitFor()
    await page.getByRole('button', { name: 'New merchant' }).waitFor()
    await page.locator('[data-test=merchants-table]').getByText('Merchant code').waitFor()
    await page.locator('.shell-header').getByText('Platform admin').waitFor()
    await page.reload()
    await page.getByRole('heading', { name: 'Merchants' }).waitFor()
    await screenshot('merchants-en')
  })

  it('creates a user', async () => {
    await page.getByRole('menuitem', { name: 'Users' }).click()
    await page.waitForURL(/\/admin\/users/)
    await page.getByRole('button', { name: 'New user' }).click()
    const dlg = dialog('New user')
    await dlg.waitFor()
    await dlg.getByLabel('Username').fill(username)
    await dlg.getByLabel('Display name').fill('E2E 客服')
    await dlg.getByLabel('Initial password').fill(`E2e-Pass-${suffix}`)
    await chooseOption(dlg.locator('[data-test=role-select]'), 'Agent')
    await chooseOption(dlg.locator('[data-test=merchant-select]'), merchantCode)
    const { status, body } = await apiResponse('POST', '/users', () => dlg.getByRole('button', { name: 'New', exact: true }).click())
    assert.ok(status === 200 || status === 201, `create user answered ${status}: ${JSON.stringify(body)}`)
    await dlg.waitFor({ state: 'hidden' })
    const row = page.locator('[data-test=users-table] .el-table__body tr', { hasText: username })
    await row.first().waitFor()
    assert.ok((await row.first().innerText()).includes('Agent'))
    await screenshot('user-created')
  })

  it('shows the merchant.create record in the audit log', async () => {
    await page.getByRole('menuitem', { name: 'Audit log' }).click()
    await page.waitForURL(/\/admin\/audit/)
    await page.getByRole('heading', { name: 'Audit log' }).waitFor()
    const action = page.locator('[data-test=audit-action]')
    await action.click()
    await page.keyboard.type('merchant.create')
    await page.keyboard.press('Enter')
    await page.getByLabel('Object ID').fill(String(globalThis.merchantId))
    const { status, body } = await apiResponse('GET', '/audit', () => page.locator('[data-test=audit-search]').click())
    assert.equal(status, 200)
    assert.ok(body.items.some((r) => r.action === 'merchant.create'), 'the server has the record')
    const row = page.locator('[data-test=audit-table] .el-table__body tr', { hasText: 'merchant.create' }).first()
    await row.waitFor()
    await screenshot('audit-log')
    await row.getByRole('button', { name: 'Details' }).click()
    const drawer = page.locator('[data-test=audit-drawer]')
    await drawer.getByText('merchant.create').first().waitFor()
    await drawer.locator('[data-test=audit-after]').getByText(merchantCode).waitFor()
    await screenshot('audit-detail')
    await page.keyboard.press('Escape')
    await drawer.locator('.el-drawer').waitFor({ state: 'hidden' }).catch(() => {})
  })

  it('keeps records at least three years: the retention policy refuses less and saves a merchant of its own', async () => {
    await page.getByRole('menuitem', { name: 'Security settings' }).click()
    const card = page.locator('[data-test=retention]')
    await card.getByText('Data retention').waitFor()
    await card.locator('[data-test=retention-years] input').fill('2')
    const refused = await apiResponse('PUT', '/settings/retention', () => card.locator('[data-test=retention-save]').click())
    assert.equal(refused.status, 422)
    assert.equal(refused.body.error.field, 'years')
    await card.locator('.el-form-item__error', { hasText: refused.body.error.message }).waitFor()
    await card.locator('[data-test=retention-years] input').fill('3')
    await card.locator('[data-test=retention-add]').click()
    const row = card.locator('[data-test=retention-row]').last()
    await chooseOption(row.locator('[data-test=merchant-select]'), merchantName)
    await row.locator('.el-input-number input').fill('5')
    const saved = await apiResponse('PUT', '/settings/retention', () => card.locator('[data-test=retention-save]').click())
    assert.equal(saved.status, 200, JSON.stringify(saved.body))
    assert.deepEqual(saved.body.merchants[String(globalThis.merchantId)], { years: 5, action: 'archive' })
    await screenshot('retention')
    // What the server keeps is what the page shows after a reload.
    await page.reload()
    await card.locator('[data-test=retention-row]').first().waitFor()
    assert.equal(await card.locator('[data-test=retention-years] input').inputValue(), '3')
  })

  it('logs out', async () => {
    await page.locator('[data-test=user-menu]').click()
    const { status } = await apiResponse('POST', '/auth/logout', () => page.getByRole('menuitem', { name: 'Log out' }).click())
    assert.ok(status === 204 || status === 200, `logout answered ${status}`)
    await page.waitForURL(/\/login/)
    await page.getByRole('heading', { name: 'Log in' }).waitFor()
    await screenshot('logged-out-en')
    // The session is gone on the server too.
    const me = await page.request.get(`${BASE}/api/v1/me`)
    assert.equal(me.status(), 401)
    await page.goto(`${BASE}/`)
    await page.waitForURL(/\/login/)
  })

  it('lets an agent enrol TOTP, then asks for the code at login', async () => {
    const password = `E2e-Pass-${suffix}`
    await page.getByLabel('Username').fill(username)
    await page.getByLabel('Password', { exact: true }).fill(password)
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.locator('[data-test=welcome]').waitFor()
    // The menu follows the agent's permissions: no audit log, no API tokens.
    await page.getByRole('menuitem', { name: 'Users' }).waitFor()
    assert.equal(await page.getByRole('menuitem', { name: 'Audit log' }).count(), 0)
    assert.equal(await page.getByRole('menuitem', { name: 'API tokens' }).count(), 0)

    await page.getByRole('menuitem', { name: 'Account security' }).click()
    await page.locator('[data-test=totp-enroll]').click()
    const secret = (await page.locator('[data-test=totp-secret]').innerText()).trim()
    assert.match(secret, /^[A-Z2-7]+=*$/, 'a base32 secret is shown')
    await page.getByPlaceholder('6 digits').fill(totp(secret))
    await screenshot('totp-enrolment')
    await page.getByRole('button', { name: 'Confirm' }).click()
    await page.locator('[data-test=totp-status]', { hasText: 'Enabled' }).waitFor()

    await page.locator('[data-test=user-menu]').click()
    await page.getByRole('menuitem', { name: 'Log out' }).click()
    await page.getByRole('heading', { name: 'Log in' }).waitFor()
    await page.getByLabel('Username').fill(username)
    await page.getByLabel('Password', { exact: true }).fill(password)
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.getByRole('heading', { name: 'Two-step verification' }).waitFor()
    // A wrong code is refused with the server's message.
    await page.getByLabel('Verification code').fill(totp(secret, Date.now() - 10 * 60_000))
    const bad = await apiResponse('POST', '/auth/login', () => page.getByRole('button', { name: 'Verify and log in' }).click())
    assert.equal(bad.status, 401)
    await page.getByText(bad.body.error.message).first().waitFor()
    await screenshot('totp-wrong-code')
    await page.getByLabel('Verification code').fill(totp(secret))
    const good = await apiResponse('POST', '/auth/login', () => page.getByRole('button', { name: 'Verify and log in' }).click())
    assert.equal(good.status, 200, JSON.stringify(good.body))
    await page.locator('[data-test=welcome]').waitFor()
    await page.locator('[data-test=user-menu]').click()
    await page.getByRole('menuitem', { name: 'Log out' }).click()
    await page.getByRole('heading', { name: 'Log in' }).waitFor()
  })

  it('raised no uncaught errors in the page', () => {
    assert.deepEqual(pageErrors, [])
  })
})
