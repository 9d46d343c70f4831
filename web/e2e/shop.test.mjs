// Browser test of the shop system integration against a running kefu server with the demo shop on
// (KEFU_DEMO_SHOP=true, as scripts/web-e2e.sh starts it): a merchant admin connects the shop system in
// 渠道设置 → 店铺系统 and imports orders from a CSV file; the demo shop places an order that it
// pushes, signed, to kefu; an agent sees the diamond member's benefits beside the ticket, sends a refund to
// the shop from the order panel, and reads the shop's answer in the ticket's timeline. The merchant admin
// also sets return rules per category, the member rights of its tiers and the NPS survey schedule.
//
//   KEFU_URL=http://127.0.0.1:18080 KEFU_ADMIN_USER=admin KEFU_ADMIN_PASSWORD='…' \
//   [KEFU_SCREENSHOTS=/tmp/shots] [CHROMIUM=/usr/bin/chromium] node --test e2e/shop.test.mjs
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ADMIN, ADMIN_PASSWORD, BASE, TIMEOUT, apiClient, apiResponse as responseOf, launch, screenshotter } from './lib.mjs'

const suffix = Date.now().toString(36) + Math.floor(Math.random() * 1296).toString(36)
const PASSWORD = `E2e-Shop-${suffix}`
const fx = {}

let browser
let ctx
let page
const pageErrors = []
const screenshot = screenshotter('shop-', () => page)
let adminToken = ''
const api = apiClient(() => adminToken)

