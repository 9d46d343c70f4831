// Browser test of the agent workspace (工单, 客户, 部门任务) against a running kefu server.
//
//   KEFU_URL=http://127.0.0.1:18080 KEFU_ADMIN_USER=admin KEFU_ADMIN_PASSWORD='…' \
//   [KEFU_SCREENSHOTS=/tmp/shots] [CHROMIUM=/usr/bin/chromium] node --test e2e/tickets.test.mjs
//
// The setup goes through the API as the platform admin: a merchant of its own (so a rerun never sees
// the last run's tickets), a team, a department, an agent, a second agent to transfer to, a senior
// agent (who may reveal personal data), a customer with a phone number, and tickets. Then an agent
// works a ticket in the browser the way they would at their desk.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ADMIN, ADMIN_PASSWORD, BASE, TIMEOUT, apiClient, apiResponse as responseOf, chooseOption as choose, launch, screenshotter } from './lib.mjs'


const suffix = Date.now().toString(36) + Math.floor(Math.random() * 1296).toString(36)
const PASSWORD = `E2e-Desk-${suffix}`
const phone = `139${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`
const maskedPhone = `${phone.slice(0, 3)}****${phone.slice(-4)}`
const agent = { username: `e2e.desk.${suffix}`, display_name: `一线客服${suffix.slice(-4)}` }
const colleague = { username: `e2e.desk2.${suffix}`, display_name: `售后客服${suffix.slice(-4)}` }
const senior = { username: `e2e.senior.${suffix}`, display_name: `资深客服${suffix.slice(-4)}` }
const supervisor = { username: `e2e.sup.${suffix}`, display_name: `客服主管${suffix.slice(-4)}` }
const fx = {} // ids made by the setup

let browser
let context
let page
const pageErrors = []
const screenshot = screenshotter('tickets-', () => page)
const apiResponse = (method, pathPart, action, query) => responseOf(page, method, pathPart, action, query)
const chooseOption = (selectLocator, optionText) => choose(page, selectLocator, optionText)

/** Call the API as the admin (bearer token from a login). */
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

async function logout() {
  await page.locator('[data-test=user-menu]').click()
  await page.getByRole('menuitem', { name: '退出登录' }).click()
  await page.getByRole('heading', { name: '登录' }).waitFor()
}

