// Browser test of the agent's desk tools against a running kefu server: 快捷回复 (quick replies) in the
// reply box, 在线状态 (presence) in the header, and the 即将超时 (due soon) ticket list.
//
//   KEFU_URL=http://127.0.0.1:18080 KEFU_ADMIN_USER=admin KEFU_ADMIN_PASSWORD='…' \
//   [KEFU_SCREENSHOTS=/tmp/shots] [CHROMIUM=/usr/bin/chromium] node --test e2e/workspace2.test.mjs
//
// The setup goes through the API as the platform admin: a merchant of its own, a team, an agent who is
// in no skill group (so the server refuses to put them online), a customer and a ticket with an order.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ADMIN, ADMIN_PASSWORD, BASE, TIMEOUT, apiClient, apiResponse as responseOf, launch, screenshotter } from './lib.mjs'


const suffix = Date.now().toString(36) + Math.floor(Math.random() * 1296).toString(36)
const PASSWORD = `E2e-Desk2-${suffix}`
const agent = { username: `e2e.qr.${suffix}`, display_name: `快捷客服${suffix.slice(-4)}` }
const SHORTCUT = `/退款${suffix.slice(-3)}`
const TEMPLATE = '{客户称呼}您好，您的工单 {工单号} 已受理，订单 {订单号} 的退款三个工作日内到账。——{客服昵称}'
const fx = {}

let browser
let context
let page
const pageErrors = []
const screenshot = screenshotter('desk-', () => page)
const apiResponse = (method, pathPart, action, query) => responseOf(page, method, pathPart, action, query)

let adminToken = ''
const api = apiClient(() => adminToken)
async function login(username) {
  await page.goto(`${BASE}/login`)
  await page.getByLabel('用户名').fill(username)
  await page.getByLabel('密码', { exact: true }).fill(PASSWORD)
  const { status } = await apiResponse('POST', '/auth/login', () => page.getByRole('button', { name: '登录' }).click())
  assert.equal(status, 200)
  await page.locator('[data-test=welcome]').waitFor()
}

/** What a filled-in quick reply must say for the test ticket. */
function assertFilled(text) {
  assert.ok(text.includes('周芷若') || text.includes('亲'), `the customer's name or 亲 in: ${text}`)
  assert.ok(text.includes(fx.ticket.number), `the ticket number in: ${text}`)
  assert.ok(text.includes(`DD${suffix}`), `the order number in: ${text}`)
  assert.ok(text.includes(agent.display_name), `the agent's name in: ${text}`)
  assert.ok(!/\{[^}]*\}/.test(text), `no variable left in: ${text}`)
}