async function until(what, fn, timeout = 30_000) {
  const end = Date.now() + timeout
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

async function login(p, username, password) {
  await p.context().clearCookies()
  await p.goto(`${BASE}/login`)
  await p.getByLabel('用户名').fill(username)
  await p.getByLabel('密码', { exact: true }).fill(password)
  const { status } = await responseOf(p, 'POST', '/auth/login', () => p.getByRole('button', { name: '登录' }).click())
  assert.equal(status, 200)
  await p.locator('[data-test=welcome]').waitFor()
}

describe('kefu shop system integration', { timeout: 240_000 }, () => {
  before(async () => {
    assert.ok(BASE, 'set KEFU_URL to the running kefu server, e.g. http://127.0.0.1:18080')
    adminToken = (await api('POST', '/auth/login', { username: ADMIN, password: ADMIN_PASSWORD })).token
    fx.merchant = await api('POST', '/merchants', { code: `shop-${suffix}`, name: `店铺对接测试店 ${suffix}` })
    fx.shopAdmin = `e2e.shopadmin.${suffix}`
    await api('POST', '/users', { username: fx.shopAdmin, display_name: '店铺管理员', password: PASSWORD, role: 'merchant_admin', merchant_id: fx.merchant.id })
    fx.agent = `e2e.shopagent.${suffix}`
    await api('POST', '/users', { username: fx.agent, display_name: '售后小李', password: PASSWORD, role: 'agent', merchant_id: fx.merchant.id })
    browser = await launch()
    ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' })
    ctx.setDefaultTimeout(TIMEOUT)
    page = await ctx.newPage()
    page.on('pageerror', (e) => pageErrors.push(String(e)))
  })

  after(async () => {
    await browser?.close()
  })

  it('connects the shop system and imports orders from a CSV file', async () => {
    await login(page, fx.shopAdmin, PASSWORD)
    await page.goto(`${BASE}/admin/channels?tab=shop`)
    const tab = page.locator('[data-test=shop-tab]')
    await tab.waitFor()
    await tab.locator('[data-test=shop-actions-url]').fill(`${BASE}/demo-shop/actions`)
    const saved = await responseOf(page, 'PUT', '/shop-integration', () => tab.locator('[data-test=shop-save]').click())
    assert.equal(saved.status, 200, JSON.stringify(saved.body))
    assert.match(saved.body.secret, /^shsec_/)
    await tab.locator('[data-test=shop-secret]', { hasText: '••••' }).waitFor()

    const csv =
      '订单号,买家账号,买家姓名,订单状态,下单时间,发货时间,签收时间,商品编码,商品名称,数量,单价,标记\n' +
      `CSV-${suffix}-1,csv-u1,陈静,已签收,2026-11-20 10:00,2026-11-21 09:00,2026-11-23 15:00,CUP,保温杯,2,59.90,\n` +
      `CSV-${suffix}-1,csv-u1,陈静,已签收,2026-11-20 10:00,2026-11-21 09:00,2026-11-23 15:00,CAKE,定制蛋糕,1,199,定制\n` +
      `CSV-${suffix}-2,csv-u2,杨磊,待发货,2026-12-01 08:30,,,TEA,西湖龙井,1,188,\n`
    await tab.locator('[data-test=shop-import-file]').setInputFiles({ name: 'orders.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) })
    const imported = await responseOf(page, 'POST', '/orders/import', () => tab.locator('[data-test=shop-import]').click())
    assert.equal(imported.status, 200, JSON.stringify(imported.body))
    assert.equal(imported.body.created, 2)
    await tab.locator('[data-test=shop-import-result]', { hasText: '新增 2' }).waitFor()
    await screenshot('connected')
  })

  it('sets return rules per category, refused below the legal seven days next to the field', async () => {
    await page.goto(`${BASE}/admin/authority-limits`)
    const card = page.locator('[data-test=return-rules-card]')
    await card.waitFor()
    await card.locator('[data-test=return-rules-add]').click()
    const row = card.locator('[data-test=return-rules-row]').last()
    await row.locator('[data-test=return-rules-category]').fill('fresh')
    await row.locator('[data-test=return-rules-no_reason_days] input').fill('6')
    const refused = await responseOf(page, 'PUT', '/return-rules', () => card.locator('[data-test=return-rules-save]').click())
    assert.equal(refused.status, 422)
    assert.equal(refused.body.error.field, 'rules.categories[0].policy.no_reason_days')
    await row.locator('[data-test=return-rules-field-error]').waitFor()
    await row.locator('[data-test=return-rules-no_reason_days] input').fill('15')
    const saved = await responseOf(page, 'PUT', '/return-rules', () => card.locator('[data-test=return-rules-save]').click())
    assert.equal(saved.status, 200, JSON.stringify(saved.body))
    assert.equal(saved.body.rules.categories[0].policy.no_reason_days, 15)
    await screenshot('return-rules')
  })

  it('sets the member rights of the merchant (会员权益设置), a bad tier code refused next to the field', async () => {
    const card = page.locator('[data-test=member-rights-card]')
    await card.locator('[data-test=member-rights-row-gold]').waitFor()
    await card.locator('[data-test=member-rights-days-gold] input').fill('10')
    await card.locator('[data-test=member-rights-priority-gold]').click()
    await card.locator('[data-test=member-rights-add]').click()
    const code = card.locator('[data-test=member-rights-code]').last()
    await code.fill('VIP Plus')
    const refused = await responseOf(page, 'PUT', '/member-tiers', () => card.locator('[data-test=member-rights-save]').click())
    assert.equal(refused.status, 422)
    assert.equal(refused.body.error.field, 'tiers[4].tier')
    await card.locator('[data-test=member-rights-code-error]', { hasText: 'lower-case letters' }).waitFor()
    await code.fill('vip-plus')
    const saved = await responseOf(page, 'PUT', '/member-tiers', () => card.locator('[data-test=member-rights-save]').click())
    assert.equal(saved.status, 200, JSON.stringify(saved.body))
    const gold = saved.body.find((t) => t.tier === 'gold')
    assert.deepEqual([gold.custom, gold.priority_service, gold.extra_return_days], [true, true, 10])
    assert.ok(saved.body.some((t) => t.tier === 'vip-plus'))
    await card.locator('[data-test=member-rights-row-gold]', { hasText: '商家自定' }).waitFor()
    await screenshot('member-rights')
  })

  it('schedules NPS surveys beside the satisfaction figures', async () => {
    await page.goto(`${BASE}/follow-ups`)
    const card = page.locator('[data-test=nps-card]')
    await card.waitFor()
    await card.locator('[data-test=nps-interval] input').fill('14')
    await card.locator('[data-test=nps-active]').click()
    const saved = await responseOf(page, 'PUT', '/nps/schedule', () => card.locator('[data-test=nps-save]').click())
    assert.equal(saved.status, 200, JSON.stringify(saved.body))
    assert.equal(saved.body.interval_days, 14)
    assert.equal(saved.body.active, true)
    await screenshot('nps')
  })

  it('sends a refund to the shop from a ticket and shows the answer in the timeline', async () => {
    // The demo shop places an order and pushes it to kefu, signed.
    const res = await fetch(`${BASE}/demo-shop/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ merchant_id: fx.merchant.id, account_id: `demo-buyer-${suffix}`, name: '刘洋' }),
    })
    assert.equal(res.status, 201, await res.clone().text())
    const placed = await res.json()
    const orderNo = placed.order.order_no
    const orders = await api('GET', `/orders?order_no=${orderNo}&merchant_id=${fx.merchant.id}`)
    const order = orders.items[0]
    assert.ok(order, 'the pushed order is in kefu')
    await api('PATCH', `/customers/${order.customer_id}`, { member_tier: 'diamond' })
    const ticket = await api('POST', '/tickets', {
      merchant_id: fx.merchant.id,
      customer_id: order.customer_id,
      channel: 'web',
      subject: '龙井茶叶受潮，想退一部分钱',
      body: '收到的茶叶有点受潮',
      order_numbers: [orderNo],
    })

    await login(page, fx.agent, PASSWORD)
    await page.goto(`${BASE}/tickets/${ticket.id}`)
    // The diamond member's benefits are beside the ticket.
    await page.locator('[data-test=member-rights]', { hasText: '退货免运费' }).waitFor()

    const row = page.locator(`[data-test=order][data-order-no="${orderNo}"]`)
    await row.waitFor()
    await row.locator('[data-test=shop-action-open]').click()
    const dialog = page.locator('[data-test=shop-action-dialog]')
    await dialog.waitFor()
    await dialog.locator('[data-test=shop-action-type]').getByText('退款').click()
    // More than was paid is refused next to the amount.
    await dialog.locator('[data-test=shop-action-amount]').fill('999.00')
    await dialog.locator('[data-test=shop-action-reason]').fill('茶叶受潮，部分退款')
    const refused = await responseOf(page, 'POST', `/tickets/${ticket.id}/shop-actions`, () => dialog.locator('[data-test=shop-action-send]').click())
    assert.equal(refused.status, 422)
    assert.equal(refused.body.error.field, 'amount_fen')
    await dialog.getByText(refused.body.error.message).waitFor()
    await dialog.locator('[data-test=shop-action-amount]').fill('30.00')
    const sent = await responseOf(page, 'POST', `/tickets/${ticket.id}/shop-actions`, () => dialog.locator('[data-test=shop-action-send]').click())
    assert.equal(sent.status, 201, JSON.stringify(sent.body))
    assert.equal(sent.body.amount_fen, 3000)
    await dialog.waitFor({ state: 'hidden' })

    // The server's job worker sends it; the demo shop refunds; the answer lands in the timeline.
    await until('the shop to answer', async () => {
      const acts = await api('GET', `/tickets/${ticket.id}/shop-actions`)
      return acts[0]?.status === 'succeeded'
    })
    await page.reload()
    await page.getByText('店铺系统已完成').first().waitFor()
    await screenshot('refund-done')
    assert.deepEqual(pageErrors, [])
  })
})
