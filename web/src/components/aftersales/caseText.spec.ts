import { describe, expect, it } from 'vitest'
import { createI18n } from 'vue-i18n'
import zhCN from '@/i18n/locales/zh-CN'
import en from '@/i18n/locales/en'
import { yuan, COMMANDS_BY_STATUS, type CaseEntry } from '@/api/orders'
import { eventText } from './caseText'

const i18n = createI18n({ legacy: false, locale: 'zh-CN', messages: { 'zh-CN': zhCN, en } })
const t = (k: string, v?: Record<string, unknown>) => i18n.global.t(k, v ?? {})
const entry = (type: string, fields: Record<string, unknown> = {}): CaseEntry =>
  ({ seq: 1, recorded_by: null, at: 0, actor: { kind: 'buyer' }, type, ...fields }) as CaseEntry

describe('yuan', () => {
  it('shows fen as yuan exactly, without floating point', () => {
    expect(yuan(5900)).toBe('¥59.00')
    expect(yuan(1)).toBe('¥0.01')
    expect(yuan(10)).toBe('¥0.10')
    expect(yuan(0)).toBe('¥0.00')
    // 0.1 + 0.2 style errors would show here.
    expect(yuan(30)).toBe('¥0.30')
    expect(yuan(900719925474099)).toBe('¥9007199254740.99')
    expect(yuan(-250)).toBe('-¥2.50')
  })
})

describe('case history text', () => {
  it('names the kind, reason and amount of a request', () => {
    expect(eventText(t, entry('requested', { kind: 'return_refund', reason: 'quality_problem', amount_fen: 5900 }))).toBe(
      '申请退货退款（质量问题），金额 ¥59.00',
    )
  })
  it('tells an automatic outcome by its rule', () => {
    expect(eventText(t, entry('agreed', { rule: null }))).toBe('同意申请')
    expect(eventText(t, entry('agreed', { rule: 'merchant_response_shipped' }))).toContain('merchant_response_shipped')
    expect(eventText(t, entry('goods_received', { condition: '完好', rule: null }))).toBe('确认收货：完好')
  })
  it('shows the return parcel and the platform decision', () => {
    expect(eventText(t, entry('return_shipped', { carrier: '顺丰', waybill: 'SF1' }))).toBe('买家寄回：顺丰 SF1')
    expect(eventText(t, entry('platform_decided', { for_buyer: true, note: '商品确有破损' }))).toBe('平台裁定：支持买家。商品确有破损')
  })
  it('falls back to the type for an unknown event', () => {
    expect(eventText(t, entry('something_new'))).toBe('something_new')
  })
})

describe('commands by status', () => {
  it('offers nothing on a finished case and the refund report only while refunding', () => {
    for (const s of ['refunded', 'exchanged', 'repaired', 'cancelled', 'closed'] as const) expect(COMMANDS_BY_STATUS[s]).toEqual([])
    const withRefund = Object.entries(COMMANDS_BY_STATUS).filter(([, c]) => c.includes('refund-executed'))
    expect(withRefund.map(([s]) => s)).toEqual(['refunding'])
  })
})
