// Browser test of 数据看板 (the supervisor dashboard) and 升级工单 (the escalations inbox) against a running
// kefu server.
//
//   KEFU_URL=http://127.0.0.1:18080 KEFU_ADMIN_USER=admin KEFU_ADMIN_PASSWORD='…' \
//   [KEFU_SCREENSHOTS=/tmp/shots] [CHROMIUM=/usr/bin/chromium] node --test e2e/dashboard.test.mjs
//
// The platform admin makes a merchant with two tickets (one answered) through the API, opens the
// workspace (which must not load the charts library), then the dashboard: the charts are drawn, the
// figures for that merchant match the server's, another day shows none of them, English and dark mode
// work. A ticket escalated through the API then shows on the dashboard and in 升级工单.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ADMIN, ADMIN_PASSWORD, BASE, TIMEOUT, apiClient, apiResponse as responseOf, chooseOption, launch, screenshotter } from './lib.mjs'

const suffix = Date.now().toString(36) + Math.floor(Math.random() * 1296).toString(36)
const merchantName = `看板测试店 ${suffix}`
const fx = {}

let browser
let context
let page
const pageErrors = []
const scripts = []
const screenshot = screenshotter('dashboard-', () => page)
const apiResponse = (method, pathPart, action, query) => responseOf(page, method, pathPart, action, query)

let adminToken = ''
const api = apiClient(() => adminToken)

