// Browser test of orders and after-sales (订单与售后) against a running kefu server: the agent opens a ticket,
// finds an order by its number and links it, checks an item's eligibility (售后资格: a customised cake is
// refused with its legal basis, a cup qualifies), opens a 退货退款 case and sees it in the 售后单 panel, agrees
// to it and hands the customer the after-sales link; then, on a phone-sized screen, the customer checks
// another item, submits a request with a proof photo and enters the return waybill of the first case.
// Saves docs/screenshots/aftersales-panel.png and docs/screenshots/aftersales-form.png.
//
//   KEFU_URL=http://127.0.0.1:18080 KEFU_ADMIN_USER=admin KEFU_ADMIN_PASSWORD='…' \
//   [KEFU_SCREENSHOTS=/tmp/shots] [CHROMIUM=/usr/bin/chromium] node --test e2e/aftersales.test.mjs
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import { ADMIN, ADMIN_PASSWORD, BASE, TIMEOUT, apiClient, apiResponse as responseOf, chooseOption, launch, screenshotter } from './lib.mjs'

const suffix = Date.now().toString(36) + Math.floor(Math.random() * 1296).toString(36)
const PASSWORD = `E2e-Aftersales-${suffix}`
const agent = { username: `e2e.as.${suffix}`, display_name: `售后客服${suffix.slice(-4)}` }
const PANEL_SHOT = fileURLToPath(new URL('../../docs/screenshots/aftersales-panel.png', import.meta.url))
const FORM_SHOT = fileURLToPath(new URL('../../docs/screenshots/aftersales-form.png', import.meta.url))
const DAY = 86_400_000
// A 1×1 PNG: the proof photo.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64')

const fx = {}
let browser
let page
let phone
const pageErrors = []
let current = () => page
const screenshot = screenshotter('aftersales-', () => current())

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

function order(no, signedDaysAgo, items) {
  const now = Date.now()
  const iso = (ms) => new Date(ms).toISOString()
  const total = items.reduce((s, i) => s + i.price_fen * i.quantity, 0)
  return {
    order_no: no,
    customer: { account_id: `buyer-${suffix}`, name: '林小姐' },
    status: 'signed',
    items,
    total_fen: total,
    paid_fen: total,
    payment_method: '支付宝',
    shipping_company: '顺丰速运',
    waybill: `SF${suffix.toUpperCase()}`,
    ordered_at: iso(now - 8 * DAY),
    paid_at: iso(now - 8 * DAY),
    shipped_at: iso(now - (signedDaysAgo + 1) * DAY),
    signed_at: iso(now - signedDaysAgo * DAY),
    updated_at: iso(now - 1000),
  }
}