describe('kefu agent desk: quick replies, presence, due soon', { timeout: 180_000 }, () => {
  before(async () => {
    assert.ok(BASE, 'set KEFU_URL to the running kefu server, e.g. http://127.0.0.1:18080')
    assert.ok(ADMIN && ADMIN_PASSWORD, 'set KEFU_ADMIN_USER and KEFU_ADMIN_PASSWORD')
    adminToken = (await api('POST', '/auth/login', { username: ADMIN, password: ADMIN_PASSWORD })).token
    const merchant = await api('POST', '/merchants', { code: `desk2-${suffix}`, name: `快捷回复测试店 ${suffix}` })
    const team = await api('POST', '/teams', { name: `售后组 ${suffix}`, owner: 'merchant', merchant_id: merchant.id })
    agent.id = (await api('POST', '/users', { ...agent, password: PASSWORD, role: 'agent', merchant_id: merchant.id, team_id: team.id })).id
    const customer = await api('POST', '/customers', { display_name: '周芷若', phone: `138${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`, merchant_id: merchant.id })
    fx.ticket = await api('POST', '/tickets', {
      merchant_id: merchant.id,
      customer_id: customer.id,
      channel: 'chat',
      subject: `退款还没到账 ${suffix}`,
      body: '申请的退款一周了还没有到账',
      order_numbers: [`DD${suffix}`],
    })

    browser = await launch()
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' })
    context.setDefaultTimeout(TIMEOUT)
    page = await context.newPage()
    page.on('pageerror', (e) => pageErrors.push(String(e)))
  })

  after(async () => {
    await browser?.close()
  })

  it('adds a personal quick reply with a shortcut from the reply box', async () => {
    await login(agent.username)
    await page.goto(`${BASE}/tickets/${fx.ticket.id}`)
    await page.locator('[data-test=ticket-number]', { hasText: fx.ticket.number }).waitFor()

    const picker = page.locator('[data-test=quick-reply-picker]')
    const listed = await apiResponse('GET', '/quick-replies', () => page.locator('[data-test=quick-reply-button]').click())
    assert.equal(listed.status, 200)
    await picker.waitFor()
    await picker.getByText('暂无快捷回复').waitFor()

    await picker.locator('[data-test=quick-reply-new]').click()
    const form = page.locator('[data-test=quick-reply-form]')
    await form.waitFor()
    // An agent sees no 与商家共享 switch: shared replies are for supervisors.
    assert.equal(await form.locator('[data-test=quick-reply-shared]').count(), 0)
    await form.locator('[data-test=quick-reply-title]').fill('退款到账说明')
    await form.locator('[data-test=quick-reply-body]').fill(TEMPLATE)
    // A shortcut without the slash: the server's refusal shows next to the field.
    await form.locator('[data-test=quick-reply-shortcut]').fill('退款')
    const refused = await apiResponse('POST', '/quick-replies', () => form.locator('[data-test=quick-reply-save]').click())
    assert.equal(refused.status, 422)
    assert.equal(refused.body.error.field, 'shortcut')
    await form.locator('.el-form-item__error', { hasText: refused.body.error.message }).waitFor()
    await screenshot('shortcut-refused')

    await form.locator('[data-test=quick-reply-shortcut]').fill(SHORTCUT)
    const made = await apiResponse('POST', '/quick-replies', () => form.locator('[data-test=quick-reply-save]').click())
    assert.equal(made.status, 201)
    assert.equal(made.body.owner_id, agent.id, 'personal by default')
    fx.reply = made.body
    await form.waitFor({ state: 'hidden' })
    const item = picker.locator('[data-test=quick-reply-item]', { hasText: '退款到账说明' })
    await item.waitFor()
    await item.getByText(SHORTCUT).waitFor()
    await item.getByText('个人').waitFor()
    await item.locator('[data-test=quick-reply-edit]').waitFor()
    await screenshot('picker-with-reply')
    await page.keyboard.press('Escape')
    await picker.waitFor({ state: 'hidden' })
  })

  it('inserts a quick reply through the picker (Ctrl+/, search, Enter) with the variables filled', async () => {
    const input = page.locator('[data-test=reply-input]')
    await input.click()
    await input.fill('您好！')
    const picker = page.locator('[data-test=quick-reply-picker]')
    await page.keyboard.press('Control+/')
    await picker.waitFor()
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-test') === 'quick-reply-search')
    const searched = await apiResponse('GET', '/quick-replies', () => page.keyboard.type('到账'), { q: '到账' })
    assert.equal(searched.status, 200)
    assert.ok(searched.body.some((r) => r.id === fx.reply.id))
    await picker.locator('[data-test=quick-reply-item]', { hasText: '退款到账说明' }).waitFor()
    await screenshot('picker-search')
    const rendered = await apiResponse('GET', `/quick-replies/${fx.reply.id}/render`, () => page.keyboard.press('Enter'), { ticket_id: String(fx.ticket.id) })
    assert.equal(rendered.status, 200)
    assertFilled(rendered.body.body)
    await picker.waitFor({ state: 'hidden' })
    await page.waitForFunction((want) => document.querySelector('[data-test=reply-input]')?.value === want, `您好！${rendered.body.body}`)
    // The cursor stays after the inserted text, in the reply box.
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-test')), 'reply-input')
    await screenshot('inserted-by-picker')

    // The shortcut is in the help overlay.
    await input.fill('')
    await page.keyboard.press('Escape')
    await page.keyboard.press('?')
    const help = page.locator('[data-test=shortcut-dialog]')
    await help.getByText('插入快捷回复').waitFor()
    await page.keyboard.press('Escape')
    await help.waitFor({ state: 'hidden' })
  })

  it('expands a shortcut typed in the reply box with Tab', async () => {
    const input = page.locator('[data-test=reply-input]')
    await input.click()
    await input.fill('')
    await page.keyboard.type(SHORTCUT)
    const rendered = await apiResponse('GET', `/quick-replies/${fx.reply.id}/render`, () => page.keyboard.press('Tab'), { ticket_id: String(fx.ticket.id) })
    assert.equal(rendered.status, 200)
    await page.waitForFunction((want) => document.querySelector('[data-test=reply-input]')?.value === want, rendered.body.body)
    assertFilled(await input.inputValue())
    await screenshot('inserted-by-shortcut')
    // And it goes out as a reply.
    const sent = await apiResponse('POST', `/tickets/${fx.ticket.id}/replies`, () => page.locator('[data-test=send]').click())
    assert.equal(sent.status, 200, JSON.stringify(sent.body))
    await page.locator('[data-test=message-body]', { hasText: fx.ticket.number }).waitFor()
    assert.equal(await input.inputValue(), '')
  })

  it('keeps a half-written reply when the session expires, and after logging in again', async () => {
    const input = page.locator('[data-test=reply-input]')
    const text = `客户您好，关于退款的进度 ${suffix}`
    await input.fill(text)
    // The session ends on the server (as when it expires or an admin disables it) while the agent types.
    const ended = await page.evaluate(async () => (await fetch('/api/v1/auth/logout', { method: 'POST', headers: { 'X-Kefu-CSRF': '1' } })).status)
    assert.equal(ended, 204)
    const refused = await apiResponse('POST', `/tickets/${fx.ticket.id}/replies`, () => page.locator('[data-test=send]').click())
    assert.equal(refused.status, 401)
    await page.waitForURL(/\/login\?.*expired=1/)
    await page.getByText('登录已过期').first().waitFor()
    await screenshot('session-expired')
    await page.getByLabel('用户名').fill(agent.username)
    await page.getByLabel('密码', { exact: true }).fill(PASSWORD)
    await page.getByRole('button', { name: '登录' }).click()
    await page.waitForURL(new RegExp(`/tickets/${fx.ticket.id}$`))
    await page.locator('[data-test=ticket-number]', { hasText: fx.ticket.number }).waitFor()
    assert.equal(await input.inputValue(), text, 'the draft is back in the reply box')
    // Nothing went out while logged out; now it does, and the box empties for good.
    const sent = await apiResponse('POST', `/tickets/${fx.ticket.id}/replies`, () => page.locator('[data-test=send]').click())
    assert.equal(sent.status, 200, JSON.stringify(sent.body))
    await page.locator('[data-test=message-body]', { hasText: text }).waitFor()
    assert.equal(await page.locator('[data-test=message-body]', { hasText: text }).count(), 1)
    assert.equal(await input.inputValue(), '')
    await page.reload()
    await page.locator('[data-test=ticket-number]', { hasText: fx.ticket.number }).waitFor()
    assert.equal(await input.inputValue(), '')
  })

  it('gives the customer a status link: on a phone, without logging in, they see the replies and add a message', async () => {
    await page.locator('[data-test=more-actions]').click()
    const made = await apiResponse('POST', `/tickets/${fx.ticket.id}/status-link`, () => page.locator('[data-test=status-link]:visible').click())
    assert.equal(made.status, 200, JSON.stringify(made.body))
    const url = await page.locator('[data-test=status-link-url]').inputValue()
    assert.match(url, /\/ticket-status\?token=kst_/)
    await page.keyboard.press('Escape')

    const phone = await browser.newContext({ viewport: { width: 390, height: 780 }, isMobile: true, hasTouch: true, locale: 'zh-CN' })
    const customer = await phone.newPage()
    customer.on('dialog', (d) => {
      pageErrors.push(`dialog: ${d.message()}`)
      void d.dismiss()
    })
    await customer.goto(url)
    await customer.locator('[data-test=status-number]', { hasText: fx.ticket.number }).waitFor()
    await customer.locator('[data-test=status-message][data-from=staff]').first().waitFor()
    const text = `我周五前需要退款 ${suffix} <img src=x onerror=alert(3)>`
    await customer.locator('[data-test=status-input]').fill(text)
    await customer.locator('[data-test=status-send]').click()
    await customer.locator('[data-test=status-sent]').waitFor()
    await customer.locator('[data-test=status-message][data-from=customer]', { hasText: `我周五前需要退款 ${suffix}` }).waitFor()
    // The markup is text on the customer's page too.
    assert.equal(await customer.locator('[data-test=status-message] img').count(), 0)
    if (process.env.KEFU_SCREENSHOTS) await customer.screenshot({ path: `${process.env.KEFU_SCREENSHOTS}/desk-status-page.png`, fullPage: true })
    await phone.close()

    await page.reload()
    await page.locator('[data-test=message-body]', { hasText: `我周五前需要退款 ${suffix}` }).waitFor()
  })

  it('shows the refusal to go online, and takes a break with a reason', async () => {
    const presence = page.locator('[data-test=presence]')
    await presence.waitFor()
    await presence.click()
    const online = await apiResponse('PUT', '/me/presence', () => page.locator('[data-test=presence-online]:visible').click())
    assert.equal(online.status, 403)
    const message = online.body.error.message
    assert.ok(message, 'the server says why')
    await page.locator('.el-message--error', { hasText: message }).waitFor()
    await screenshot('presence-refused')

    await presence.click()
    await page.locator('[data-test=presence-away]:visible').click()
    const box = page.locator('.presence-reason-box')
    await box.waitFor()
    await box.locator('input').fill('午餐')
    const away = await apiResponse('PUT', '/me/presence', () => box.getByRole('button', { name: '确定' }).click())
    assert.equal(away.status, 200)
    assert.deepEqual(away.body.presence, { status: 'away', reason: '午餐' })
    await page.locator('[data-test=presence-label]', { hasText: '小休 · 午餐' }).waitFor()
    assert.equal(await presence.getAttribute('data-status'), 'away')
    await screenshot('presence-away')
  })

  it('lists the tickets due soon', async () => {
    await page.getByRole('menuitem', { name: '工单', exact: true }).click()
    await page.waitForURL(/\/tickets/)
    const tab = page.locator('[data-test=tab-due_soon]')
    await tab.waitFor()
    // The label, then (once the tab counts have loaded) how many tickets it holds.
    assert.match(await tab.innerText(), /^即将超时(\d+|99\+)?$/)
    const due = await apiResponse('GET', '/tickets', () => tab.click(), { view: 'due_soon', due_within_minutes: '60', limit: '50' })
    assert.equal(due.status, 200)
    assert.ok(Array.isArray(due.body.items))
    assert.equal(new URL(page.url()).searchParams.get('tab'), 'due_soon')
    await page.locator('[data-test=tickets-table]').waitFor()
    await screenshot('due-soon')
    assert.deepEqual(pageErrors, [])
  })
})
