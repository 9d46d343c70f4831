// Browser test of the channel admin screens and the notification bell against a running kefu server:
// 渠道设置 → 邮箱 (a support mailbox, refused first for a bad address), → Webhook 订阅 (a subscription to a
// receiver this test runs on 127.0.0.1, its delivery log and 重新发送), and an agent's bell that hears of
// an assignment without a reload and opens the ticket.
//
//   KEFU_URL=http://127.0.0.1:18080 KEFU_ADMIN_USER=admin KEFU_ADMIN_PASSWORD='…' \
//   [KEFU_SCREENSHOTS=/tmp/shots] [CHROMIUM=/usr/bin/chromium] node --test e2e/admin2.test.mjs
//
// The server must allow webhooks to loopback (KEFU_WEBHOOK_ALLOW_PRIVATE=true, as scripts/web-e2e.sh
// starts it): the receiver is on this machine.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import crypto from 'node:crypto'
import http from 'node:http'
import { ADMIN, ADMIN_PASSWORD, BASE, TIMEOUT, apiClient, apiResponse as responseOf, chooseOption, launch, screenshotter } from './lib.mjs'

const suffix = Date.now().toString(36) + Math.floor(Math.random() * 1296).toString(36)
const PASSWORD = `E2e-Admin2-${suffix}`
const agent = { username: `e2e.bell.${suffix}`, display_name: `通知客服${suffix.slice(-4)}` }
const fx = {}

let browser
let adminCtx
let agentCtx
let page
let agentPage
const pageErrors = []
let current = () => page
const screenshot = screenshotter('admin2-', () => current())

let adminToken = ''
const api = apiClient(() => adminToken)

/** The webhook receiver: every request it got, answered 200. */
const received = []
let receiver
let receiverUrl = ''

function startReceiver() {
  return new Promise((resolve) => {
    receiver = http.createServer((req, res) => {
      let body = ''
      req.setEncoding('utf8')
      req.on('data', (c) => (body += c))
      req.on('end', () => {
        received.push({ method: req.method, url: req.url, headers: req.headers, body })
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end('{"ok":true}')
      })
    })
    receiver.listen(0, '127.0.0.1', () => {
      receiverUrl = `http://127.0.0.1:${receiver.address().port}/kefu-hook-${suffix}`
      resolve()
    })
  })
}

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
  await p.goto(`${BASE}/login`)
  await p.getByLabel('用户名').fill(username)
  await p.getByLabel('密码', { exact: true }).fill(password)
  const { status } = await responseOf(p, 'POST', '/auth/login', () => p.getByRole('button', { name: '登录' }).click())
  assert.equal(status, 200)
  await p.locator('[data-test=welcome]').waitFor()
}