describe('kefu agent workspace', { timeout: 240_000 }, () => {
  before(async () => {
    assert.ok(BASE, 'set KEFU_URL to the running kefu server, e.g. http://127.0.0.1:18080')
    assert.ok(ADMIN && ADMIN_PASSWORD, 'set KEFU_ADMIN_USER and KEFU_ADMIN_PASSWORD')

    // ---- the world the agent works in, made through the API
    adminToken = (await api('POST', '/auth/login', { username: ADMIN, password: ADMIN_PASSWORD })).token
    const merchant = await api('POST', '/merchants', { code: `desk-${suffix}`, name: `工作台测试店 ${suffix}` })
    fx.merchant = merchant.id
    const team = await api('POST', '/teams', { name: `售后组 ${suffix}`, owner: 'merchant', merchant_id: merchant.id })
    const dept = await api('POST', '/departments', { code: `logi-${suffix}`, name: `物流部 ${suffix.slice(-4)}`, merchant_id: merchant.id })
    fx.department = dept
    for (const [u, role] of [
      [agent, 'agent'],
      [colleague, 'agent'],
      [senior, 'senior_agent'],
      [supervisor, 'supervisor'],
    ]) {
      const made = await api('POST', '/users', { ...u, password: PASSWORD, role, merchant_id: merchant.id, team_id: team.id, department_id: dept.id })
      u.id = made.id
    }
    const customer = await api('POST', '/customers', {
      display_name: '周芷若',
      phone,
      email: `zhou.${suffix}@example.com`,
      address: '上海市浦东新区世纪大道 1000 号',
      member_tier: 'gold',
      vip: true,
      tags: ['老客户'],
      notes: '偏好电话联系',
      merchant_id: merchant.id,
    })
    fx.customer = customer
    // The ticket the agent works: 退款 only in the body, with markup that must stay text.
    fx.ticket = await api('POST', '/tickets', {
      merchant_id: merchant.id,
      customer_id: customer.id,
      channel: 'chat',
      subject: `耳机一直没有到账 ${suffix}`,
      body: '申请的退款一周了还没有到账 <img src=x onerror=alert(1)> 请尽快处理',
      priority: 'high',
      order_numbers: [`DD${suffix}`],
    })
    // More tickets, for the list.
    fx.other = await api('POST', '/tickets', {
      merchant_id: merchant.id,
      customer_id: customer.id,
      channel: 'email',
      subject: `充电器什么时候发货 ${suffix}`,
      body: '下单三天了还没发货',
    })
    await api('POST', '/tickets', { merchant_id: merchant.id, channel: 'phone', subject: `发票抬头写错了 ${suffix}`, body: '需要重开发票', priority: 'low' })

    browser = await launch()
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' })
    context.setDefaultTimeout(TIMEOUT)
    page = await context.newPage()
    page.on('pageerror', (e) => pageErrors.push(String(e)))
  })

  after(async () => {
    await browser?.close()
  })

  it('shows the workspace menu and the built-in views to an agent', async () => {
    await login(agent.username)
    for (const name of ['工单', '客户', '部门任务']) await page.getByRole('menuitem', { name, exact: true }).waitFor()
    // An agent administers nothing.
    assert.equal(await page.getByRole('menuitem', { name: '审计日志' }).count(), 0)

    const mine = await apiResponse('GET', '/tickets', () => page.getByRole('menuitem', { name: '工单', exact: true }).click())
    await page.waitForURL(/\/tickets/)
    assert.equal(mine.status, 200)
    await page.locator('[data-test=tab-mine]').waitFor()
    await page.locator('[data-test=tab-pending]').waitFor()
    await page.locator('[data-test=tab-first_responded]').waitFor()
    await page.locator('[data-test=tab-all]').waitFor()
    await page.locator('[data-test=tickets-table]').getByText('暂无工单').waitFor()
    await screenshot('mine-empty')

    const pending = await apiResponse('GET', '/tickets', () => page.locator('[data-test=tab-pending]').click(), { view: 'pending', limit: '50' })
    assert.equal(new URL(page.url()).searchParams.get('tab'), 'pending')
    assert.equal(pending.body.items.length, 3, 'the three new tickets wait for someone')
    const rows = page.locator('[data-test=tickets-table] .el-table__body tr')
    await rows.filter({ hasText: fx.ticket.number }).waitFor()
    assert.equal(await rows.count(), 3)
    // Status, priority and tier in Chinese.
    const row = rows.filter({ hasText: fx.ticket.number })
    await row.getByText('新建').waitFor()
    await row.getByText('高', { exact: true }).waitFor()
    await row.getByText('一线').waitFor()
    await page.locator('[data-test=count-pending]', { hasText: '3' }).waitFor()
    await screenshot('pending')
  })

  it('searches 退款 and shows the snippet with the match highlighted and the markup escaped', async () => {
    await page.locator('[data-test=tab-all]').click()
    await page.locator('[data-test=ticket-search]').fill('退款')
    const res = await apiResponse('GET', '/tickets', () => page.locator('[data-test=ticket-search]').press('Enter'), { q: '退款' })
    assert.equal(res.status, 200)
    assert.ok(res.body.items.some((x) => x.id === fx.ticket.id && x.snippet), 'the server finds the ticket with a snippet')
    const snippet = page.locator('[data-test=snippet]').first()
    await snippet.locator('mark', { hasText: '退款' }).waitFor()
    // What the customer wrote stays text: no <img> element, the tag shows literally.
    assert.equal(await snippet.locator('img').count(), 0)
    assert.ok((await snippet.innerText()).includes('<img'), 'the markup is shown as text')
    assert.ok(!(await snippet.innerText()).includes('【'), 'the brackets became the highlight')
    await screenshot('search-refund')
  })

  it('opens the ticket, takes it with the keyboard, and shows the customer masked', async () => {
    await page.locator('[data-test=ticket-link]', { hasText: fx.ticket.number }).click()
    await page.waitForURL(new RegExp(`/tickets/${fx.ticket.id}$`))
    await page.locator('[data-test=ticket-subject]', { hasText: fx.ticket.subject }).waitFor()
    await page.locator('[data-test=status-tag][data-value=new]').first().waitFor()
    // The request: plain text, never markup.
    const opening = page.locator('[data-test=message]').first()
    await opening.getByText('<img src=x onerror=alert(1)>', { exact: false }).waitFor()
    assert.equal(await page.locator('[data-test=conversation] img').count(), 0)

    // Customer panel: masked phone, VIP, gold member; a plain agent may not reveal.
    const panel = page.locator('[data-test=customer-panel]')
    await panel.locator('[data-test=customer-phone]', { hasText: maskedPhone }).waitFor()
    await panel.locator('[data-test=vip-badge]').waitFor()
    await panel.getByText('金卡会员').waitFor()
    assert.equal(await panel.locator('[data-test=reveal-phone]').count(), 0, 'no reveal button for an agent')
    assert.ok(!(await panel.innerText()).includes(phone), 'the full number is not on the page')

    // t takes the ticket.
    const took = await apiResponse('POST', `/tickets/${fx.ticket.id}/take`, () => page.keyboard.press('t'))
    assert.equal(took.status, 200, JSON.stringify(took.body))
    await page.locator('[data-test=first-responder]', { hasText: agent.display_name }).waitFor()
    await page.locator('[data-test=assignee]', { hasText: agent.display_name }).waitFor()
    await page.locator('[data-test=timeline-event][data-type=assigned]').waitFor()
    await screenshot('ticket-taken')
  })

  it('shows the keyboard shortcuts', async () => {
    await page.keyboard.press('?')
    const help = page.getByRole('dialog', { name: '键盘快捷键' })
    await help.waitFor()
    await help.getByText('写内部备注').waitFor()
    await screenshot('shortcuts')
    await page.keyboard.press('Escape')
    await help.waitFor({ state: 'hidden' })
  })

  it('sends a reply and an internal note, and labels the note internal', async () => {
    const reply = `您好，退款已加急处理 ${suffix}`
    await page.keyboard.press('r')
    const input = page.locator('[data-test=reply-input]')
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-test') === 'reply-input')
    await input.fill(reply)
    const sent = await apiResponse('POST', `/tickets/${fx.ticket.id}/replies`, () => input.press('Control+Enter'))
    assert.equal(sent.status, 200, JSON.stringify(sent.body))
    const replyMsg = page.locator('[data-test=message][data-kind=reply]', { hasText: reply })
    await replyMsg.waitFor()
    assert.equal(await replyMsg.locator('[data-test=internal-label]').count(), 0)

    const note = `已联系财务核实 ${suffix}`
    await input.press('Escape') // leave the text box, then n for a note
    await page.keyboard.press('n')
    await page.locator('[data-test=reply-box].is-note').waitFor()
    await input.fill(note)
    const noted = await apiResponse('POST', `/tickets/${fx.ticket.id}/notes`, () => page.locator('[data-test=send]').click())
    assert.equal(noted.status, 200, JSON.stringify(noted.body))
    const noteMsg = page.locator('[data-test=message][data-kind=note]', { hasText: note })
    await noteMsg.waitFor()
    await noteMsg.locator('[data-test=internal-label]', { hasText: '仅内部可见' }).waitFor()
    await screenshot('reply-and-note')
  })

  it('uploads a small text file and lists it', async () => {
    const up = await apiResponse('POST', `/tickets/${fx.ticket.id}/attachments`, () =>
      page.locator('[data-test=file-input]').setInputFiles({ name: '退货说明.txt', mimeType: 'text/plain', buffer: Buffer.from('客户要求退货，快递单号 SF123456\n') }),
    )
    assert.equal(up.status, 201, JSON.stringify(up.body))
    const link = page.locator('[data-test=attachment-link]', { hasText: '退货说明.txt' })
    await link.waitFor()
    assert.equal(await link.getAttribute('href'), `/api/v1/attachments/${up.body.id}`)
    // The link downloads the file with the session cookie.
    const dl = await page.request.get(`${BASE}/api/v1/attachments/${up.body.id}`)
    assert.equal(dl.status(), 200)
    assert.match(await dl.text(), /SF123456/)

    // A file whose content does not match its name is refused with the server's reason.
    const bad = await apiResponse('POST', `/tickets/${fx.ticket.id}/attachments`, () =>
      page.locator('[data-test=file-input]').setInputFiles({ name: 'invoice.exe', mimeType: 'application/octet-stream', buffer: Buffer.from('plain text\n') }),
    )
    assert.ok(bad.status >= 400)
    await page.locator('[data-test=upload-refusal]').getByText(bad.body.error.message).waitFor()
    await page.locator('[data-test=attachments-card]').scrollIntoViewIfNeeded()
    await screenshot('attachment')
  })

  it('tries to close an open ticket and shows the refusal', async () => {
    const res = await apiResponse('POST', `/tickets/${fx.ticket.id}/status`, () => page.locator('[data-test=status-closed]').click())
    assert.equal(res.status, 409)
    const alert = page.locator('[data-test=action-error]')
    await alert.waitFor()
    assert.ok((await alert.innerText()).includes(res.body.error.message), 'the banner shows the server message')
    await page.locator('[data-test=status-tag][data-value=open]').first().waitFor()
    await screenshot('close-refused')
  })

  it('asks another department and finds the task in the inbox', async () => {
    await page.locator('[data-test=open-task]').click()
    const dlg = page.getByRole('dialog', { name: '跨部门协作' })
    await dlg.waitFor()
    await chooseOption(dlg.locator('[data-test=task-department]'), fx.department.name)
    await dlg.locator('[data-test=task-request]').fill('请查询包裹 SF123456 的物流状态')
    const res = await apiResponse('POST', `/tickets/${fx.ticket.id}/department-tasks`, () => dlg.locator('[data-test=task-submit]').click())
    assert.equal(res.status, 200, JSON.stringify(res.body))
    await dlg.waitFor({ state: 'hidden' })
    await page.locator('[data-test=status-tag][data-value=on_hold]').first().waitFor()
    await page.locator('[data-test=open-task-item]', { hasText: '请查询包裹' }).waitFor()
    await page.locator('[data-test=timeline-event][data-type=department_task_opened]').waitFor()

    await page.getByRole('menuitem', { name: '部门任务', exact: true }).click()
    await page.waitForURL(/\/department-tasks/)
    const row = page.locator('[data-test=tasks-table] .el-table__body tr', { hasText: fx.ticket.number })
    await row.waitFor()
    await row.getByText('待答复').waitFor()
    await screenshot('task-inbox')

    // Answer it from the ticket: the ticket carries on.
    await row.locator('[data-test=task-ticket-link]').click()
    await page.waitForURL(new RegExp(`/tickets/${fx.ticket.id}$`))
    await page.locator('[data-test=answer-task]').click()
    const ans = page.getByRole('dialog', { name: '答复协作 #1' })
    await ans.locator('[data-test=task-answer]').fill('包裹已到达派送站，明天送达')
    const answered = await apiResponse('POST', `/tickets/${fx.ticket.id}/department-tasks/1/answer`, () => ans.locator('[data-test=answer-submit]').click())
    assert.equal(answered.status, 200, JSON.stringify(answered.body))
    await page.locator('[data-test=status-tag][data-value=open]').first().waitFor()
  })

  it('transfers with a reason and shows it in the timeline', async () => {
    await page.locator('[data-test=transfer]').click()
    const dlg = page.getByRole('dialog', { name: '转派工单' })
    await dlg.waitFor()
    // The reason is required.
    await chooseOption(dlg.locator('[data-test=transfer-user]'), colleague.display_name)
    await dlg.locator('[data-test=transfer-submit]').click()
    await dlg.getByText('请填写原因').waitFor()
    const reason = `售后问题，转售后同事跟进 ${suffix}`
    await dlg.locator('[data-test=transfer-reason]').fill(reason)
    await screenshot('transfer-dialog')
    const res = await apiResponse('POST', `/tickets/${fx.ticket.id}/transfer`, () => dlg.locator('[data-test=transfer-submit]').click())
    assert.equal(res.status, 200, JSON.stringify(res.body))
    await dlg.waitFor({ state: 'hidden' })
    const ev = page.locator('[data-test=timeline-event][data-type=transferred]')
    await ev.waitFor()
    const text = await ev.innerText()
    assert.ok(text.includes(colleague.display_name), text)
    assert.ok(text.includes(agent.display_name), text)
    assert.ok(text.includes(reason), text)
    // The first responder stays; the assignee changes.
    await page.locator('[data-test=first-responder]', { hasText: agent.display_name }).waitFor()
    await page.locator('[data-test=assignee]', { hasText: colleague.display_name }).waitFor()
    await screenshot('transferred')
  })

  it('lets a senior agent reveal the phone number with a reason', async () => {
    await logout()
    await login(senior.username)
    await page.goto(`${BASE}/tickets/${fx.ticket.id}`)
    const panel = page.locator('[data-test=customer-panel]')
    await panel.locator('[data-test=customer-phone]', { hasText: maskedPhone }).waitFor()
    await panel.locator('[data-test=reveal-phone]').click()
    const dlg = page.getByRole('dialog', { name: '查看完整手机' })
    await dlg.waitFor()
    // Too short a reason is refused before asking the server.
    await dlg.locator('[data-test=reveal-reason]').fill('查')
    await dlg.locator('[data-test=reveal-submit]').click()
    await dlg.getByText('请填写 2–200 个字符的原因').waitFor()
    await dlg.locator('[data-test=reveal-reason]').fill('客户来电要求核对预留手机号')
    await screenshot('reveal-dialog')
    const res = await apiResponse('POST', `/customers/${fx.customer.id}/reveal`, () => dlg.locator('[data-test=reveal-submit]').click())
    assert.equal(res.status, 200, JSON.stringify(res.body))
    await dlg.waitFor({ state: 'hidden' })
    await panel.locator('[data-test=customer-phone] [data-test=revealed-value]', { hasText: phone }).waitFor()
    await panel.getByText('本次查看已记录').waitFor()
    await screenshot('revealed')
    // Only for this screen: a reload shows the mask again.
    await page.reload()
    await panel.locator('[data-test=customer-phone]', { hasText: maskedPhone }).waitFor()
  })

  it('creates a ticket for a customer found by phone', async () => {
    await page.getByRole('menuitem', { name: '工单', exact: true }).click()
    await page.locator('[data-test=create-ticket]').click()
    const dlg = page.getByRole('dialog', { name: '新建工单' })
    await dlg.waitFor()
    const search = dlg.locator('[data-test=customer-search]')
    await search.click()
    const found = await apiResponse('GET', '/customers', () => page.keyboard.type(phone), { phone })
    assert.equal(found.status, 200)
    assert.equal(found.body.items[0]?.id, fx.customer.id)
    const option = page.locator('.el-select-dropdown__item:visible', { hasText: '周芷若' }).first()
    await option.waitFor()
    await option.click()
    await dlg.getByLabel('主题').fill(`想把收货地址改到公司 ${suffix}`)
    await dlg.getByLabel('问题描述').fill('订单还没发货，想改地址')
    await screenshot('create-dialog')
    const res = await apiResponse('POST', '/tickets', () => dlg.locator('[data-test=dialog-submit]').click())
    assert.equal(res.status, 201, JSON.stringify(res.body))
    assert.equal(res.body.customer_id, fx.customer.id)
    await page.waitForURL(new RegExp(`/tickets/${res.body.id}$`))
    await page.locator('[data-test=customer-panel] [data-test=customer-name]', { hasText: '周芷若' }).waitFor()
    // The customer's other tickets are listed beside it.
    await page.locator('[data-test=customer-tickets]').getByText(fx.ticket.number).waitFor()
    await screenshot('created-ticket')
  })

  it('lets a supervisor act on many tickets and save a view', async () => {
    await logout()
    await login(supervisor.username)
    await page.getByRole('menuitem', { name: '工单', exact: true }).click()
    await page.locator('[data-test=tab-all]').click()
    const rows = page.locator('[data-test=tickets-table] .el-table__body tr')
    await rows.filter({ hasText: fx.other.number }).waitFor()
    assert.equal(await rows.count(), 4)
    // Select every row with the header checkbox; the bulk bar appears.
    await page.locator('[data-test=tickets-table] .el-table__header .el-checkbox').click()
    await page.locator('[data-test=bulk-bar]', { hasText: '已选 4 条' }).waitFor()

    // Closing tickets that are not resolved fails ticket by ticket, with the server's reasons.
    await page.locator('[data-test=bulk-status]').click()
    const closed = await apiResponse('POST', '/tickets/bulk', () => page.getByRole('menuitem', { name: '已关闭' }).click())
    assert.equal(closed.status, 200, JSON.stringify(closed.body))
    assert.equal(closed.body.length, 4)
    assert.ok(closed.body.every((r) => !r.ok && r.error))
    const results = page.getByRole('dialog', { name: '批量操作结果' })
    await results.getByText('成功 0 个，失败 4 个。').waitFor()
    await results.getByText(closed.body[0].error).first().waitFor()
    await screenshot('bulk-close-refused')
    await results.getByRole('button', { name: '关闭', exact: true }).click()
    await results.waitFor({ state: 'hidden' })

    // Tagging works for all of them.
    await page.locator('[data-test=tickets-table] .el-table__header .el-checkbox').click()
    await page.locator('[data-test=bulk-tag]').click()
    const tagDlg = page.getByRole('dialog', { name: '为 4 个工单添加标签' })
    await tagDlg.locator('[data-test=bulk-tags]').click()
    await page.keyboard.type('加急')
    await page.keyboard.press('Enter')
    await tagDlg.locator('.el-tag', { hasText: '加急' }).waitFor()
    await screenshot('bulk-tag')
    const tagged = await apiResponse('POST', '/tickets/bulk', () => tagDlg.getByRole('button', { name: '确定' }).click())
    assert.ok(tagged.body.every((r) => r.ok), JSON.stringify(tagged.body))
    await results.getByText('成功 4 个，失败 0 个。').waitFor()
    await results.getByRole('button', { name: '关闭', exact: true }).click()
    await rows.filter({ hasText: fx.ticket.number }).getByText('加急').waitFor()

    // Filter by priority 高 and save it as a view: a new tab with its count.
    await page.locator('[data-test=filter-priority]').click()
    await page.locator('.el-select-dropdown__item:visible', { hasText: '高' }).click()
    await page.waitForFunction(() => document.querySelectorAll('[data-test=tickets-table] .el-table__body tr').length === 1)
    await page.locator('[data-test=save-view]').click()
    const viewDlg = page.getByRole('dialog', { name: '保存为视图' })
    await viewDlg.locator('[data-test=view-name]').fill('高优先级')
    const saved = await apiResponse('POST', '/views', () => viewDlg.locator('[data-test=view-save]').click())
    assert.equal(saved.status, 201, JSON.stringify(saved.body))
    assert.equal(saved.body.filters.priority, 'high')
    const tab = page.locator(`[data-test=tab-view-${saved.body.id}]`)
    await tab.waitFor()
    await page.locator('.el-tabs__item.is-active', { hasText: '高优先级' }).waitFor()
    await tab.getByText('1', { exact: true }).waitFor()
    await screenshot('saved-view')
  })

  it('raised no uncaught errors in the page', () => {
    assert.deepEqual(pageErrors, [])
  })
})
