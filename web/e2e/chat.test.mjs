// Browser test of live chat (在线咨询) against a running kefu server.
//
//   KEFU_URL=http://127.0.0.1:18080 KEFU_ADMIN_USER=admin KEFU_ADMIN_PASSWORD='…' \
//   [KEFU_SCREENSHOTS=/tmp/shots] [CHROMIUM=/usr/bin/chromium] node --test e2e/chat.test.mjs
//
// Sets up (through the API) a merchant, an agent certified for an online skill group and a personal quick
// reply. Then, in three browser contexts: the admin opens 渠道设置 (embed code, greeting, secret rotation);
// a customer on a phone-sized standalone chat page (/chat?key=…) writes; the agent, online in the
// workspace, gets the chat live in a tab, answers with the quick reply; the customer sees it (and the
// agent sees 已读); the customer reloads and finds every message once; script payloads show as text on
// both sides and nothing runs; the agent ends the chat and the customer gets the closing message with the
// rating link; and a shop page with the widget script opens the chat in its panel.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ADMIN, ADMIN_PASSWORD, BASE, TIMEOUT, apiClient, apiResponse, chooseOption, launch, screenshotter } from './lib.mjs'

const suffix = Date.now().toString(36) + Math.floor(Math.random() * 1296).toString(36)
const PASSWORD = 'Chat-Agent-Pass-2026'
const agent = { username: `chat.agent.${suffix}`, display_name: `小聊${suffix.slice(-4)}` }
const colleague = { username: `chat.agent2.${suffix}`, display_name: `小接${suffix.slice(-4)}` }
const GREETING = `您好，欢迎光临聊天小店 ${suffix}，请问有什么可以帮您？`
const QUICK = '亲，退款会在 1-3 个工作日内原路退回，请留意账户到账信息。'
const XSS_IMG = '<img src=x onerror=alert(1)>'
const XSS_SCRIPT = '<script>alert(2)</script>'
const fx = {}

let browser
const contexts = []
let adminPage
let customerPage
let agentPage
let colleaguePage
const dialogs = []
const pageErrors = []
const shotAdmin = screenshotter('chat-admin-', () => adminPage)
const shotCustomer = screenshotter('chat-customer-', () => customerPage)
const shotAgent = screenshotter('chat-agent-', () => agentPage)
const shotColleague = screenshotter('chat-colleague-', () => colleaguePage)

let adminToken = ''
let agentToken = ''
const api = apiClient(() => adminToken)
const agentApi = apiClient(() => agentToken)

async function newPage(options) {
  const context = await browser.newContext({ locale: 'zh-CN', ...options })
  context.setDefaultTimeout(TIMEOUT)
  contexts.push(context)
  const page = await context.newPage()
  page.on('dialog', (d) => {
    dialogs.push(d.message())
    void d.dismiss()
  })
  page.on('pageerror', (e) => pageErrors.push(String(e)))
  return page
}

async function login(page, username, password) {
  await page.goto(`${BASE}/login`)
  await page.getByLabel('用户名').fill(username)
  await page.getByLabel('密码', { exact: true }).fill(password)
  const { status } = await apiResponse(page, 'POST', '/auth/login', () => page.getByRole('button', { name: '登录' }).click())
  assert.equal(status, 200)
  await page.locator('[data-test=welcome]').waitFor()
}

/** The messages of the customer page as [from, text] (system lines as ['system', text]). */
async function customerTranscript() {
  return customerPage.locator('[data-test=chat-messages] [data-test=chat-system], [data-test=chat-messages] [data-test=chat-message]').evaluateAll((els) =>
    els.map((el) =>
      el.getAttribute('data-test') === 'chat-system'
        ? ['system', el.textContent.trim()]
        : [el.getAttribute('data-from'), el.querySelector('[data-test=chat-bubble]').textContent.trim()],
    ),
  )
}

/** Wait until a condition over the page holds (poll, no fixed sleeps). */
async function until(fn, what, timeout = 30_000) {
  const end = Date.now() + timeout
  let last
  while (Date.now() < end) {
    last = await fn()
    if (last) return last
    await new Promise((r) => setTimeout(r, 200))
  }
  assert.fail(`timed out waiting for ${what}`)
}