describe('kefu orders and after-sales', { timeout: 240_000 }, () => {
  before(async () => {
    assert.ok(BASE, 'set KEFU_URL to the running kefu server, e.g. http://127.0.0.1:18080')
    assert.ok(ADMIN && ADMIN_PASSWORD, 'set KEFU_ADMIN_USER and KEFU_ADMIN_PASSWORD')
    adminToken = (await api('POST', '/auth/login', { username: ADMIN, password: ADMIN_PASSWORD })).token
    fx.merchant = await api('POST', '/merchants', { code: `as-${suffix}`, name: `售后测试店 ${suffix}` })
    const team = await api('POST', '/teams', { name: `售后组 ${suffix}`, owner: 'merchant', merchant_id: fx.merchant.id })
    await api('POST', '/users', { ...agent, password: PASSWORD, role: 'agent', merchant_id: fx.merchant.id, team_id: team.id })
    agentToken = (await apiClient(() => '')('POST', '/auth/login', { username: agent.username, password: PASSWORD })).token
    fx.cupOrder = `AS${suffix.toUpperCase()}01`
    fx.otherOrder = `AS${suffix.toUpperCase()}02`
    await api('POST', '/orders', {
      merchant_id: fx.merchant.id,
      orders: [
        order(fx.cupOrder, 2, [
          { sku: 'CUP-1', name: '真空保温杯 500ml', quantity: 2, price_fen: 5990 },
          { sku: 'CAKE-1', name: '生日蛋糕（定制）', quantity: 1, price_fen: 19900, flags: { customised: true, perishable: true } },
        ]),
        order(fx.otherOrder, 1, [{ sku: 'LAMP-1', name: '护眼台灯', quantity: 1, price_fen: 12900 }]),
      ],
    })
    const found = await asAgent('GET', `/orders?order_no=${fx.cupOrder}`)
    fx.customerId = found.items[0].customer_id
    fx.ticket = await asAgent('POST', '/tickets', {
      customer_id: fx.customerId,
      channel: 'web',
      subject: '保温杯想退货',
      body: `订单 ${fx.cupOrder} 的保温杯不想要了，能退吗？`,
    })
    // The customer's photo, as an attachment of the ticket (the proof the agent picks).
    const res = await fetch(`${BASE}/api/v1/tickets/${fx.ticket.id}/attachments?file_name=${encodeURIComponent('保温杯照片.png')}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${agentToken}`, 'content-type': 'application/octet-stream' },
      body: PNG,
    })
    assert.equal(res.status, 201, await res.text())

    browser = await launch()
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' })
    ctx.setDefaultTimeout(TIMEOUT)
    page = await ctx.newPage()
    page.on('pageerror', (e) => pageErrors.push(String(e)))
  })

  after(async () => {
    await browser?.close()
  })

  it('finds an order by number and links it to the ticket', async () => {
    await login(page, agent.username, PASSWORD)
    await page.goto(`${BASE}/tickets/${fx.ticket.id}`)
    const panel = page.locator('[data-test=orders-panel]')
    await panel.waitFor()
    // The customer's orders are listed before anything is linked.
    await panel.locator(`[data-test=order][data-order-no="${fx.otherOrder}"]`).waitFor()
    await panel.locator('[data-test=order-search]').fill(fx.cupOrder)
    await panel.locator('[data-test=order-search-button]').click()
    const card = panel.locator(`[data-test=order][data-order-no="${fx.cupOrder}"]`)
    await card.locator('[data-test=order-item][data-sku="CAKE-1"]').waitFor()
    await card.getByText('¥318.80').first().waitFor()
    await card.locator('[data-test=item-flag]', { hasText: '定制' }).waitFor()
    await card.locator('[data-test=item-flag]', { hasText: '生鲜' }).waitFor()
    const linked = await responseOf(page, 'PATCH', `/tickets/${fx.ticket.id}`, () => card.locator('[data-test=link-order]').click())
    assert.equal(linked.status, 200, JSON.stringify(linked.body))
    assert.deepEqual(linked.body.order_numbers, [fx.cupOrder])
    await card.locator('[data-test=order-linked]').waitFor()
  })

  it('checks eligibility per item: the customised cake is refused with its basis, the cup qualifies', async () => {
    const card = page.locator(`[data-test=order][data-order-no="${fx.cupOrder}"]`)
    const dialog = page.locator('[data-test=case-dialog]')
    const cake = await responseOf(page, 'POST', `/orders/${(await asAgent('GET', `/orders?order_no=${fx.cupOrder}`)).items[0].id}/eligibility`, () =>
      card.locator('[data-test=order-item][data-sku="CAKE-1"] [data-test=check-eligibility]').click(),
    )
    assert.equal(cake.status, 200)
    assert.equal(cake.body.outcome, 'not_eligible')
    const verdict = dialog.locator('[data-test=verdict][data-outcome=not_eligible]')
    await verdict.waitFor()
    await verdict.getByText('第二十五条', { exact: false }).waitFor()
    assert.ok(await dialog.locator('[data-test=case-submit]').isDisabled(), 'a case cannot be opened on a refusal')
    await screenshot('cake-not-eligible')
    await dialog.getByRole('button', { name: '取消' }).click()
    await dialog.waitFor({ state: 'hidden' })

    await card.locator('[data-test=order-item][data-sku="CUP-1"] [data-test=check-eligibility]').click()
    await dialog.locator('[data-test=verdict][data-outcome=eligible]').waitFor()
    assert.ok(await dialog.locator('[data-test=case-submit]').isEnabled())
    // Changing the request asks for a new check before the case can be opened.
    await chooseOption(page, dialog.locator('[data-test=case-reason]'), '质量问题')
    await dialog.locator('[data-test=verdict-stale]').waitFor()
    assert.ok(await dialog.locator('[data-test=case-submit]').isDisabled())
  })

  it('opens a 退货退款 case with the photo as proof and sees it in the case panel', async () => {
    const dialog = page.locator('[data-test=case-dialog]')
    await dialog.locator('[data-test=kind-return_refund]').click()
    await dialog.locator('[data-test=case-proof] .el-checkbox').first().click()
    await dialog.locator('[data-test=case-description]').fill('杯盖有裂痕，客户已发照片')
    const checked = await responseOf(page, 'POST', /* any order id */ `/orders/${(await asAgent('GET', `/orders?order_no=${fx.cupOrder}`)).items[0].id}/eligibility`, () =>
      dialog.locator('[data-test=case-check]').click(),
    )
    assert.equal(checked.body.outcome, 'eligible', JSON.stringify(checked.body))
    assert.deepEqual(checked.body.missing_proofs, [])
    await dialog.locator('[data-test=verdict-explanation]').first().waitFor()
    await screenshot('verdict')
    const made = await responseOf(page, 'POST', '/aftersales', () => dialog.locator('[data-test=case-submit]').click())
    assert.equal(made.status, 201, JSON.stringify(made.body))
    assert.equal(made.body.kind, 'return_refund')
    assert.equal(made.body.amount_fen, 5990)
    assert.equal(made.body.proofs.length, 1)
    fx.caseId = made.body.id
    await dialog.waitFor({ state: 'hidden' })

    const item = page.locator(`[data-test=cases-panel] [data-test=case][data-case-id="${fx.caseId}"]`)
    await item.locator('[data-test=case-status]', { hasText: '待商家处理' }).waitFor()
    await item.locator('[data-test=case-amount]', { hasText: '¥59.90' }).waitFor()
    await item.locator('[data-test=case-due]').waitFor()
    // The request is a step of the ticket's timeline too.
    await page.locator('[data-test=conversation]').getByText(`售后单 #${fx.caseId}`, { exact: false }).first().waitFor()

    // The merchant agrees; the case now waits for the buyer's parcel.
    await item.locator('[data-test=case-cmd-agree]').click()
    const agreed = await responseOf(page, 'POST', `/aftersales/${fx.caseId}/agree`, () => page.locator('.el-message-box').getByRole('button', { name: '确定' }).click())
    assert.equal(agreed.status, 200, JSON.stringify(agreed.body))
    await item.locator('[data-test=case-status]', { hasText: '待买家退货' }).waitFor()
    await item.locator('[data-test=case-history-toggle]').click()
    await item.locator('[data-test=case-history]').getByText('同意申请').waitFor()
    await page.locator('[data-test=cases-card]').scrollIntoViewIfNeeded()
    await page.waitForFunction(() => !document.querySelector('.el-message'), null, { timeout: 8000 })
    await page.waitForTimeout(300)
    fs.mkdirSync(new URL('../../docs/screenshots/', import.meta.url), { recursive: true })
    await page.screenshot({ path: PANEL_SHOT })
    await screenshot('case-panel')

    // The after-sales link for the customer.
    await page.locator('[data-test=aftersales-link]').click()
    const url = await page.locator('[data-test=aftersales-link-url]').inputValue()
    assert.match(url, /\/after-sales\?token=kas_/)
    fx.link = url
  })

  it('lets the customer request after-sales on a phone and enter the return waybill', async () => {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN' })
    ctx.setDefaultTimeout(TIMEOUT)
    phone = await ctx.newPage()
    phone.on('pageerror', (e) => pageErrors.push(String(e)))
    current = () => phone
    await phone.goto(fx.link)
    await phone.locator(`[data-test=aftersales-order][data-order-no="${fx.otherOrder}"]`).waitFor()
    const first = phone.locator(`[data-test=aftersales-case][data-case-id="${fx.caseId}"]`)
    assert.equal(await first.getAttribute('data-status'), 'awaiting_return')

    // Another item: the verdict is shown before the request can be sent.
    const lamp = (await asAgent('GET', `/orders?order_no=${fx.otherOrder}`)).items[0]
    await phone.locator('[data-test=aftersales-item]').selectOption(`${lamp.id}:LAMP-1`)
    await phone.locator('[data-test=aftersales-kind]').selectOption('return_refund')
    await phone.locator('[data-test=aftersales-reason]').selectOption('quality_problem')
    await phone.locator('[data-test=aftersales-check]').click()
    const verdict = phone.locator('[data-test=aftersales-verdict]')
    await verdict.waitFor()
    assert.notEqual(await verdict.getAttribute('data-outcome'), 'not_eligible')
    await phone.locator('[data-test=aftersales-description]').fill('台灯开关失灵，按下去没有反应')
    await phone.locator('[data-test=aftersales-photos]').setInputFiles({ name: '台灯.png', mimeType: 'image/png', buffer: PNG })
    await phone.locator('[data-test=aftersales-check-result]').scrollIntoViewIfNeeded()
    await phone.waitForTimeout(300)
    await phone.screenshot({ path: FORM_SHOT })
    await screenshot('customer-form')
    await Promise.all([phone.waitForURL(/sent=\d+/), phone.locator('[data-test=aftersales-submit]').click()])
    await phone.locator('[data-test=aftersales-sent]').waitFor()
    const cases = (await asAgent('GET', `/aftersales?ticket_id=${fx.ticket.id}`)).items
    const lampCase = cases.find((c) => c.order_no === fx.otherOrder)
    assert.ok(lampCase, JSON.stringify(cases))
    assert.equal(lampCase.reason, 'quality_problem')
    assert.equal(lampCase.proofs[0].kind, 'photos')
    await phone.locator(`[data-test=aftersales-case][data-case-id="${lampCase.id}"][data-status=awaiting_merchant]`).waitFor()

    // The parcel of the first case.
    await first.locator('[data-test=aftersales-carrier]').fill('顺丰速运')
    await first.locator('[data-test=aftersales-waybill]').fill('SF7788990011')
    await Promise.all([phone.waitForURL(/shipped=\d+/), first.locator('[data-test=aftersales-ship]').click()])
    await phone.locator(`[data-test=aftersales-case][data-case-id="${fx.caseId}"][data-status=awaiting_receipt]`).waitFor()
    await screenshot('customer-shipped')
    const shipped = await asAgent('GET', `/aftersales/${fx.caseId}`)
    assert.equal(shipped.status, 'awaiting_receipt')
    assert.equal(shipped.return_waybill, 'SF7788990011')

    // The agent's panel follows.
    current = () => page
    await page.reload()
    const item = page.locator(`[data-test=cases-panel] [data-test=case][data-case-id="${fx.caseId}"]`)
    await item.locator('[data-test=case-status]', { hasText: '待商家收货' }).waitFor()
    await page.locator(`[data-test=cases-panel] [data-test=case][data-case-id="${lampCase.id}"]`).waitFor()
    assert.deepEqual(pageErrors, [])
  })
})
