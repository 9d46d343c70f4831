// Browser test of complaints (投诉) against a running kefu server: the agent records a complaint from a
// ticket, walks it through the workflow in the ticket's complaint panel — acknowledge, claim and demand,
// investigation by a department (a department task on the ticket), findings, a remedy the customer first
// refuses, a second one agreed, execution, follow-up visit with satisfaction, close — sees each step in the
// timeline and the stepper, opens the print-ready complaint handling notice (投诉处理通知单), finds the
// notice archived with the ticket, and finds the complaint in 投诉管理; an admin sees it counted in the
// complaint analysis (投诉分析) there.
// Saves docs/screenshots/complaint.png and complaint-analysis.png.
//
//   KEFU_URL=http://127.0.0.1:18080 KEFU_ADMIN_USER=admin KEFU_ADMIN_PASSWORD='…' \
//   [KEFU_SCREENSHOTS=/tmp/shots] [CHROMIUM=/usr/bin/chromium] node --test e2e/complaints.test.mjs
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import { ADMIN, ADMIN_PASSWORD, BASE, TIMEOUT, apiClient, apiResponse as responseOf, chooseOption, launch, screenshotter } from './lib.mjs'

const suffix = Date.now().toString(36) + Math.floor(Math.random() * 1296).toString(36)
const PASSWORD = `E2e-Complaint-${suffix}`
const agent = { username: `e2e.ts.${suffix}`, display_name: `投诉专员${suffix.slice(-4)}` }
const SHOT = fileURLToPath(new URL('../../docs/screenshots/complaint.png', import.meta.url))

const fx = {}
let browser
let ctx
let page
const pageErrors = []
const screenshot = screenshotter('complaint-', () => page)

let adminToken = ''
let agentToken = ''
const api = apiClient(() => adminToken)
const asAgent = apiClient(() => agentToken)

async function login(p, username, password) {
  await p.goto(`${BASE}/login`)
  await p.getByLabel('用户名').fill(username)
  await p.getByLabel('密码', { exact: true }).fill(password)
  const { status } = await responseOf(p, 'POST', '/auth/login', () => p.getByRole('button', { name: '登录' }).click())
  assert.equal(status, 200)
  await p.locator('[data-test=welcome]').waitFor()
}

const panel = () => page.locator('[data-test=complaints-panel]')
/** The text box of an Element Plus input (the attribute lands on the native element). */
const box = (scope, test) =>
  scope.locator(`textarea[data-test=${test}], input[data-test=${test}], [data-test=${test}] textarea, [data-test=${test}] input`).first()
const field = (key) => box(panel(), `complaint-field-${key}`)

/** Fill the next command's form and submit it; returns the complaint the server answered. */
async function step(command, values = {}) {
  for (const [k, v] of Object.entries(values)) await field(k).fill(v)
  const r = await responseOf(page, 'POST', `/complaints/${fx.complaint.id}/${command}`, () => panel().locator('[data-test=complaint-submit]').click())
  assert.equal(r.status, 200, `${command}: ${JSON.stringify(r.body)}`)
  await panel().locator(`[data-test=complaint][data-stage="${r.body.workflow.stage}"]`).waitFor()
  return r.body
}