describe('kefu channel admin and notifications', { timeout: 240_000 }, () => {
  before(async () => {
    assert.ok(BASE, 'set KEFU_URL to the running kefu server, e.g. http://127.0.0.1:18080')
    assert.ok(ADMIN && ADMIN_PASSWORD, 'set KEFU_ADMIN_USER and KEFU_ADMIN_PASSWORD')
    await startReceiver()
    adminToken = (await api('POST', '/auth/login', { username: ADMIN, password: ADMIN_PASSWORD })).token
    fx.merchant = await api('POST', '/merchants', { code: `adm2-${suffix}`, name: `渠道测试店 ${suffix}` })
    const team = await api('POST', '/teams', { name: `客服一组 ${suffix}`, owner: 'merchant', merchant_id: fx.merchant.id })
    agent.id = (await api('POST', '/users', { ...agent, password: PASSWORD, role: 'agent', merchant_id: fx.merchant.id, team_id: team.id })).id
    fx.customer = await api('POST', '/customers', { display_name: '欧阳锋', merchant_id: fx.merchant.id })

    browser = await launch()
    adminCtx = await browser.newContext({ viewport: { width: 1366, height: 860 }, locale: 'zh-CN' })
    adminCtx.setDefaultTimeout(TIMEOUT)
    page = await adminCtx.newPage()
    page.on('pageerror', (e) => pageErrors.push(String(e)))
    agentCtx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' })
    agentCtx.setDefaultTimeout(TIMEOUT)
    agentPage = await agentCtx.newPage()
    agentPage.on('pageerror', (e) => pageErrors.push(String(e)))
  })

  after(async () => {
    await browser?.close()
    await new Promise((r) => (receiver ? receiver.close(r) : r()))
  })

  it('adds a support mailbox, after the server refused a bad address next to the field', async () => {
    await login(page, ADMIN, ADMIN_PASSWORD)
    await page.goto(`${BASE}/admin/channels`)
    const tabs = page.locator('[data-test=channel-tabs]')
    await tabs.getByRole('tab', { name: '邮箱' }).click()
    const tab = page.locator('[data-test=email-tab]')
    await tab.waitFor()
    await tab.locator('[data-test=mailbox-create]').click()
    const dialog = page.locator('[data-test=mailbox-dialog]')
    await dialog.waitFor()
    await dialog.locator('[data-test=mailbox-address]').fill('客服邮箱')
    await dialog.locator('[data-test=mailbox-from-name]').fill(`渠道测试店客服 ${suffix}`)
    await dialog.locator('[data-test=mailbox-host]').fill('smtp.shop.example')
    const refused = await responseOf(page, 'POST', '/channels/email/mailboxes', () => dialog.locator('[data-test=mailbox-save]').click())
    assert.equal(refused.status, 422)
    assert.equal(refused.body.error.field, 'address')
    await dialog.locator('[data-test=mailbox-address-item] .el-form-item__error', { hasText: refused.body.error.message }).waitFor()
    await screenshot('mailbox-refused')

    const address = `service-${suffix}@shop.example`
    await dialog.locator('[data-test=mailbox-address]').fill(address)
    await dialog.locator('[data-test=mailbox-signature]').fill('{客服昵称} 为您服务，工单号 {工单号}')
    const made = await responseOf(page, 'POST', '/channels/email/mailboxes', () => dialog.locator('[data-test=mailbox-save]').click())
    assert.equal(made.status, 201, JSON.stringify(made.body))
    assert.equal(made.body.address, address)
    assert.equal(made.body.smtp_port, 465)
    assert.equal(made.body.smtp_security, 'tls')
    await dialog.waitFor({ state: 'hidden' })
    const row = tab.locator('[data-test=mailbox-table] .el-table__row', { hasText: address })
    await row.waitFor()
    await row.getByText('smtp.shop.example:465').waitFor()
    await screenshot('mailbox-added')
  })

  it('subscribes a webhook, sees the delivery of a new ticket in the log and sends it again', async () => {
    await page.locator('[data-test=channel-tabs]').getByRole('tab', { name: 'Webhook 订阅' }).click()
    const tab = page.locator('[data-test=webhooks-tab]')
    await tab.waitFor()
    await tab.locator('[data-test=webhook-create]').click()
    const dialog = page.locator('[data-test=webhook-dialog]')
    await dialog.waitFor()
    await chooseOption(page, dialog.locator('.el-select').first(), fx.merchant.name)
    await dialog.locator('[data-test=webhook-url]').fill(receiverUrl)
    await dialog.locator('[data-test=webhook-description]').fill('ERP 同步')
    const made = await responseOf(page, 'POST', '/channels/webhooks', () => dialog.locator('[data-test=webhook-save]').click())
    assert.equal(made.status, 201, JSON.stringify(made.body))
    assert.equal(made.body.merchant_id, fx.merchant.id)
    assert.deepEqual(made.body.events, ['ticket.created'])
    // The secret is shown once, in its own dialog.
    const secretDialog = page.locator('[data-test=webhook-secret-dialog]')
    await secretDialog.waitFor()
    const secret = await secretDialog.locator('[data-test=webhook-secret]').inputValue()
    assert.equal(secret, made.body.secret)
    assert.ok(secret.length >= 16, secret)
    await screenshot('webhook-secret')
    await secretDialog.locator('[data-test=webhook-secret-done]').click()
    await secretDialog.waitFor({ state: 'hidden' })
    const row = tab.locator('[data-test=webhook-table] .el-table__row', { hasText: receiverUrl })
    await row.waitFor()

    // An event: a ticket of the merchant is created; the receiver gets it, signed with the secret.
    fx.ticket = await api('POST', '/tickets', {
      merchant_id: fx.merchant.id,
      customer_id: fx.customer.id,
      channel: 'web',
      subject: `发票抬头要改 ${suffix}`,
      body: '请把发票抬头改成公司名称',
    })
    const first = await until('the first delivery', () => received.find((r) => r.headers['x-kefu-event'] === 'ticket.created'))
    const sent = JSON.parse(first.body)
    assert.equal(sent.type, 'ticket.created')
    assert.equal(sent.ticket.number, fx.ticket.number)
    const expected = 'v1=' + crypto.createHmac('sha256', secret).update(`${first.headers['x-kefu-timestamp']}.${first.body}`).digest('hex')
    assert.equal(first.headers['x-kefu-signature'], expected)

    // The delivery log shows it as delivered.
    await row.locator('[data-test=webhook-log]').click()
    const drawer = page.locator('[data-test=webhook-log-drawer]')
    await drawer.waitFor()
    const delivered = drawer.locator('[data-test=delivery-table] .el-table__row [data-test=delivery-state][data-state=delivered]')
    await until('the delivery in the log', async () => {
      if ((await delivered.count()) > 0) return true
      await drawer.locator('[data-test=webhook-log-refresh]').click()
      await page.waitForTimeout(500)
      return (await delivered.count()) > 0
    })
    const logRow = drawer.locator('[data-test=delivery-table] .el-table__row').first()
    await logRow.getByText('工单创建').waitFor()
    await logRow.getByText('HTTP 200').waitFor()
    await screenshot('webhook-log')

    // 重新发送: the same delivery again (same X-Kefu-Delivery), a fresh attempt in the log.
    const before = received.length
    const [delivery] = await api('GET', `/channels/webhooks/${made.body.id}/deliveries`)
    const replayed = await responseOf(page, 'POST', `/channels/webhook-deliveries/${delivery.id}/replay`, () =>
      logRow.locator('[data-test=delivery-replay]').click(),
    )
    assert.equal(replayed.status, 200, JSON.stringify(replayed.body))
    const again = await until('the replayed delivery', () => received.slice(before).find((r) => r.headers['x-kefu-delivery'] === first.headers['x-kefu-delivery']))
    assert.equal(again.body, first.body)
    await until('the second attempt in the log', async () => {
      await drawer.locator('[data-test=webhook-log-refresh]').click()
      await page.waitForTimeout(400)
      const attempts = await logRow.locator('[data-test=delivery-attempts]').innerText()
      const state = await logRow.locator('[data-test=delivery-state]').getAttribute('data-state')
      return attempts.trim() === '2' && state === 'delivered'
    })
    await screenshot('webhook-replayed')
  })

  it('tells an agent of an assignment in the bell without a reload, and opens the ticket from it', async () => {
    current = () => agentPage
    await login(agentPage, agent.username, PASSWORD)
    await agentPage.locator('[data-test=notif-bell]').waitFor()
    const count = agentPage.locator('[data-test=notif-count] .el-badge__content')
    assert.equal(await count.isVisible(), false, 'nothing unread yet')
    // The long poll is waiting; the supervisor assigns the ticket meanwhile.
    await agentPage.waitForTimeout(500)
    await api('POST', `/tickets/${fx.ticket.id}/assign`, { user_id: agent.id })
    await count.filter({ hasText: '1' }).waitFor({ timeout: 20_000 })
    await screenshot('bell-count')

    await agentPage.locator('[data-test=notif-bell]').click()
    const panel = agentPage.locator('[data-test=notif-panel]')
    await panel.waitFor()
    const item = panel.locator(`[data-test=notif-item][data-ticket="${fx.ticket.id}"]`)
    await item.waitFor()
    assert.equal(await item.getAttribute('data-kind'), 'assigned')
    await item.getByText(fx.ticket.number).waitFor()
    await item.getByText('分配给我').waitFor()
    // The desktop-notification opt-in lives here and is remembered.
    await panel.locator('[data-test=notif-desktop]').click()
    assert.equal(await agentPage.evaluate(() => localStorage.getItem('kefu.notify.desktop')), '1')
    await screenshot('bell-open')

    const read = await responseOf(agentPage, 'POST', `/notifications/${(await agentApi('GET', '/notifications')).items[0].id}/read`, () => item.click())
    assert.equal(read.status, 204)
    await agentPage.waitForURL(`${BASE}/tickets/${fx.ticket.id}`)
    await agentPage.locator('[data-test=ticket-number]', { hasText: fx.ticket.number }).waitFor()
    await count.waitFor({ state: 'hidden' })
    const unread = await agentApi('GET', '/notifications?unread=true')
    assert.deepEqual(unread.items, [])
    await screenshot('ticket-from-bell')
    assert.deepEqual(pageErrors, [])
  })
})

let agentToken = ''
async function agentApi(method, pathPart, body) {
  agentToken ||= (await apiClient(() => '')('POST', '/auth/login', { username: agent.username, password: PASSWORD })).token
  return apiClient(() => agentToken)(method, pathPart, body)
}
