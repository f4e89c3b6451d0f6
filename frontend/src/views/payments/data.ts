/**
 * Payments: status and method labels, the list's filters as API parameters, the payment form's
 * checks and body, and the allocation table of the reconcile page: its lines may never put more
 * on an invoice than it owes, nor more in all than the payment has left (checked here on BigInt
 * cents before the backend checks it again under row locks).
 */
import type { TableColumnData } from '@arco-design/web-vue';
import {
  PAYMENT_METHODS,
  PAYMENT_STATUSES,
  type PaymentCreate,
  type PaymentListParams,
  type PaymentMethod,
  type PaymentStatus,
  type Suggestion,
} from '@/api/payments';
import type { AllocationLine } from '@/api/settlement';
import { t } from '@/locale';
import {
  actionsColumn,
  customerColumn,
  fieldColumn,
  idColumn,
  moneyColumn,
  recordLink,
  slotColumn,
  statusColumn,
  textColumn,
} from '@/utils/columns';
import {
  compareMoney,
  fromCents,
  isAmount,
  minMoney,
  normalizeMoneyInput,
  sumMoney,
  toCents,
} from '@/utils/money';
import type { FieldMessage } from '@/utils/form-errors';
import { paymentMethodLabel, paymentStatusLabel } from '@/utils/status';
import type { Option } from '@/types/option';

export function paymentStatusOptions(): Option<PaymentStatus>[] {
  return PAYMENT_STATUSES.map((value) => ({ value, label: paymentStatusLabel(value) }));
}

export function paymentMethodOptions(): Option<PaymentMethod>[] {
  return PAYMENT_METHODS.map((value) => ({ value, label: paymentMethodLabel(value) }));
}

// --- list ------------------------------------------------------------------------------------------------
export interface PaymentFilterModel {
  customer_id: number | null;
  status: PaymentStatus | undefined;
  method: PaymentMethod | undefined;
  /** [received_from, received_to] */
  received: string[];
  q: string;
  unassigned: boolean;
}

export function emptyPaymentFilters(customerId: number | null = null): PaymentFilterModel {
  return {
    customer_id: customerId,
    status: undefined,
    method: undefined,
    received: [],
    q: '',
    unassigned: false,
  };
}

/** The filter form as `GET /payments` parameters (a customer and "unassigned only" exclude each other: the customer wins). */
export function paymentFilterParams(model: PaymentFilterModel): PaymentListParams {
  const [from, to] = model.received ?? [];
  return {
    customer_id: model.customer_id,
    status: model.status ?? null,
    method: model.method ?? null,
    received_from: from || null,
    received_to: to || null,
    q: model.q.trim() || null,
    unassigned: model.unassigned && !model.customer_id ? true : null,
  };
}

/** The payment list's columns; `canAllocate`: a payment not yet allocated is opened to reconcile it. */
export function paymentColumns(canAllocate = false): TableColumnData[] {
  return [
    idColumn(70, { fixed: 'left' }),
    fieldColumn('payment.field.receivedOn', 'received_on', 120),
    customerColumn('payment.field.customer', 220, { unassigned: t('payment.unassigned') }),
    textColumn('payment.field.payerName', 'payer_name', 180),
    slotColumn('payment.field.method', 'method', 100, {
      render: ({ record }) => paymentMethodLabel(record.method),
    }),
    textColumn('payment.field.bankReference', 'bank_reference', 170),
    moneyColumn('payment.field.amount', 'amount', 'amount'),
    moneyColumn('payment.field.unallocated', 'unallocated', 'unallocated_amount'),
    statusColumn('payment.field.status', 'payment', 'payment-status', 110),
    actionsColumn(100, {
      render: recordLink(
        'payment-detail',
        (payment) => `payment-view-${payment.id}`,
        (payment) =>
          canAllocate && payment.status !== 'allocated' ? t('payment.action.reconcile') : t('common.view'),
      ),
    }),
  ];
}

// --- form ------------------------------------------------------------------------------------------------
export interface PaymentFormModel {
  customer_id: number | null;
  amount: string;
  received_on: string | undefined;
  method: PaymentMethod;
  payer_name: string;
  bank_reference: string;
  remark: string;
}

export function emptyPaymentModel(today: string): PaymentFormModel {
  return {
    customer_id: null,
    amount: '',
    received_on: today,
    method: 'bank_transfer',
    payer_name: '',
    bank_reference: '',
    remark: '',
  };
}

export type PaymentField = keyof PaymentFormModel;

/** What the backend would refuse, per field (`today`: the received date may not be later). */
export function checkPayment(
  model: PaymentFormModel,
  today: string,
): Partial<Record<PaymentField, FieldMessage>> {
  const problems: Partial<Record<PaymentField, FieldMessage>> = {};
  if (!normalizeMoneyInput(model.amount)) problems.amount = { key: 'pricing.rule.required', params: {} };
  else if (!isAmount(model.amount) || toCents(model.amount) <= 0n)
    problems.amount = { key: 'invoice.rule.positiveAmount', params: {} };
  if (!model.received_on) problems.received_on = { key: 'pricing.rule.required', params: {} };
  else if (model.received_on > today) problems.received_on = { key: 'payment.rule.future', params: {} };
  const limits: [PaymentField, number][] = [
    ['payer_name', 200],
    ['bank_reference', 64],
    ['remark', 255],
  ];
  for (const [field, max] of limits) {
    if (String(model[field] ?? '').trim().length > max)
      problems[field] = { key: 'pricing.rule.maxLength', params: { max } };
  }
  return problems;
}