describe('kefu complaints', { timeout: 240_000 }, () => {
  before(async () => {
    assert.ok(BASE, 'set KEFU_URL to the running kefu server, e.g. http://127.0.0.1:18080')
    assert.ok(ADMIN && ADMIN_PASSWORD, 'set KEFU_ADMIN_USER and KEFU_ADMIN_PASSWORD')
    adminToken = (await api('POST', '/auth/login', { username: ADMIN, password: ADMIN_PASSWORD })).token
    fx.merchant = await api('POST', '/merchants', { code: `ts-${suffix}`, name: `投诉测试店 ${suffix}` })
    const team = await api('POST', '/teams', { name: `客服组 ${suffix}`, owner: 'merchant', merchant_id: fx.merchant.id })
    await api('POST', '/users', { ...agent, password: PASSWORD, role: 'agent', merchant_id: fx.merchant.id, team_id: team.id })
    fx.department = await api('POST', '/departments', { code: `fin-${suffix}`, name: `财务部${suffix.slice(-4)}`, merchant_id: fx.merchant.id })
    agentToken = (await apiClient(() => '')('POST', '/auth/login', { username: agent.username, password: PASSWORD })).token
    const customer = await asAgent('POST', '/customers', { display_name: '林晓燕', phone: '13912345678' })
    fx.order = `TS${suffix.toUpperCase()}`
    fx.ticket = await asAgent('POST', '/tickets', {
      customer_id: customer.id,
      channel: 'web',
      subject: '退款一周未到账，要投诉',
      body: `订单 ${fx.order} 申请退款已经一周了还没到账，客服一直让我等，我要投诉！`,
      order_numbers: [fx.order],
    })
    await asAgent('POST', `/tickets/${fx.ticket.id}/replies`, { body: '非常抱歉给您带来不便，我们马上为您核实处理。' })

    browser = await launch()
    ctx = await browser.newContext({ viewport: { width: 1440, height: 1000 }, locale: 'zh-CN' })
    ctx.setDefaultTimeout(TIMEOUT)
    page = await ctx.newPage()
    page.on('pageerror', (e) => pageErrors.push(String(e)))
  })

  after(async () => {
    await browser?.close()
  })

  it('records a complaint from the ticket', async () => {
    await login(page, agent.username, PASSWORD)
    await page.goto(`${BASE}/tickets/${fx.ticket.id}`)
    await panel().waitFor()
    await panel().getByText('本工单暂无投诉').waitFor()
    await panel().locator('[data-test=complaint-open]').click()
    const dialog = page.locator('[data-test=complaint-create-dialog]')
    await dialog.locator('[data-test=complaint-severity-serious]').click()
    await box(dialog, 'complaint-summary').fill('退款申请一周未到账，客服推诿')
    await screenshot('create')
    const r = await responseOf(page, 'POST', '/complaints', () => dialog.locator('[data-test=complaint-create-submit]').click())
    assert.equal(r.status, 201, JSON.stringify(r.body))
    fx.complaint = r.body
    assert.match(r.body.number, /^TS\d{8}\d{6}$/)
    assert.equal(r.body.order_no, fx.order)
    const c = panel().locator('[data-test=complaint][data-stage=received]')
    await c.waitFor()
    await c.locator('[data-test=complaint-number]', { hasText: r.body.number }).waitFor()
    await c.locator('[data-test=complaint-due]').waitFor()
    // The timeline has the step with its label.
    await page.locator('[data-test=timeline-event][data-type=complaint_recorded]', { hasText: `投诉 #${r.body.id}（待受理）` }).first().waitFor()
  })

  it('walks it through acknowledgement, investigation and a refused remedy', async () => {
    await step('acknowledge', { note: '已向客户致歉并受理' })
    await step('claim', { claim: '退款申请7天未到账', demand: '立即退款并补偿' })
    await chooseOption(page, panel().locator('[data-test=complaint-field-department]'), fx.department.name)
    const inv = await step('investigation', { request: '请核查该订单退款为何未到账' })
    assert.equal(inv.workflow.task_no, 1)
    await step('findings', { findings: '退款被支付风控拦截，未及时通知客户', responsible: fx.department.name })
    await step('remedy', { remedy: '立即退款' })
    await panel().locator('[data-test=complaint-field-agrees]').getByText('不同意').click()
    const refused = await step('customer-response', { note: '还要补偿' })
    assert.equal(refused.workflow.disagreements, 1)
    await panel().getByText('客户已 1 次不同意处理方案').waitFor()
    await step('remedy', { remedy: '立即退款并补偿10元优惠券' })
    await step('customer-response', {})
    await step('execution', { result: '已退款，10元优惠券已发放' })
    await panel().locator('[data-test=complaint-field-satisfaction]').waitFor()
    await field('result').fill('客户确认到账，对处理结果满意')
    await page.locator('[data-test=complaints-card]').scrollIntoViewIfNeeded()
    await page.waitForTimeout(400)
    fs.mkdirSync(new URL('../../docs/screenshots/', import.meta.url), { recursive: true })
    await page.locator('[data-test=complaints-card]').screenshot({ path: SHOT })
    await screenshot('follow-up-form')
  })

  it('records the follow-up visit, closes and archives the notice', async () => {
    const visited = await step('follow-up', {})
    assert.equal(visited.workflow.satisfaction, 5)
    const closed = await step('close', { summary: '客户满意，结案' })
    assert.equal(closed.workflow.stage, 'closed')
    assert.ok(closed.notice_attachment_id, 'the notice is archived')
    await panel().locator('[data-test=complaint-archived]').waitFor()
    await panel().locator('[data-test=complaint-stage]', { hasText: '已结案' }).waitFor()
    // The archived notice is among the ticket's attachments.
    const detail = await asAgent('GET', `/tickets/${fx.ticket.id}`)
    assert.ok(detail.attachments.some((a) => a.id === closed.notice_attachment_id && a.file_name.includes('投诉处理通知单')))
    await screenshot('closed')
  })

  it('opens the print-ready notice', async () => {
    const [doc] = await Promise.all([ctx.waitForEvent('page'), panel().locator('[data-test=complaint-notice]').click()])
    await doc.waitForLoadState()
    await doc.getByRole('heading', { name: '投诉处理通知单' }).waitFor()
    const text = await doc.locator('body').innerText()
    for (const part of [fx.complaint.number, '立即退款并补偿10元优惠券', '退款被支付风控拦截', '受理人签字', '已结案']) {
      assert.ok(text.includes(part), `the notice lacks ${part}`)
    }
    assert.ok(!text.includes('林晓燕') && !text.includes('13912345678'), 'the customer is masked')
    await doc.close()
  })

  it('lists the complaint under 投诉管理', async () => {
    await page.goto(`${BASE}/complaints`)
    const row = page.locator('[data-test=complaints-table] .el-table__row', { hasText: fx.complaint.number })
    await row.waitFor()
    await row.locator('[data-test=complaints-row-stage]', { hasText: '已结案' }).waitFor()
    await screenshot('list')
    assert.deepEqual(pageErrors, [])
  })

  it('analyses the complaints for those who read reports (投诉分析)', async () => {
    const admin = await browser.newContext({ viewport: { width: 1440, height: 1000 }, locale: 'zh-CN' })
    admin.setDefaultTimeout(TIMEOUT)
    const p = await admin.newPage()
    p.on('pageerror', (e) => pageErrors.push(String(e)))
    await login(p, ADMIN, ADMIN_PASSWORD)
    await p.goto(`${BASE}/complaints`)
    const card = p.locator('[data-test=complaint-analysis]')
    await card.locator('[data-test=complaint-analysis-responsible]', { hasText: fx.department.name }).waitFor()
    const received = Number(await card.locator('[data-test=complaint-analysis-received]').innerText())
    assert.ok(received >= 1, `received ${received}`)
    // Visited with satisfaction: the average is shown, not a dash.
    assert.match(await card.locator('[data-test=complaint-analysis-satisfaction]').innerText(), /^\d(\.\d)?$/)
    await card.screenshot({ path: SHOT.replace('complaint.png', 'complaint-analysis.png') })
    // Another period asks again.
    const r = await responseOf(p, 'GET', '/reports/complaints', () => card.locator('[data-test=complaint-analysis-period] label', { hasText: '7' }).click())
    assert.equal(r.status, 200)
    await admin.close()
    assert.deepEqual(pageErrors, [])
  })
})
