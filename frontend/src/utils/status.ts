/**
 * Labels and tag colours of the statuses that the pages of more than one domain show (a
 * customer's page lists its invoices, payments and subscriptions; a mapping shows the customer's
 * status).
 */
import type { InvoicePublic, InvoiceStatus } from '@/api/billing';
import type { PaymentMethod, PaymentStatus } from '@/api/payments';
import type { SubscriptionPublic } from '@/api/pricing';
import { t } from '@/locale';

export function customerStatusLabel(status: string | null | undefined): string {
  if (!status) return '-';
  return t(`customer.status.${status}`);
}

export const INVOICE_STATUS_COLORS: Record<InvoiceStatus, string> = {
  unsettled: 'orange',
  partially_settled: 'arcoblue',
  settled: 'green',
  void: 'gray',
};

export function invoiceStatusLabel(status: InvoiceStatus | string | null | undefined): string {
  return status ? t(`invoice.status.${status}`) : '-';
}

/** "逾期 12 天", or '' when the invoice is not overdue. */
export function overdueText(invoice: Pick<InvoicePublic, 'overdue' | 'days_overdue'>): string {
  return invoice.overdue ? t('invoice.overdueDays', { days: invoice.days_overdue }) : '';
}

export const PAYMENT_STATUS_COLORS: Record<PaymentStatus, string> = {
  unallocated: 'orange',
  partially_allocated: 'arcoblue',
  allocated: 'green',
  void: 'gray',
};

export function paymentStatusLabel(status: PaymentStatus | string | null | undefined): string {
  return status ? t(`payment.status.${status}`) : '-';
}

export function paymentMethodLabel(method: PaymentMethod | string | null | undefined): string {
  return method ? t(`payment.method.${method}`) : '-';
}

/** Tag colours of the states of `subscriptionState`. */
export const SUBSCRIPTION_STATE_COLORS = { active: 'green', ended: 'gray', upcoming: 'arcoblue' } as const;

/** in force / ended / not started on `today` (an ISO date). */
export function subscriptionState(
  subscription: Pick<SubscriptionPublic, 'effective_from' | 'effective_to'>,
  today: string,
): 'active' | 'ended' | 'upcoming' {
  if (subscription.effective_from > today) return 'upcoming';
  if (subscription.effective_to && subscription.effective_to < today) return 'ended';
  return 'active';
}
