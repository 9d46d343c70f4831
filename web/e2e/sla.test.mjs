// Browser test of 服务时效 (SLA) against a running kefu server: the admin screen (规则, 日历, 节假日, 报表)
// and the SLA panel of a ticket.
//
//   KEFU_URL=http://127.0.0.1:18080 KEFU_ADMIN_USER=admin KEFU_ADMIN_PASSWORD='…' \
//   [KEFU_SCREENSHOTS=/tmp/shots] [CHROMIUM=/usr/bin/chromium] node --test e2e/sla.test.mjs
//
// As the platform admin: sees the shipped policies, imports a 2027 holiday schedule (first a file with a
// bad date, refused naming the line, then a good one), adds a policy for a merchant of its own, and opens
// a ticket of that merchant to read its clocks. Importing 2027 changes the server's holiday schedule for
// good, so run it against a throw-away server (scripts/web-e2e.sh starts one).
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { ADMIN, ADMIN_PASSWORD, BASE, SHOTS, TIMEOUT, apiClient, apiResponse as responseOf, chooseOption as choose, launch, screenshotter } from './lib.mjs'


const suffix = Date.now().toString(36) + Math.floor(Math.random() * 1296).toString(36)
const policyName = `电话咨询：2 小时首次响应 ${suffix}`
const fx = {} // ids made by the setup

const BAD_CSV = ['date,kind,name', '2027-01-01,holiday,元旦', '2027-02-30,holiday,春节', '2027-02-07,workday,春节调休'].join('\n')
const GOOD_CSV = [
  'date,kind,name',
  '2027-01-01,holiday,元旦',
  '2027-02-06,holiday,春节',
  '2027-02-07,holiday,春节',
  '2027-02-08,holiday,春节',
  '2027-02-09,holiday,春节',
  '2027-02-10,holiday,春节',
  '2027-02-11,holiday,春节',
  '2027-02-12,holiday,春节',
  '2027-02-13,workday,春节调休',
].join('\n')

let browser
let context
let page
const pageErrors = []
const screenshot = screenshotter('sla-', () => page)
const apiResponse = (method, pathPart, action, query) => responseOf(page, method, pathPart, action, query)
const chooseOption = (selectLocator, optionText) => choose(page, selectLocator, optionText)

/** Call the API as the admin (bearer token from a login). */
let adminToken = ''
const api = apiClient(() => adminToken)
async function login(username, password) {
  await page.goto(`${BASE}/login`)
  await page.getByLabel('用户名').fill(username)
  await page.getByLabel('密码', { exact: true }).fill(password)
  const { status } = await apiResponse('POST', '/auth/login', () => page.getByRole('button', { name: '登录' }).click())
  assert.equal(status, 200)
  await page.locator('[data-test=welcome]').waitFor()
}

function tab(name) {
  return page.getByRole('tab', { name })
}