/** The dashboard's wording of a duration (zh-CN). */
function duration(secs) {
  if (secs === null || secs === undefined) return '—'
  const s = Math.round(secs)
  if (s < 60) return `${s} 秒`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} 分 ${s % 60} 秒`
  return `${Math.floor(m / 60)} 小时 ${m % 60} 分`
}

const text = async (test) => (await page.locator(`[data-test=${test}]`).innerText()).trim()
const usesEcharts = () => scripts.some((u) => /\/assets\/echarts-[^/]*\.js$/.test(u))

describe('kefu dashboard (数据看板) and escalations (升级工单)', { timeout: 180_000 }, () => {
  before(async () => {
    assert.ok(BASE, 'set KEFU_URL to the running kefu server, e.g. http://127.0.0.1:18080')
    assert.ok(ADMIN && ADMIN_PASSWORD, 'set KEFU_ADMIN_USER and KEFU_ADMIN_PASSWORD')
    adminToken = (await api('POST', '/auth/login', { username: ADMIN, password: ADMIN_PASSWORD })).token
    fx.merchant = await api('POST', '/merchants', { code: `dash-${suffix}`, name: merchantName })
    const m = fx.merchant.id
    fx.web = await api('POST', '/tickets', { merchant_id: m, channel: 'web', subject: '快递三天没更新', body: '请帮我查一下物流', category: 'logistics' })
    fx.phone = await api('POST', '/tickets', { merchant_id: m, channel: 'phone', subject: '来电咨询发票', body: '需要开增值税发票' })
    await api('POST', `/tickets/${fx.web.id}/replies`, { body: '您好，已为您联系快递公司' })

    browser = await launch()
    context = await browser.newContext({ viewport: { width: 1366, height: 1480 }, locale: 'zh-CN' })
    context.setDefaultTimeout(TIMEOUT)
    page = await context.newPage()
    page.on('pageerror', (e) => pageErrors.push(String(e)))
    page.on('request', (r) => {
      if (r.resourceType() === 'script') scripts.push(r.url())
    })
  })

  after(async () => {
    await browser?.close()
  })

  it('opens the workspace without loading the charts library', async () => {
    await page.goto(`${BASE}/login`)
    await page.getByLabel('用户名').fill(ADMIN)
    await page.getByLabel('密码', { exact: true }).fill(ADMIN_PASSWORD)
    await page.getByRole('button', { name: '登录' }).click()
    await page.locator('[data-test=welcome]').waitFor()
    const res = await apiResponse('GET', '/tickets', () => page.getByRole('menuitem', { name: '工单', exact: true }).click())
    assert.equal(res.status, 200)
    await page.locator('[data-test=tab-mine]').waitFor()
    await page.waitForTimeout(1000) // anything loaded late (preloads) would show by now
    assert.ok(scripts.length > 0, 'scripts were seen')
    assert.ok(!usesEcharts(), `the workspace loaded echarts: ${scripts.join(' ')}`)
  })

  it('draws the charts and shows the merchant’s figures as the server counts them', async () => {
    const res = await apiResponse('GET', '/reports/overview', () => page.getByRole('menuitem', { name: '数据看板' }).click())
    assert.equal(res.status, 200, JSON.stringify(res.body))
    await page.waitForURL(/\/dashboard/)
    await page.getByRole('heading', { name: '数据看板' }).waitFor()
    assert.ok(usesEcharts(), 'the dashboard loads the charts chunk')
    for (const chart of ['chart-channel', 'chart-category', 'chart-hour', 'chart-status']) {
      await page.locator(`[data-test=${chart}] canvas`).first().waitFor()
    }
    // Narrowed to the new merchant, the figures are exactly its two tickets.
    const mine = await apiResponse(
      'GET',
      '/reports/overview',
      () => chooseOption(page, page.locator('[data-test=merchant-select]'), merchantName),
      { merchant_id: String(fx.merchant.id) },
    )
    assert.equal(mine.status, 200, JSON.stringify(mine.body))
    const o = mine.body
    assert.equal(o.tickets.created, 2, JSON.stringify(o))
    assert.equal(o.tickets.first_response.count, 1, JSON.stringify(o))
    // What the API answers on its own for the same period and merchant.
    const direct = await api('GET', `/reports/overview?merchant_id=${fx.merchant.id}&from=${encodeURIComponent(o.from)}&to=${encodeURIComponent(o.to)}`)
    assert.equal(direct.tickets.created, 2)
    assert.deepEqual(direct.tickets.by_channel, o.tickets.by_channel)
    await page.locator('[data-test=stat-created]', { hasText: /^2$/ }).waitFor()
    assert.equal(await text('stat-fr-avg'), duration(direct.tickets.first_response.avg_secs))
    assert.equal(await text('stat-fr-median'), duration(direct.tickets.first_response.median_secs))
    assert.equal(await text('stat-fr-count'), '已首响 1 单')
    assert.equal(await text('stat-awaiting'), '待首响 1 单')
    assert.equal(await text('stat-open'), '2')
    assert.equal(await page.locator('[data-test=chart-channel]').getAttribute('data-total'), '2')
    assert.equal(await page.locator('[data-test=chart-hour]').getAttribute('data-total'), '2')
    assert.equal(await page.locator('[data-test=chart-status]').getAttribute('data-total'), '2')
    await page.locator('[data-test=chart-sla] canvas').first().waitFor()
    await page.waitForTimeout(900) // the charts' entry animation
    await screenshot('charts')
  })

  it('switches the range: yesterday had none of today’s tickets, today has them again', async () => {
    await page.locator('[data-test=dashboard-range] input').first().click()
    const res = await apiResponse('GET', '/reports/overview', () =>
      page.locator('.el-picker-panel__shortcut:visible', { hasText: '昨天' }).click(),
    )
    assert.equal(res.status, 200)
    const from = new Date(res.body.from).getTime()
    const to = new Date(res.body.to).getTime()
    assert.equal(to - from, 86_400_000, 'one day')
    assert.ok(to <= Date.now(), 'it ended before now')
    await page.locator('[data-test=stat-created]', { hasText: /^0$/ }).waitFor()
    // The open workload is now, whatever the range.
    assert.equal(await text('stat-open'), '2')
    await page.locator('[data-test=dashboard-range] input').first().click()
    await apiResponse('GET', '/reports/overview', () => page.locator('.el-picker-panel__shortcut:visible', { hasText: '今天' }).click())
    await page.locator('[data-test=stat-created]', { hasText: /^2$/ }).waitFor()
  })

  it('speaks English and follows dark mode', async () => {
    await page.locator('[data-test=lang-switch]').click()
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor()
    await page.getByText('By channel', { exact: true }).waitFor()
    assert.equal(await text('stat-fr-count'), '1 answered')
    await page.locator('[data-test=theme-switch]').click()
    await page.locator('html.dark').waitFor({ state: 'attached' })
    await page.locator('[data-test=chart-channel] canvas').first().waitFor()
    await screenshot('dark-english')
    await page.locator('[data-test=theme-switch]').click()
    await page.locator('[data-test=lang-switch]').click()
    await page.getByRole('heading', { name: '数据看板' }).waitFor()
  })

  it('counts an escalated ticket and lists it under 升级工单', async () => {
    await api('POST', `/tickets/${fx.phone.id}/escalate`, { tier: 'l2', reason: '客户要求主管回电' })
    await apiResponse('GET', '/reports/overview', () => page.locator('[data-test=dashboard-refresh]').click(), {
      merchant_id: String(fx.merchant.id),
    })
    await page.locator('[data-test=stat-escalated]', { hasText: '升级工单 1 单' }).waitFor()
    const res = await apiResponse('GET', '/tickets', () => page.locator('[data-test=stat-escalated]').click(), { view: 'escalated' })
    assert.equal(res.status, 200, JSON.stringify(res.body))
    assert.ok(res.body.items.some((t) => t.id === fx.phone.id), 'the escalated ticket is in the view')
    assert.ok(!res.body.items.some((t) => t.id === fx.web.id), 'a first-tier ticket is not')
    await page.waitForURL(/tab=escalated/)
    await page.getByRole('tab', { name: /升级工单/, selected: true }).waitFor()
    await page.locator('.el-table__body tr', { hasText: fx.phone.number }).waitFor()
    assert.equal(await page.locator('.el-table__body tr', { hasText: fx.web.number }).count(), 0)
    await screenshot('escalated')
    assert.deepEqual(pageErrors, [])
  })
})
