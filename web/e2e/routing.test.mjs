// Browser test of 路由与排班 and 实时监控 against a running kefu server.
//
//   KEFU_URL=http://127.0.0.1:18080 KEFU_ADMIN_USER=admin KEFU_ADMIN_PASSWORD='…' \
//   [KEFU_SCREENSHOTS=/tmp/shots] [CHROMIUM=/usr/bin/chromium] node --test e2e/routing.test.mjs
//
// As the platform admin: creates a skill group for a merchant of its own (matching the web channel), adds an
// agent (made through the API) as a member, grants the agent the on-duty certification, sets the agent's
// capacity, reads the attendance, then opens the live view and watches the group's queue grow when a ticket
// is created through the API — without reloading. The agent stays offline, so the ticket stays queued.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ADMIN, ADMIN_PASSWORD, BASE, TIMEOUT, apiClient, apiResponse as responseOf, chooseOption as choose, launch, screenshotter } from './lib.mjs'


const suffix = Date.now().toString(36) + Math.floor(Math.random() * 1296).toString(36)
const groupName = `网页售后组 ${suffix}`
const fx = {} // ids made by the setup

let browser
let context
let page
const pageErrors = []
const screenshot = screenshotter('routing-', () => page)
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

const tab = (name) => page.getByRole('tab', { name })