/** `POST /payments` body (the amount without separators). */
export function toPaymentCreate(model: PaymentFormModel): PaymentCreate {
  return {
    customer_id: model.customer_id,
    amount: normalizeMoneyInput(model.amount),
    received_on: model.received_on as string,
    method: model.method,
    payer_name: model.payer_name,
    bank_reference: model.bank_reference,
    remark: model.remark,
  };
}

// --- allocation table --------------------------------------------------------------------------------------
/** One line of the allocation table: an open invoice and what to put on it (as typed). */
export interface AllocationDraft {
  invoice_id: number;
  number: string;
  period: string;
  due_date: string;
  outstanding: string;
  amount: string;
}

export interface AllocationCheck {
  /** invoice id → what is wrong with its line */
  lines: Record<number, FieldMessage>;
  /** what is wrong with the table as a whole */
  total: FieldMessage | null;
  /** the exact sum of the valid lines ("0.00" when none) */
  sum: string;
  /** what is left of the payment after these lines */
  remaining: string;
}

/**
 * The allocation table's limits: each amount > 0 with at most 2 decimals and ≤ its invoice's
 * outstanding; all together ≤ the payment's unallocated amount; at least one line.
 */
export function checkAllocation(drafts: readonly AllocationDraft[], unallocated: string): AllocationCheck {
  const lines: Record<number, FieldMessage> = {};
  let sum = 0n;
  for (const draft of drafts) {
    if (!isAmount(draft.amount) || toCents(draft.amount) <= 0n) {
      lines[draft.invoice_id] = { key: 'invoice.rule.positiveAmount', params: {} };
      continue;
    }
    if (compareMoney(draft.amount, draft.outstanding) > 0) {
      lines[draft.invoice_id] = {
        key: 'payment.allocate.overOutstanding',
        params: { max: draft.outstanding },
      };
      continue;
    }
    sum += toCents(draft.amount);
  }
  const left = toCents(unallocated) - sum;
  let total: FieldMessage | null = null;
  if (drafts.length === 0) total = { key: 'payment.allocate.noLines', params: {} };
  else if (left < 0n) total = { key: 'payment.allocate.overUnallocated', params: { max: unallocated } };
  return { lines, total, sum: fromCents(sum), remaining: fromCents(left) };
}

export function allocationIsValid(check: AllocationCheck): boolean {
  return check.total === null && Object.keys(check.lines).length === 0;
}

/** `POST /allocations` lines (amounts without separators). */
export function toAllocationLines(drafts: readonly AllocationDraft[]): AllocationLine[] {
  return drafts.map((d) => ({ invoice_id: d.invoice_id, amount: normalizeMoneyInput(d.amount) }));
}

/** A new line for an invoice: what it owes, but no more than what is left of the payment. */
export function draftFor(
  invoice: { invoice_id: number; number: string; period: string; due_date: string; outstanding: string },
  left: string,
): AllocationDraft {
  const amount = toCents(left) > 0n ? minMoney(invoice.outstanding, left) : invoice.outstanding;
  return { ...invoice, amount: fromCents(toCents(amount)) };
}

/** The lines a suggestion proposes (its amounts, exactly). */
export function draftsFromSuggestion(suggestion: Suggestion): AllocationDraft[] {
  return suggestion.invoices.map((i) => ({
    invoice_id: i.invoice_id,
    number: i.number,
    period: i.period,
    due_date: i.due_date,
    outstanding: i.outstanding,
    amount: i.amount,
  }));
}

/**
 * Where the lines come from: 'suggestion' while they are exactly the applied suggestion's (the
 * same invoices, the same amounts), 'manual' once anything was changed, added or removed.
 */
export function allocationSource(
  drafts: readonly AllocationDraft[],
  suggested: readonly AllocationDraft[] | null,
): 'suggestion' | 'manual' {
  if (!suggested || suggested.length === 0 || suggested.length !== drafts.length) return 'manual';
  const offered = new Map(suggested.map((d) => [d.invoice_id, toCents(d.amount)]));
  const same = drafts.every((d) => {
    const amount = offered.get(d.invoice_id);
    try {
      return amount !== undefined && toCents(d.amount) === amount;
    } catch {
      return false; // an amount being typed
    }
  });
  return same ? 'suggestion' : 'manual';
}

/** Suggestions by kind, in the backend's order of kinds: exact, combination, FIFO. */
export function groupSuggestions(
  suggestions: readonly Suggestion[],
): { kind: Suggestion['kind']; items: Suggestion[] }[] {
  const order: Suggestion['kind'][] = ['exact', 'combination', 'fifo'];
  return order
    .map((kind) => ({ kind, items: suggestions.filter((s) => s.kind === kind) }))
    .filter((group) => group.items.length > 0);
}

/** The sum of allocations still in force (reversed ones excluded). */
export function activeAllocated(allocations: readonly { amount: string; is_reversed: boolean }[]): string {
  return sumMoney(allocations.filter((a) => !a.is_reversed).map((a) => a.amount));
}