describe('kefu live chat (在线咨询)', { timeout: 300_000 }, () => {
  before(async () => {
    assert.ok(BASE, 'set KEFU_URL to the running kefu server, e.g. http://127.0.0.1:18080')
    assert.ok(ADMIN && ADMIN_PASSWORD, 'set KEFU_ADMIN_USER and KEFU_ADMIN_PASSWORD')
    adminToken = (await api('POST', '/auth/login', { username: ADMIN, password: ADMIN_PASSWORD })).token
    fx.merchant = await api('POST', '/merchants', { code: `chat-${suffix}`, name: `聊天小店 ${suffix}` })
    fx.agent = await api('POST', '/users', { ...agent, password: PASSWORD, role: 'agent', merchant_id: fx.merchant.id })
    fx.group = await api('POST', '/routing/groups', { merchant_id: fx.merchant.id, name: `在线组 ${suffix}`, matching: { channels: ['chat'] } })
    fx.colleague = await api('POST', '/users', { ...colleague, password: PASSWORD, role: 'agent', merchant_id: fx.merchant.id })
    await api('PUT', `/routing/groups/${fx.group.id}/members`, [{ user_id: fx.agent.id }, { user_id: fx.colleague.id }])
    await api('POST', `/users/${fx.agent.id}/certifications`, { group_id: fx.group.id })
    await api('POST', `/users/${fx.colleague.id}/certifications`, { group_id: fx.group.id })
    agentToken = (await agentApi('POST', '/auth/login', { username: agent.username, password: PASSWORD })).token
    fx.reply = await agentApi('POST', '/quick-replies', { title: '退款时效', body: QUICK, shortcut: null, shared: false })

    browser = await launch()
    adminPage = await newPage({ viewport: { width: 1280, height: 860 } })
    agentPage = await newPage({ viewport: { width: 1280, height: 800 } })
    colleaguePage = await newPage({ viewport: { width: 1280, height: 800 } })
    // A phone: the standalone page is what the widget opens full screen on narrow screens.
    customerPage = await newPage({ viewport: { width: 390, height: 780 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 })
  })

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {})
    await browser?.close()
  })

  it('渠道设置: the admin reads the embed code, edits the greeting and replaces the secret', async () => {
    await login(adminPage, ADMIN, ADMIN_PASSWORD)
    await adminPage.getByRole('menuitem', { name: '渠道设置' }).click()
    await adminPage.getByRole('heading', { name: '渠道设置' }).waitFor()
    const loaded = await apiResponse(adminPage, 'GET', '/channels/chat', () => chooseOption(adminPage, adminPage.locator('[data-test=merchant-select]'), fx.merchant.name), {
      merchant_id: String(fx.merchant.id),
    })
    assert.equal(loaded.status, 200, JSON.stringify(loaded.body))
    fx.widgetKey = loaded.body.widget_key
    assert.match(fx.widgetKey, /^wk_/)
    await adminPage.locator('[data-test=chat-widget-key]', { hasText: fx.widgetKey }).waitFor()
    const snippet = await adminPage.locator('[data-test=chat-snippet]').inputValue()
    assert.equal(snippet, `<script src="${BASE}/widget.js" data-key="${fx.widgetKey}" async></script>`)

    await adminPage.locator('[data-test=chat-greeting]').fill(GREETING)
    const saved = await apiResponse(adminPage, 'PUT', '/channels/chat', () => adminPage.locator('[data-test=chat-save]').click())
    assert.equal(saved.status, 200, JSON.stringify(saved.body))
    assert.equal(saved.body.greeting, GREETING)
    assert.equal(saved.body.merchant_id, fx.merchant.id)

    await adminPage.locator('[data-test=chat-rotate]').click()
    const box = adminPage.getByRole('dialog')
    await box.getByRole('button', { name: '更换签名密钥' }).waitFor()
    const rotated = await apiResponse(adminPage, 'POST', '/channels/chat/rotate-secret', () => box.getByRole('button', { name: '更换签名密钥' }).click())
    assert.equal(rotated.status, 200)
    assert.ok(rotated.body.secret, 'the new secret is in the answer')
    assert.equal(await adminPage.locator('[data-test=chat-secret-value]').inputValue(), rotated.body.secret)
    await shotAdmin('settings')
  })

  it('the agent goes online and opens 在线咨询 (empty)', async () => {
    const presence = await agentApi('PUT', '/me/presence', { status: 'online' })
    assert.equal(presence.presence.status, 'online', JSON.stringify(presence))
    await login(agentPage, agent.username, PASSWORD)
    await agentPage.locator('[data-test=presence][data-status=online]').waitFor()
    await agentPage.getByRole('menuitem', { name: '在线咨询' }).click()
    await agentPage.getByRole('heading', { name: '在线咨询' }).waitFor()
    await agentPage.locator('[data-test=chats-empty]').waitFor()
    await agentPage.locator('[data-test=desk-status]', { hasText: '已连接' }).waitFor()
  })

  it('a customer on the chat page sees the greeting and writes; the agent gets the chat live and answers with a quick reply', async () => {
    await customerPage.goto(`${BASE}/chat?key=${encodeURIComponent(fx.widgetKey)}`)
    await customerPage.locator('[data-test=chat-merchant]', { hasText: fx.merchant.name }).waitFor()
    await customerPage.locator('[data-test=chat-system]', { hasText: GREETING }).waitFor()
    await customerPage.locator('[data-test=chat-input]').fill('你好，我想问一下退款多久到账？')
    await customerPage.locator('[data-test=chat-input]').press('Enter')
    const mine = customerPage.locator('[data-test=chat-message][data-from=customer]', { hasText: '退款多久到账' })
    await mine.waitFor()
    // Acked (durable): no longer 发送中 (已读 already when the agent was quick).
    await mine.locator('[data-test=chat-state]', { hasText: /未读|已读/ }).waitFor()
    await shotCustomer('sent')

    // The router gives the chat to the online agent: a tab appears without a reload.
    const tab = agentPage.locator('[data-test=chat-tab]').first()
    await tab.waitFor({ timeout: 40_000 })
    await agentPage.locator('[data-test=chat-panel] [data-test=chat-message][data-from=customer]', { hasText: '退款多久到账' }).waitFor()
    fx.conversation = await tab.getAttribute('data-conversation')
    // The customer waits for an answer: the tab counts it.
    await tab.locator('[data-test=chat-wait]').waitFor()
    await shotAgent('new-chat')
    // The customer sees who serves them, and the agent's read receipt turns the message 已读.
    await customerPage.locator('[data-test=chat-agent]', { hasText: agent.display_name }).waitFor({ timeout: 40_000 })
    await mine.locator('[data-test=chat-state]', { hasText: '已读' }).waitFor()

    // The customer types: the agent sees it.
    await customerPage.locator('[data-test=chat-input]').pressSequentially('还有', { delay: 30 })
    await agentPage.locator('[data-test=chat-panel] [data-test=chat-typing]').waitFor()
    await customerPage.locator('[data-test=chat-input]').fill('')

    // 快捷回复 through the picker, rendered for the ticket, then Enter sends.
    const rendered = await apiResponse(agentPage, 'GET', '/quick-replies', () => agentPage.locator('[data-test=quick-reply-button]').click())
    assert.equal(rendered.status, 200)
    const picker = agentPage.locator('[data-test=quick-reply-picker]')
    await picker.locator('[data-test=quick-reply-item]', { hasText: '退款时效' }).click()
    await picker.waitFor({ state: 'hidden' })
    await until(async () => (await agentPage.locator('[data-test=desk-input]').inputValue()) === QUICK, 'the quick reply in the box')
    await agentPage.locator('[data-test=desk-input]').press('Enter')
    const sent = agentPage.locator('[data-test=chat-panel] [data-test=chat-message][data-from=agent]', { hasText: QUICK })
    await sent.waitFor()
    assert.equal(await agentPage.locator('[data-test=desk-input]').inputValue(), '', 'the box is empty after sending')

    const answer = customerPage.locator('[data-test=chat-message][data-from=agent]', { hasText: QUICK })
    await answer.waitFor()
    assert.match(await answer.textContent(), new RegExp(agent.display_name))
    // The customer's page is visible: the agent's message shows 已读 on the agent's side.
    await sent.locator('[data-test=chat-state]', { hasText: '已读' }).waitFor()
    await shotCustomer('answered')
    await shotAgent('answered')
  })

  it('the customer reloads: every message is there once, nothing lost or doubled', async () => {
    const before = await customerTranscript()
    assert.ok(before.length >= 3, JSON.stringify(before))
    await customerPage.reload()
    await customerPage.locator('[data-test=chat-message][data-from=agent]', { hasText: QUICK }).waitFor()
    // Let the replay finish, then compare.
    await until(async () => (await customerTranscript()).length >= before.length, 'the replay')
    await customerPage.waitForTimeout(500)
    assert.deepEqual(await customerTranscript(), before)
    // Written after the reload, it arrives once on the agent's side too.
    await customerPage.locator('[data-test=chat-input]').fill('好的，谢谢')
    await customerPage.locator('[data-test=chat-send]').click()
    await agentPage.locator('[data-test=chat-panel] [data-test=chat-message][data-from=customer]', { hasText: '好的，谢谢' }).waitFor()
    await customerPage.waitForTimeout(500)
    assert.equal(await agentPage.locator('[data-test=chat-panel] [data-test=chat-message]', { hasText: '好的，谢谢' }).count(), 1)
    assert.equal(await customerPage.locator('[data-test=chat-message]', { hasText: '好的，谢谢' }).count(), 1)
  })

  it('script payloads show as text on both sides and nothing runs', async () => {
    for (const text of [XSS_IMG, XSS_SCRIPT]) {
      await customerPage.locator('[data-test=chat-input]').fill(text)
      await customerPage.locator('[data-test=chat-input]').press('Enter')
      await customerPage.locator('[data-test=chat-bubble]', { hasText: text }).waitFor()
      await agentPage.locator('[data-test=chat-panel] [data-test=chat-bubble]', { hasText: text }).waitFor()
    }
    await agentPage.locator('[data-test=desk-input]').fill(`请勿发送 ${XSS_IMG}`)
    await agentPage.locator('[data-test=desk-input]').press('Enter')
    await customerPage.locator('[data-test=chat-bubble]', { hasText: `请勿发送 ${XSS_IMG}` }).waitFor()
    // No element was made of the payloads, no dialog opened.
    for (const page of [customerPage, agentPage]) {
      assert.equal(await page.locator('[data-test=chat-messages] img').count(), 0)
      assert.equal(await page.locator('[data-test=chat-messages] script').count(), 0)
    }
    await customerPage.waitForTimeout(500)
    assert.deepEqual(dialogs, [])
    await shotCustomer('xss-as-text')
    await shotAgent('xss-as-text')
  })

  it('the customer sends an emoji from the picker and a picture', async () => {
    await customerPage.locator('[data-test=chat-emoji]').click()
    await customerPage.locator('[data-test=chat-emoji-grid]').getByRole('option', { name: '👍' }).click()
    assert.equal(await customerPage.locator('[data-test=chat-input]').inputValue(), '👍')
    await customerPage.locator('[data-test=chat-input]').press('Enter')
    await agentPage.locator('[data-test=chat-panel] [data-test=chat-bubble]', { hasText: '👍' }).waitFor()

    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
      'base64',
    )
    const uploaded = await apiResponse(customerPage, 'POST', '/public/chat/attachments', () =>
      customerPage.locator('[data-test=chat-file]').setInputFiles({ name: '订单截图.png', mimeType: 'image/png', buffer: png }),
    )
    assert.equal(uploaded.status, 201, JSON.stringify(uploaded.body))
    const sent = customerPage.locator('[data-test=chat-message][data-from=customer]', { hasText: '订单截图.png' })
    await sent.locator('[data-test=chat-attachment]').waitFor()
    await sent.locator('[data-test=chat-state]', { hasText: /未读|已读/ }).waitFor()
    await agentPage.locator('[data-test=chat-panel] [data-test=chat-attachment]', { hasText: '订单截图.png' }).waitFor()
  })

  it('the agent transfers the chat with a reason; the colleague gets it live and ends it; the customer gets the closing message and the rating link', async () => {
    // The colleague works in the workspace too (online only now, so the first chat was not theirs).
    const colleagueApi = apiClient(() => fx.colleagueToken)
    fx.colleagueToken = (await colleagueApi('POST', '/auth/login', { username: colleague.username, password: PASSWORD })).token
    assert.equal((await colleagueApi('PUT', '/me/presence', { status: 'online' })).presence.status, 'online')
    await login(colleaguePage, colleague.username, PASSWORD)
    await colleaguePage.getByRole('menuitem', { name: '在线咨询' }).click()
    await colleaguePage.locator('[data-test=desk-status]', { hasText: '已连接' }).waitFor()
    const ticketId = await ticketOfChat()
    await agentPage.locator('[data-test=chat-transfer]').click()
    const dlg = agentPage.getByRole('dialog', { name: '转派工单' })
    await dlg.waitFor()
    await chooseOption(agentPage, dlg.locator('[data-test=transfer-user]'), colleague.display_name)
    await dlg.locator('[data-test=transfer-reason]').fill('物流问题，转物流专员跟进')
    const moved = await apiResponse(agentPage, 'POST', `/tickets/${ticketId}/transfer`, () => dlg.locator('[data-test=transfer-submit]').click())
    assert.equal(moved.status, 200, JSON.stringify(moved.body))
    // The first agent's tab is released and takes no more replies; the colleague's desk opens the chat
    // with its history; the customer sees who serves them now.
    await agentPage.locator('[data-test=chat-released]', { hasText: `已转接给 ${colleague.display_name}` }).waitFor()
    await agentPage.locator('[data-test=chat-tab]', { hasText: '已转接' }).waitFor()
    assert.equal(await agentPage.locator('[data-test=chat-resolve]').count(), 0)
    assert.ok(await agentPage.locator('[data-test=desk-input]').isDisabled(), 'the released chat takes no reply')
    await shotAgent('transferred')
    const tab = colleaguePage.locator('[data-test=chat-tab]').first()
    await tab.waitFor({ timeout: 30_000 })
    await colleaguePage.locator('[data-test=chat-panel] [data-test=chat-message][data-from=customer]', { hasText: '退款多久到账' }).waitFor()
    await customerPage.locator('[data-test=chat-agent]', { hasText: colleague.display_name }).waitFor({ timeout: 30_000 })
    await shotColleague('received')

    await colleaguePage.locator('[data-test=chat-resolve]').click()
    const box = colleaguePage.getByRole('dialog')
    const resolved = await apiResponse(colleaguePage, 'POST', `/tickets/${ticketId}/status`, () => box.getByRole('button', { name: '结束咨询' }).click())
    assert.equal(resolved.status, 200, JSON.stringify(resolved.body))
    await colleaguePage.locator('[data-test=chat-tab]', { hasText: '已结束' }).waitFor()
    const closed = customerPage.locator('[data-test=chat-closed]')
    await closed.waitFor({ timeout: 30_000 })
    await closed.getByText('本次咨询已结束').waitFor()
    const href = await closed.locator('[data-test=chat-rate]').getAttribute('href')
    // A signed survey link: ticket, expiry and MAC.
    assert.match(href, /\/chat\/rate\?token=krt_\d+_\d+_[0-9a-f]{32}/)
    await customerPage.locator('[data-test=chat-system]', { hasText: '评价' }).waitFor()
    await shotCustomer('closed')
  })

  it('the chat page speaks English with lang=en', async () => {
    const page = await newPage({ viewport: { width: 390, height: 700 } })
    await page.goto(`${BASE}/chat?key=${encodeURIComponent(fx.widgetKey)}&lang=en`)
    await page.locator('[data-test=chat-system]', { hasText: GREETING }).waitFor()
    assert.match(await page.locator('[data-test=chat-input]').getAttribute('placeholder'), /Enter sends/)
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en')
    // An unknown widget key says so instead of spinning.
    await page.goto(`${BASE}/chat?key=wk_nope`)
    await page.locator('[data-test=chat-status]', { hasText: '该客服入口不存在或已停用' }).waitFor()
  })

  it('a shop page with the widget script opens the chat in its panel', async () => {
    const shop = await newPage({ viewport: { width: 1280, height: 800 } })
    await shop.setContent(
      `<!doctype html><html><head><meta charset="utf-8"><title>商城</title></head><body><h1>商城首页</h1>` +
        `<script src="${BASE}/widget.js" data-key="${fx.widgetKey}" async></script></body></html>`,
    )
    const button = shop.getByRole('button', { name: '在线客服' })
    await button.waitFor()
    await button.click()
    const frame = shop.frameLocator('iframe[title=在线客服]')
    await frame.locator('[data-test=chat-merchant]', { hasText: fx.merchant.name }).waitFor()
    await frame.locator('[data-test=chat-input]').waitFor()
    if (process.env.KEFU_SCREENSHOTS) {
      const shot = screenshotter('chat-widget-', () => shop)
      await shot('panel')
    }
    await shop.getByRole('button', { name: '关闭' }).click()
    await shop.locator('[data-kefu-widget=panel]').waitFor({ state: 'hidden' })
    assert.deepEqual(pageErrors, [])
  })
})

/** The ticket of the agent's open chat (from the ticket link in the chat panel). */
async function ticketOfChat() {
  const href = await agentPage.locator('[data-test=chat-ticket-link]').getAttribute('href')
  return href.split('/').pop()
}