describe('kefu routing (路由与排班, 实时监控)', { timeout: 240_000 }, () => {
  before(async () => {
    assert.ok(BASE, 'set KEFU_URL to the running kefu server, e.g. http://127.0.0.1:18080')
    assert.ok(ADMIN && ADMIN_PASSWORD, 'set KEFU_ADMIN_USER and KEFU_ADMIN_PASSWORD')

    adminToken = (await api('POST', '/auth/login', { username: ADMIN, password: ADMIN_PASSWORD })).token
    fx.merchant = await api('POST', '/merchants', { code: `rt-${suffix}`, name: `路由测试店 ${suffix}` })
    fx.agent = await api('POST', '/users', {
      username: `rt.agent.${suffix}`,
      display_name: `小路${suffix}`,
      password: 'Routing-Agent-Pass-2026',
      role: 'agent',
      merchant_id: fx.merchant.id,
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

  it('opens 路由与排班 from the menu and creates a skill group for the web channel', async () => {
    await login(ADMIN, ADMIN_PASSWORD)
    const res = await apiResponse('GET', '/routing/groups', () => page.getByRole('menuitem', { name: '路由与排班' }).click())
    assert.equal(res.status, 200)
    await page.waitForURL(/\/admin\/routing/)
    await page.getByRole('heading', { name: '路由与排班' }).waitFor()

    await page.locator('[data-test=create-group]').click()
    const dlg = page.getByRole('dialog', { name: '新建技能组' })
    await dlg.waitFor()
    // An empty name is refused before anything is sent.
    await dlg.locator('[data-test=group-submit]').click()
    await dlg.locator('.el-form-item__error', { hasText: '名称' }).waitFor()
    await chooseOption(dlg.locator('[data-test=merchant-select]'), fx.merchant.name)
    await dlg.locator('[data-test=group-name]').fill(groupName)
    await dlg.getByText('技能优先').click()
    await chooseOption(dlg.locator('[data-test=group-channels]'), '网页表单')
    await page.keyboard.press('Escape')
    await screenshot('group-dialog')
    const created = await apiResponse('POST', '/routing/groups', () => dlg.locator('[data-test=group-submit]').click())
    assert.equal(created.status, 201, JSON.stringify(created.body))
    assert.deepEqual(created.body.matching.channels, ['web'])
    assert.equal(created.body.strategy, 'skill_priority')
    assert.equal(created.body.merchant_id, fx.merchant.id)
    fx.group = created.body
    await dlg.waitFor({ state: 'hidden' })
    const row = page.locator('[data-test=groups-table] .el-table__body tr', { hasText: groupName })
    await row.getByText('渠道：网页表单').waitFor()
    await row.getByText('技能优先').waitFor()

    // The same name again: the server's 409 shows in the dialog.
    await page.locator('[data-test=create-group]').click()
    await dlg.waitFor()
    await chooseOption(dlg.locator('[data-test=merchant-select]'), fx.merchant.name)
    await dlg.locator('[data-test=group-name]').fill(groupName)
    const dup = await apiResponse('POST', '/routing/groups', () => dlg.locator('[data-test=group-submit]').click())
    assert.equal(dup.status, 409, JSON.stringify(dup.body))
    const field = dup.body.error.field
    if (field === 'name') await dlg.locator('.el-form-item__error', { hasText: dup.body.error.message }).waitFor()
    else await dlg.locator('[data-test=dialog-error]', { hasText: dup.body.error.message }).waitFor()
    await screenshot('group-duplicate')
    await dlg.getByRole('button', { name: '取消' }).click()
    await dlg.waitFor({ state: 'hidden' })
  })

  it('adds the agent to the group with a skill level and priority', async () => {
    const row = page.locator('[data-test=groups-table] .el-table__body tr', { hasText: groupName })
    await apiResponse('GET', `/routing/groups/${fx.group.id}/members`, () => row.locator('[data-test=group-members]').click())
    const dlg = page.locator('[data-test=members-dialog]')
    await dlg.getByText('还没有成员').waitFor()
    await chooseOption(dlg.locator('[data-test=member-pick]'), fx.agent.display_name)
    await page.keyboard.press('Escape')
    await dlg.locator('[data-test=member-add]').click()
    const member = dlg.locator('[data-test=members-table] .el-table__body tr', { hasText: fx.agent.display_name })
    await member.waitFor()
    await member.locator('[data-test=member-skill] input').fill('4')
    await member.locator('[data-test=member-priority] input').fill('2')
    await member.locator('[data-test=member-priority] input').press('Tab')
    await screenshot('members')
    const saved = await apiResponse('PUT', `/routing/groups/${fx.group.id}/members`, () => dlg.locator('[data-test=members-submit]').click())
    assert.ok(saved.status < 300, JSON.stringify(saved.body))
    await dlg.waitFor({ state: 'hidden' })
    const members = await api('GET', `/routing/groups/${fx.group.id}/members`)
    assert.deepEqual(
      members.map((m) => [m.user_id, m.skill_level, m.priority]),
      [[fx.agent.id, 4, 2]],
    )
  })

  it('grants the agent the on-duty certification for the group', async () => {
    await tab('上岗认证').click()
    await chooseOption(page.locator('[data-test=cert-user]'), fx.agent.display_name)
    const table = page.locator('[data-test=certs-table]')
    await table.getByText('该客服还没有上岗认证').waitFor()
    await chooseOption(page.locator('[data-test=cert-group]'), groupName)
    await page.locator('[data-test=cert-source]').fill('岗前培训考核')
    const res = await apiResponse('POST', `/users/${fx.agent.id}/certifications`, () => page.locator('[data-test=cert-submit]').click())
    assert.equal(res.status, 201, JSON.stringify(res.body))
    assert.equal(res.body.group_id, fx.group.id)
    const row = table.locator('.el-table__body tr', { hasText: groupName })
    await row.getByText('岗前培训考核').waitFor()
    await row.getByText('有效').waitFor()
    await screenshot('certification')
  })

  it('sets the agent capacity and reads the attendance', async () => {
    await tab('接待上限').click()
    await page.locator('[data-test=capacity-filter]').fill(fx.agent.username)
    const row = page.locator('[data-test=capacity-table] .el-table__body tr', { hasText: fx.agent.display_name })
    await row.locator('[data-test=edit-capacity]').click()
    const dlg = page.locator('[data-test=capacity-dialog]')
    await dlg.locator('[data-test=capacity-chats] input').fill('3')
    await dlg.locator('[data-test=capacity-tickets] input').fill('12')
    await dlg.locator('[data-test=capacity-tickets] input').press('Tab')
    const res = await apiResponse('PUT', `/users/${fx.agent.id}/capacity`, () => dlg.locator('[data-test=capacity-submit]').click())
    assert.equal(res.status, 204, JSON.stringify(res.body))
    await dlg.waitFor({ state: 'hidden' })
    await row.locator('td', { hasText: /^12$/ }).waitFor()
    await screenshot('capacity')

    const att = await apiResponse('GET', '/routing/attendance', () => tab('考勤').click())
    assert.equal(att.status, 200, JSON.stringify(att.body))
    await page.locator('[data-test=attendance-table]').waitFor()
    await page.locator('[data-test=attendance-table]').getByText('在岗').first().waitFor()
    await screenshot('attendance')
  })

  it('shows the queue in the live view and updates it when a ticket arrives, without reloading', async () => {
    await page.getByRole('menuitem', { name: '实时监控' }).click()
    await page.waitForURL(/\/routing\/live/)
    await page.locator('[data-test=live-view]').waitFor()
    await page.locator('[data-test=live-link][data-state=live]').waitFor()
    const waiting = page.locator(`[data-test=queue-waiting-${fx.group.id}]`)
    await waiting.waitFor()
    const before = Number(await waiting.innerText())
    // The agent is offline: listed under 离线 with the load against the capacity set above.
    const agent = page.locator(`[data-test=agents-offline] [data-test=agent-${fx.agent.id}]`)
    await agent.getByText('0 / 12 工单').waitFor()
    await screenshot('live-before')

    await page.evaluate(() => {
      window.__noReload = true
    })
    const ticket = await api('POST', '/tickets', { merchant_id: fx.merchant.id, channel: 'web', subject: `网页表单：退货进度 ${suffix}`, body: '想知道退货进度' })
    assert.equal(ticket.assignee_id ?? null, null, 'nobody online: the ticket stays queued')
    await page.waitForFunction(
      ([sel, n]) => Number(document.querySelector(sel)?.textContent) === n,
      [`[data-test=queue-waiting-${fx.group.id}]`, before + 1],
      { timeout: 6000 },
    )
    assert.equal(await page.evaluate(() => window.__noReload), true, 'the page was not reloaded')
    await page.locator(`[data-test=queue-longest-${fx.group.id}]`).filter({ hasText: '秒' }).waitFor()
    await screenshot('live-after')
    fx.queued = ticket
  })

  it('lets the supervisor open an agent\'s tickets from the live view and reassign one with a reason', async () => {
    // The queued ticket goes to the agent by hand; a colleague takes it over from the live view.
    fx.colleague = await api('POST', '/users', {
      username: `rt.colleague.${suffix}`,
      display_name: `小接${suffix}`,
      password: 'Routing-Agent-Pass-2026',
      role: 'agent',
      merchant_id: fx.merchant.id,
    })
    await api('POST', `/tickets/${fx.queued.id}/assign`, { user_id: fx.agent.id })
    const agent = page.locator(`[data-test=agents-offline] [data-test=agent-${fx.agent.id}]`)
    await agent.getByText('1 / 12 工单').waitFor()
    await agent.click()
    const drawer = page.locator('[data-test=agent-tickets]')
    const row = drawer.locator('.el-table__body tr', { hasText: fx.queued.number })
    await row.waitFor()
    await row.locator('[data-test=reassign]').click()
    const dlg = page.getByRole('dialog', { name: '转派工单' })
    await dlg.waitFor()
    await chooseOption(dlg.locator('[data-test=transfer-user]'), fx.colleague.display_name)
    await dlg.locator('[data-test=transfer-reason]').fill('客服下班，主管改派')
    const moved = await apiResponse('POST', `/tickets/${fx.queued.id}/transfer`, () => dlg.locator('[data-test=transfer-submit]').click())
    assert.equal(moved.status, 200, JSON.stringify(moved.body))
    assert.equal(moved.body.assignee_id, fx.colleague.id)
    await dlg.waitFor({ state: 'hidden' })
    await drawer.getByText('没有处理中的工单').waitFor()
    // The live view follows: the agent's load drops without a reload.
    await agent.getByText('0 / 12 工单').waitFor()
    await screenshot('live-reassigned')
    const events = await api('GET', `/tickets/${fx.queued.id}/events`)
    const ev = events.find((e) => e.kind?.type === 'transferred' || e.type === 'transferred')
    assert.ok(ev, JSON.stringify(events.map((e) => e.kind ?? e)))
    assert.ok(JSON.stringify(ev).includes('客服下班，主管改派'), JSON.stringify(ev))
    assert.deepEqual(pageErrors, [])
  })
})
