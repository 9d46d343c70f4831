// Browser test of authority limits and approvals (权限额度与审批) against a running kefu server: an agent opens
// 承诺/补偿 on a ticket, sees their own limit, and the button turns into 提交审批 one fen above it; the request
// lands in a manager's 审批 inbox, the manager approves it with a note, and the ticket's timeline shows the
// request, the approval and the promise. Saves docs/screenshots/approvals.png.
//
//   KEFU_URL=http://127.0.0.1:18080 KEFU_ADMIN_USER=admin KEFU_ADMIN_PASSWORD='…' \
//   [KEFU_SCREENSHOTS=/tmp/shots] [CHROMIUM=/usr/bin/chromium] node --test e2e/approvals.test.mjs
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import { ADMIN, ADMIN_PASSWORD, BASE, TIMEOUT, apiClient, apiResponse as responseOf, launch, screenshotter } from './lib.mjs'

const suffix = Date.now().toString(36) + Math.floor(Math.random() * 1296).toString(36)
const PASSWORD = `E2e-Appr-${suffix}`
const agent = { username: `e2e.appr.agent.${suffix}`, display_name: `王小明${suffix.slice(-3)}` }
const manager = { username: `e2e.appr.mgr.${suffix}`, display_name: `李经理${suffix.slice(-3)}` }
const shopAdmin = { username: `e2e.appr.adm.${suffix}`, display_name: `店长${suffix.slice(-3)}` }
const SHOT = fileURLToPath(new URL('../../docs/screenshots/approvals.png', import.meta.url))
const fx = {}

let browser
let agentPage
let managerPage
let adminPage
let current = () => agentPage
const pageErrors = []
const screenshot = screenshotter('approvals-', () => current())

let adminToken = ''
const api = apiClient(() => adminToken)

async function login(p, username, password) {
  await p.goto(`${BASE}/login`)
  await p.getByLabel('用户名').fill(username)
  await p.getByLabel('密码', { exact: true }).fill(password)
  const { status } = await responseOf(p, 'POST', '/auth/login', () => p.getByRole('button', { name: '登录' }).click())
  assert.equal(status, 200)
  await p.locator('[data-test=welcome]').waitFor()
}

