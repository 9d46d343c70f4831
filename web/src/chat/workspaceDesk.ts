// The desk as the workspace runs it: ticket number, subject and customer name of each chat read through
// the workspace's API client, and the words of the new-chat notification.
import { customersApi, ticketsApi } from '@/api'
import { i18n } from '@/i18n'
import { startDesk, type DeskChat } from './desk'

async function describe(chat: DeskChat): Promise<void> {
  const jobs: Promise<unknown>[] = []
  if (chat.ticketId) {
    jobs.push(
      ticketsApi.get(chat.ticketId).then((d) => {
        chat.ticketNumber = d.ticket.number
        chat.subject = d.ticket.subject
        if (!chat.customerId && d.ticket.customer_id) chat.customerId = Number(d.ticket.customer_id)
      }),
    )
  }
  await Promise.allSettled(jobs)
  if (chat.customerId && !chat.customerName) {
    try {
      chat.customerName = (await customersApi.get(chat.customerId)).display_name
    } catch {
      /* no customer.read: the tab shows the ticket number */
    }
  }
}

export function startWorkspaceDesk(agentName: string): void {
  const t = i18n.global.t
  startDesk(agentName, {
    describe,
    newChatText: (chat) => ({
      title: t('chats.newChat'),
      body: t('chats.newChatBody', { name: chat.customerName || chat.ticketNumber || t('chats.customer') }),
    }),
  })
}

export { stopDesk, totalUnread } from './desk'
