// One line per step of an after-sales case's history, in the user's language.
import { yuan, type CaseEntry } from '@/api/orders'

type T = (key: string, values?: Record<string, unknown>) => string

const str = (v: unknown) => (v === null || v === undefined ? '' : String(v))

/** The text of a case event; an unknown event type shows its type. */
export function eventText(t: T, e: CaseEntry): string {
  const f = e as Record<string, unknown>
  switch (e.type) {
    case 'requested':
      return t('aftersales.event.requested', {
        kind: t(`aftersales.kind.${str(f.kind)}`),
        reason: t(`aftersales.reason.${str(f.reason)}`),
        amount: yuan(Number(f.amount_fen ?? 0)),
      })
    case 'agreed':
      return f.rule ? t('aftersales.event.agreed_auto', { rule: str(f.rule) }) : t('aftersales.event.agreed')
    case 'rejected':
      return t('aftersales.event.rejected', { reason: str(f.reason) })
    case 'return_shipped':
      return t('aftersales.event.return_shipped', { carrier: str(f.carrier), waybill: str(f.waybill) })
    case 'goods_received':
      return f.rule ? t('aftersales.event.goods_received_auto', { rule: str(f.rule) }) : t('aftersales.event.goods_received', { condition: str(f.condition) })
    case 'refund_requested':
      return t('aftersales.event.refund_requested', { amount: yuan(Number(f.amount_fen ?? 0)) })
    case 'refunded':
      return t('aftersales.event.refunded', { ref: str(f.refund_ref) })
    case 'refund_failed':
      return t('aftersales.event.refund_failed', { error: str(f.error) })
    case 'resent':
      return t('aftersales.event.resent', { carrier: str(f.carrier), waybill: str(f.waybill) })
    case 'cancelled':
      return t('aftersales.event.cancelled')
    case 'closed':
      return t('aftersales.event.closed', { rule: str(f.rule) })
    case 'disputed':
      return t('aftersales.event.disputed', { reason: str(f.reason) })
    case 'platform_decided':
      return t('aftersales.event.platform_decided', {
        side: t(f.for_buyer ? 'aftersales.event.forBuyer' : 'aftersales.event.forMerchant'),
        note: str(f.note),
      })
    case 'status_changed':
      return t('aftersales.event.status_changed', { from: t(`aftersales.status.${str(f.from)}`), to: t(`aftersales.status.${str(f.to)}`) })
    default:
      return e.type
  }
}