describe('kefu promises and approvals', { timeout: 240_000 }, () => {
  before(async () => {
    assert.ok(BASE, 'set KEFU_URL to the running kefu server, e.g. http://127.0.0.1:18080')
    assert.ok(ADMIN && ADMIN_PASSWORD, 'set KEFU_ADMIN_USER and KEFU_ADMIN_PASSWORD')
    adminToken = (await api('POST', '/auth/login', { username: ADMIN, password: ADMIN_PASSWORD })).token
    fx.merchant = await api('POST', '/merchants', { code: `appr-${suffix}`, name: `审批测试店 ${suffix}` })
    for (const [u, role] of [
      [agent, 'agent'],
      [manager, 'manager'],
      [shopAdmin, 'merchant_admin'],
    ]) {
      u.id = (await api('POST', '/users', { ...u, password: PASSWORD, role, merchant_id: fx.merchant.id })).id
    }
    fx.customer = await api('POST', '/customers', { display_name: '张女士', merchant_id: fx.merchant.id })
    fx.ticket = await api('POST', '/tickets', {
      merchant_id: fx.merchant.id,
      customer_id: fx.customer.id,
      channel: 'web',
      subject: `保温杯运输破损 ${suffix}`,
      body: '收到的保温杯外壳凹了一块，希望给个说法',
    })

    browser = await launch()
    for (const who of ['agent', 'manager', 'admin']) {
      const ctx = await browser.newContext({ viewport: { width: 1366, height: 860 }, locale: 'zh-CN' })
      ctx.setDefaultTimeout(TIMEOUT)
      const p = await ctx.newPage()
      p.on('pageerror', (e) => pageErrors.push(String(e)))
      if (who === 'agent') agentPage = p
      else if (who === 'manager') managerPage = p
      else adminPage = p
    }
  })

  after(async () => {
    await browser?.close()
  })

  it('shows the agent their limit and asks for approval one fen above it', async () => {
    const page = agentPage
    await login(page, agent.username, PASSWORD)
    // A first-line agent holds no approval inbox in the menu.
    assert.equal(await page.locator('[data-test=nav-approvals]').count(), 0)
    await page.goto(`${BASE}/tickets/${fx.ticket.id}`)
    await page.locator('[data-test=ticket-number]', { hasText: fx.ticket.number }).waitFor()
    await page.locator('[data-test=more-actions]').click()
    await page.locator('[data-test=promise-open]:visible').click()
    const dialog = page.locator('[data-test=promise-dialog]')
    await dialog.waitFor()

    // 优惠券: the agent's own limit is 20 元; exactly 20.00 is recorded, 20.01 needs approval.
    await dialog.locator('[data-test=promise-kind-coupon]').click()
    await dialog.locator('[data-test=promise-limit]', { hasText: '你的优惠券额度：¥20.00' }).waitFor()
    const amount = dialog.locator('[data-test=promise-amount]')
    const submit = dialog.locator('[data-test=promise-submit]')
    await amount.fill('20.00')
    await submit.filter({ hasText: '记录承诺' }).waitFor()
    await amount.fill('20.01')
    await submit.filter({ hasText: '提交审批' }).waitFor()

    // 赔付 of 88.80 元: above the agent's limit (0), so the only action is to request approval.
    await dialog.locator('[data-test=promise-kind-compensation]').click()
    await dialog.locator('[data-test=promise-limit]', { hasText: '你的赔付额度：¥0.00' }).waitFor()
    await amount.fill('88.80')
    await dialog.locator('[data-test=promise-hint]', { hasText: '超出你的额度' }).waitFor()
    await dialog.locator('[data-test=promise-summary]').fill('外壳运输破损，赔付 88.80 元')
    await screenshot('promise-dialog')
    const made = await responseOf(page, 'POST', `/tickets/${fx.ticket.id}/promises`, () => submit.filter({ hasText: '提交审批' }).click())
    assert.equal(made.status, 201, JSON.stringify(made.body))
    assert.equal(made.body.outcome, 'pending_approval')
    assert.equal(made.body.amount_fen, 8880, 'the amount in 元 became exact fen')
    fx.approval = made.body.approval
    await dialog.waitFor({ state: 'hidden' })
    await page.locator('[data-test=timeline-event][data-type=approval_requested]', { hasText: `#${fx.approval.id}` }).waitFor()
  })

  it('lets a manager approve it in the 审批 inbox', async () => {
    const page = managerPage
    current = () => managerPage
    await login(page, manager.username, PASSWORD)
    await page.locator('[data-test=nav-approvals]').click()
    const table = page.locator('[data-test=approvals-table]')
    const row = table.locator('.el-table__row', { hasText: fx.ticket.number })
    await row.waitFor()
    await row.locator('[data-test=approval-amount]', { hasText: '¥88.80' }).waitFor()
    await row.getByText(agent.display_name).waitFor()
    await row.locator('[data-test=approval-approve]').click()
    const dialog = page.locator('[data-test=approval-dialog]')
    await dialog.waitFor()
    await dialog.locator('[data-test=approval-note]').fill('破损属实，同意赔付')
    await screenshot('approve-dialog')
    const done = await responseOf(page, 'POST', `/approvals/${fx.approval.id}/approve`, () => dialog.locator('[data-test=approval-confirm]').click())
    assert.equal(done.status, 200, JSON.stringify(done.body))
    assert.equal(done.body.status, 'approved')
    await dialog.waitFor({ state: 'hidden' })
    // Decided: no longer among the pending ones; shown as approved under 全部.
    await row.waitFor({ state: 'detached' })
    await page.locator('[data-test=approval-status-filter]').getByText('全部').click()
    await table.locator('.el-table__row', { hasText: fx.ticket.number }).locator('[data-test=approval-status]', { hasText: '已批准' }).waitFor()
  })

  it('shows the approval and the promise in the ticket timeline', async () => {
    const page = agentPage
    current = () => agentPage
    await page.reload()
    await page.locator('[data-test=ticket-number]', { hasText: fx.ticket.number }).waitFor()
    const decided = page.locator('[data-test=timeline-event][data-type=approval_decided]')
    await decided.filter({ hasText: `${manager.display_name} 批准了审批 #${fx.approval.id}` }).waitFor()
    await decided.filter({ hasText: '破损属实，同意赔付' }).waitFor()
    const promised = page.locator('[data-test=timeline-event][data-type=promise_recorded]')
    await promised.filter({ hasText: `${agent.display_name} 承诺赔付 ¥88.80（审批 #${fx.approval.id} 已批准）` }).waitFor()
    await promised.scrollIntoViewIfNeeded()
    await page.waitForTimeout(400)
    fs.mkdirSync(new URL('../../docs/screenshots/', import.meta.url), { recursive: true })
    await page.screenshot({ path: SHOT })
    await screenshot('timeline')
    // The agent's own requests, reachable without the inbox permission.
    await page.goto(`${BASE}/my-approvals`)
    await page.locator('[data-test=approvals-table] .el-table__row', { hasText: fx.ticket.number }).locator('[data-test=approval-status]', { hasText: '已批准' }).waitFor()
  })

  it('lets the merchant admin change the limits, refusing a higher role below a lower one', async () => {
    const page = adminPage
    current = () => adminPage
    await login(page, shopAdmin.username, PASSWORD)
    await page.locator('[data-test=nav-authority-limits]').click()
    await page.locator('[data-test=limits-source]', { hasText: '系统默认额度' }).waitFor()
    // A supervisor below the senior agent (50 元) is refused, naming the cell.
    await page.locator('[data-test=limit-coupon-supervisor]').fill('10')
    const refused = await responseOf(page, 'PUT', '/authority-limits', () => page.locator('[data-test=limits-save]').click())
    assert.equal(refused.status, 422)
    assert.equal(refused.body.error.field, 'limits.coupon.supervisor')
    await page.locator('[data-test=limits-error]').waitFor()
    await page.locator('td.bad [data-test=limit-coupon-supervisor]').waitFor()
    // Agents may now compensate up to 30.50 元 on their own.
    await page.locator('[data-test=limit-coupon-supervisor]').fill('200')
    await page.locator('[data-test=limit-compensation-agent]').fill('30.50')
    const saved = await responseOf(page, 'PUT', '/authority-limits', () => page.locator('[data-test=limits-save]').click())
    assert.equal(saved.status, 200, JSON.stringify(saved.body))
    assert.deepEqual(saved.body.limits.compensation.agent, { type: 'up_to', fen: 3050 })
    await page.locator('[data-test=limits-source]', { hasText: '本商家自定义' }).waitFor()
    await screenshot('limits')
    assert.deepEqual(pageErrors, [])
  })
})