describe('kefu SLA (服务时效)', { timeout: 240_000 }, () => {
  before(async () => {
    assert.ok(BASE, 'set KEFU_URL to the running kefu server, e.g. http://127.0.0.1:18080')
    assert.ok(ADMIN && ADMIN_PASSWORD, 'set KEFU_ADMIN_USER and KEFU_ADMIN_PASSWORD')

    adminToken = (await api('POST', '/auth/login', { username: ADMIN, password: ADMIN_PASSWORD })).token
    // A merchant of its own, so the policy made below decides its tickets (a merchant's policies come first).
    const merchant = await api('POST', '/merchants', { code: `sla-${suffix}`, name: `时效测试店 ${suffix}` })
    fx.merchant = merchant
    // Was 2027 imported by an earlier run against this server? Then no calendar warns about it.
    fx.had2027 = (await api('GET', '/sla/holidays')).some((y) => y.year === 2027 && y.origin === 'imported')

    browser = await launch()
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' })
    context.setDefaultTimeout(TIMEOUT)
    page = await context.newPage()
    page.on('pageerror', (e) => pageErrors.push(String(e)))
  })

  after(async () => {
    await browser?.close()
  })

  it('opens 服务时效 from the menu and lists the shipped policies', async () => {
    await login(ADMIN, ADMIN_PASSWORD)
    const res = await apiResponse('GET', '/sla/policies', () => page.getByRole('menuitem', { name: '服务时效' }).click())
    assert.equal(res.status, 200)
    await page.waitForURL(/\/admin\/sla/)
    await page.getByRole('heading', { name: '服务时效' }).waitFor()
    const rows = page.locator('[data-test=policies-table] .el-table__body tr')
    const chat = rows.filter({ hasText: '在线咨询' }).first()
    await chat.waitFor()
    // Targets in words, the channel in Chinese.
    await chat.getByText('30 秒', { exact: true }).waitFor()
    await chat.getByText('渠道：在线咨询').waitFor()
    assert.ok((await rows.count()) >= 6, 'the six shipped policies are listed')
    await page.locator('[data-test=commitments-link]').waitFor()
    await screenshot('policies')
  })

  it('flags the calendar days no holiday schedule covers', async () => {
    await tab('日历').click()
    const table = page.locator('[data-test=calendars-table]')
    await table.getByText('标准工作日').first().waitFor()
    await table.getByText('7×24 全天候').waitFor()
    if (!fx.had2027) {
      const warning = page.locator('[data-test=uncovered-warning]').first()
      await warning.waitFor()
      const text = await warning.innerText()
      assert.ok(text.includes('2027 年法定节假日安排尚未导入'), text)
      assert.match(text, /2027-01-01/)
      await table.locator('[data-test=uncovered-tag]').first().waitFor()
    }
    await screenshot('calendars')
  })

  it('puts the server refusal of overlapping windows next to the weekday', async () => {
    await page.locator('[data-test=create-calendar]').click()
    const dlg = page.getByRole('dialog', { name: '新建日历' })
    await dlg.waitFor()
    await dlg.locator('[data-test=calendar-name]').fill(`售后服务时间 ${suffix}`)
    // The form starts from the workday hours; Monday gets a third window that overlaps the first.
    const monday = dlg.locator('[data-test=weekly-mon]')
    await monday.locator('.el-tag', { hasText: '13:00-18:00' }).waitFor()
    await monday.locator('input').fill('11:00-13:00')
    await monday.locator('input').press('Enter')
    await monday.locator('.el-tag', { hasText: '11:00-13:00' }).waitFor()
    const res = await apiResponse('POST', '/sla/calendars', () => dlg.locator('[data-test=calendar-submit]').click())
    assert.equal(res.status, 422, JSON.stringify(res.body))
    assert.equal(res.body.error.field, 'weekly.mon')
    const item = dlg.locator('.el-form-item', { has: page.locator('[data-test=weekly-mon]') })
    await item.locator('.el-form-item__error', { hasText: res.body.error.message }).waitFor()
    await screenshot('calendar-overlap')
    await dlg.getByRole('button', { name: '取消' }).click()
    await dlg.waitFor({ state: 'hidden' })
  })

  it('refuses a holiday file with a bad date, naming the line, then imports 2027', async () => {
    await tab('节假日').click()
    const table = page.locator('[data-test=holidays-table]')
    await table.locator('.el-table__body tr', { hasText: '2026' }).first().waitFor()
    await page.locator('[data-test=import-holidays]').click()
    const dlg = page.getByRole('dialog', { name: '导入节假日安排' })
    await dlg.waitFor()
    await dlg.locator('[data-test=format-csv]').click()
    await dlg.locator('[data-test=holiday-year] input').fill('2027')
    await dlg.locator('[data-test=holiday-content]').fill(BAD_CSV)
    const bad = await apiResponse('POST', '/sla/holidays', () => dlg.locator('[data-test=holiday-submit]').click())
    assert.equal(bad.status, 422, JSON.stringify(bad.body))
    assert.match(bad.body.error.message, /^line 3:/)
    const alert = dlg.locator('[data-test=import-error]')
    await alert.waitFor()
    const text = await alert.innerText()
    assert.ok(text.includes('第 3 行有误'), text)
    assert.ok(text.includes(bad.body.error.message), 'the server message is shown')
    assert.ok(text.includes('2027-02-30,holiday,春节'), 'the offending line is quoted')
    await screenshot('holiday-import-refused')

    await dlg.locator('[data-test=holiday-content]').fill(GOOD_CSV)
    const good = await apiResponse('POST', '/sla/holidays', () => dlg.locator('[data-test=holiday-submit]').click())
    assert.equal(good.status, 200, JSON.stringify(good.body))
    assert.equal(good.body.year, 2027)
    assert.equal(good.body.origin, 'imported')
    await dlg.waitFor({ state: 'hidden' })
    const row = table.locator('.el-table__body tr', { hasText: '2027' }).first()
    await row.locator('[data-test=holiday-origin][data-value=imported]', { hasText: '已导入' }).waitFor()
    await row.getByText('8 天').waitFor() // 元旦 + 7 days of 春节
    await screenshot('holidays-imported')

    // The calendars no longer warn about 2027.
    await tab('日历').click()
    await page.locator('[data-test=calendars-table]').getByText('标准工作日').first().waitFor()
    await page.waitForFunction(() => ![...document.querySelectorAll('[data-test=uncovered-warning]')].some((e) => e.textContent.includes('2027 年')))
  })

  it('adds a policy for a merchant through the dialog', async () => {
    await tab('规则').click()
    await page.locator('[data-test=create-policy]').click()
    const dlg = page.getByRole('dialog', { name: '新建规则' })
    await dlg.waitFor()
    await chooseOption(dlg.locator('[data-test=merchant-select]'), fx.merchant.code)
    // Without a target the form says so before asking the server.
    await dlg.locator('[data-test=policy-name]').fill(policyName)
    await dlg.locator('[data-test=policy-submit]').click()
    await dlg.getByText('至少设置一项时限').waitFor()

    await chooseOption(dlg.locator('[data-test=policy-channels]'), '电话')
    await dlg.getByText('适用条件').click() // close the multi-select dropdown
    await dlg.locator('[data-test=target-first_response] input').first().fill('2')
    await chooseOption(dlg.locator('[data-test=target-first_response] .el-select'), '小时')
    await chooseOption(dlg.locator('[data-test=policy-calendar]'), '7×24 全天候')
    await screenshot('policy-dialog')
    const res = await apiResponse('POST', '/sla/policies', () => dlg.locator('[data-test=policy-submit]').click())
    assert.equal(res.status, 201, JSON.stringify(res.body))
    assert.equal(res.body.merchant_id, fx.merchant.id)
    assert.deepEqual(res.body.conditions.channels, ['phone'])
    assert.equal(res.body.targets.first_response_secs, 7200)
    assert.equal(res.body.targets.next_response_secs, null)
    await dlg.waitFor({ state: 'hidden' })
    const row = page.locator('[data-test=policies-table] .el-table__body tr', { hasText: policyName })
    await row.waitFor()
    await row.getByText('2 小时', { exact: true }).waitFor()
    await row.getByText(fx.merchant.name).waitFor()
    fx.policy = res.body
  })

  it('shows the SLA panel of a ticket and refreshes it after a reply', async () => {
    fx.ticket = await api('POST', '/tickets', {
      merchant_id: fx.merchant.id,
      channel: 'phone',
      subject: `来电询问发货时间 ${suffix}`,
      body: '客户来电询问订单什么时候发货',
    })
    const sla = await apiResponse('GET', `/tickets/${fx.ticket.id}/sla`, () => page.goto(`${BASE}/tickets/${fx.ticket.id}`))
    assert.equal(sla.status, 200, JSON.stringify(sla.body))
    assert.equal(sla.body.policy_id, fx.policy.id)
    const panel = page.locator('[data-test=sla-panel]')
    await panel.locator('[data-test=sla-policy]', { hasText: policyName }).waitFor()
    const first = panel.locator('[data-test=sla-clock][data-metric=first_response]')
    await first.locator('[data-test=sla-metric]', { hasText: '首次响应' }).waitFor()
    await first.locator('[data-test=sla-state]', { hasText: '进行中' }).waitFor()
    assert.match(await first.locator('[data-test=sla-remaining]').innerText(), /^剩余 (1 小时 \d+ 分钟|2 小时)$/)
    await first.locator('[data-test=sla-due]').waitFor()
    await screenshot('ticket-sla-panel')
    if (SHOTS) await panel.screenshot({ path: path.join(SHOTS, 'sla-panel.png') })

    // A reply stops the first-response clock: the panel reads the clocks again.
    await page.locator('[data-test=reply-input]').fill(`您好，订单预计明天发货 ${suffix}`)
    const again = await apiResponse('GET', `/tickets/${fx.ticket.id}/sla`, () => page.locator('[data-test=send]').click())
    assert.equal(again.status, 200)
    await first.locator('[data-test=sla-state]', { hasText: '达标' }).waitFor()
    assert.match(await first.locator('[data-test=sla-remaining]').innerText(), /^用时 /)
    await page.locator('[data-test=timeline-event][data-type=sla_policy_applied]', { hasText: policyName }).waitFor()
    await screenshot('ticket-sla-met')
  })

  it('shows the SLA report and links the public commitments', async () => {
    await page.goto(`${BASE}/admin/sla?tab=report`)
    const res = await page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/reports/sla')
    assert.equal(res.status(), 200)
    const report = page.locator('[data-test=sla-report]')
    await report.locator('[data-test=first-response-distribution]').getByText('≤ 30 秒').waitFor()
    await report.locator('[data-test=chat-30s]').waitFor()
    // By policy: our merchant's first response counted as met.
    await chooseOption(page.locator('[data-test=report-group-by]'), '按规则')
    const byPolicy = await apiResponse('GET', '/reports/sla', () => page.locator('[data-test=report-search]').click())
    assert.equal(byPolicy.status, 200, JSON.stringify(byPolicy.body))
    const mine = byPolicy.body.rows.find((r) => r.group === String(fx.policy.id) && r.metric === 'first_response')
    if (mine) {
      const row = page.locator('[data-test=report-table] .el-table__body tr', { hasText: policyName }).first()
      await row.waitFor()
      await row.locator('[data-test=compliance]', { hasText: '%' }).waitFor()
    }
    await screenshot('report')

    // The public page needs no login and states the merchant's commitment.
    const pub = await fetch(`${BASE}/commitments/${fx.merchant.id}`)
    assert.equal(pub.status, 200)
    const html = await pub.text()
    assert.ok(html.includes('服务承诺'), 'the page is the commitments page')
    assert.ok(html.includes(fx.merchant.name), 'it names the merchant')
  })

  it('raised no uncaught errors in the page', () => {
    assert.deepEqual(pageErrors, [])
  })
})
