/**
 * Invoices: status labels and colours, the list's filters as API parameters, the columns of the
 * invoice tables, the checks of a credit note and of a void/regenerate reason, and the invoice
 * runs' summaries. Amounts stay strings; every sum or comparison goes through BigInt cents.
 */
import type { TableColumnData } from '@arco-design/web-vue';
import {
  INVOICE_STATUSES,
  type InvoiceFilters,
  type InvoicePublic,
  type InvoiceStatus,
  type InvoiceRun,
} from '@/api/billing';
import { t } from '@/locale';
import { compareMoney, isAmount, normalizeMoneyInput, subtractMoney, toCents } from '@/utils/money';
import { reasonProblem, type FieldMessage } from '@/utils/form-errors';
import { invoiceStatusLabel } from '@/utils/status';
import type { Option } from '@/types/option';

export function invoiceStatusOptions(): Option<InvoiceStatus>[] {
  return INVOICE_STATUSES.map((value) => ({ value, label: invoiceStatusLabel(value) }));
}

// --- list filters -----------------------------------------------------------------------------------------
export interface InvoiceFilterModel {
  status: InvoiceStatus | undefined;
  /** 'yes' | 'no' | undefined (all) */
  overdue: 'yes' | 'no' | undefined;
  period: string | undefined;
  customer_id: number | null;
  owner_id: number | null | undefined;
  amount_min: string;
  amount_max: string;
  /** [due_from, due_to] */
  due: string[];
  q: string;
}

export function emptyInvoiceFilters(customerId: number | null = null): InvoiceFilterModel {
  return {
    status: undefined,
    overdue: undefined,
    period: undefined,
    customer_id: customerId,
    owner_id: undefined,
    amount_min: '',
    amount_max: '',
    due: [],
    q: '',
  };
}

/** The filter form as `GET /invoices` parameters (amounts as typed, separators dropped; bad ones left out). */
export function invoiceFilterParams(model: InvoiceFilterModel): InvoiceFilters {
  const [dueFrom, dueTo] = model.due ?? [];
  const amount = (text: string) => (isAmount(text) ? normalizeMoneyInput(text) : null);
  return {
    status: model.status ?? null,
    overdue: model.overdue === 'yes' ? true : model.overdue === 'no' ? false : null,
    period: model.period || null,
    customer_id: model.customer_id,
    owner_id: model.owner_id ?? null,
    amount_min: amount(model.amount_min),
    amount_max: amount(model.amount_max),
    due_from: dueFrom || null,
    due_to: dueTo || null,
    q: model.q.trim() || null,
  };
}

/** What is wrong with the amount range (shown under the filter), or null. */
export function amountRangeProblem(min: string, max: string): FieldMessage | null {
  for (const value of [min, max]) {
    if (normalizeMoneyInput(value) && !isAmount(value)) return { key: 'invoice.rule.amount', params: {} };
  }
  if (isAmount(min) && isAmount(max) && compareMoney(min, max) > 0)
    return { key: 'invoice.rule.amountRange', params: {} };
  return null;
}

/** "YYYY-MM" of the month before `today` ("2026-01-15" → "2025-12"): the usual period to invoice. */
export function previousPeriod(today: string): string {
  const [year, month] = today.split('-').map(Number);
  return month === 1 ? `${year - 1}-12` : `${year}-${String(month - 1).padStart(2, '0')}`;
}

export function invoiceColumns(): TableColumnData[] {
  return [
    { title: t('invoice.field.number'), slotName: 'number', width: 190, fixed: 'left' },
    { title: t('invoice.field.customer'), slotName: 'customer', width: 220 },
    { title: t('invoice.field.period'), dataIndex: 'period', width: 100 },
    { title: t('invoice.field.issueDate'), dataIndex: 'issue_date', width: 120 },
    { title: t('invoice.field.dueDate'), dataIndex: 'due_date', width: 120 },
    { title: t('invoice.field.total'), slotName: 'total', width: 140, align: 'right' },
    { title: t('invoice.field.outstanding'), slotName: 'outstanding', width: 140, align: 'right' },
    { title: t('invoice.field.status'), slotName: 'status', width: 180 },
    { title: t('common.actions'), slotName: 'actions', width: 90, fixed: 'right' },
  ];
}

// --- detail ------------------------------------------------------------------------------------------------
export function lineColumns(): TableColumnData[] {
  return [
    { title: '#', dataIndex: 'position', width: 50 },
    { title: t('invoice.line.item'), slotName: 'item', width: 240 },
    { title: t('invoice.line.plan'), slotName: 'plan', width: 150 },
    { title: t('invoice.line.service'), slotName: 'service', width: 200 },
    { title: t('invoice.line.quantity'), slotName: 'quantity', width: 150, align: 'right' },
    { title: t('invoice.line.billed'), slotName: 'billed', width: 150, align: 'right' },
    { title: t('invoice.line.usageAmount'), slotName: 'usageAmount', width: 120, align: 'right' },
    { title: t('invoice.line.monthlyFee'), slotName: 'monthlyFee', width: 110, align: 'right' },
    { title: t('invoice.line.minimumTopUp'), slotName: 'minimumTopUp', width: 110, align: 'right' },
    { title: t('invoice.line.discount'), slotName: 'discount', width: 120, align: 'right' },
    { title: t('invoice.line.amount'), slotName: 'amount', width: 130, align: 'right', fixed: 'right' },
  ];
}

export function breakdownColumns(): TableColumnData[] {
  return [
    { title: t('invoice.tier.tier'), dataIndex: 'tier', width: 70 },
    { title: t('invoice.tier.range'), slotName: 'range', width: 200 },
    { title: t('invoice.tier.quantity'), slotName: 'quantity', width: 150, align: 'right' },
    { title: t('invoice.tier.unitPrice'), slotName: 'unitPrice', width: 120, align: 'right' },
    { title: t('invoice.tier.flatFee'), slotName: 'flatFee', width: 100, align: 'right' },
    { title: t('invoice.tier.amount'), slotName: 'amount', width: 130, align: 'right' },
  ];
}

export function creditNoteColumns(): TableColumnData[] {
  return [
    { title: t('invoice.credit.number'), dataIndex: 'number', width: 180 },
    { title: t('invoice.credit.issueDate'), dataIndex: 'issue_date', width: 120 },
    { title: t('invoice.credit.amount'), slotName: 'amount', width: 130, align: 'right' },
    { title: t('invoice.credit.toCredit'), slotName: 'creditAmount', width: 130, align: 'right' },
    { title: t('invoice.credit.reason'), dataIndex: 'reason', ellipsis: true, tooltip: true, width: 220 },
    { title: t('invoice.field.createdBy'), dataIndex: 'created_by', width: 110 },
  ];
}

/** How much may still be credited: the total less earlier credit notes. */
export function creditable(invoice: Pick<InvoicePublic, 'total' | 'credited_amount'>): string {
  return subtractMoney(invoice.total, invoice.credited_amount);
}

export interface CreditNoteInputs {
  amount: string;
  reason: string;
}

/** The backend's credit note rules, checked before sending (per field). */
export function creditNoteProblems(
  inputs: CreditNoteInputs,
  maximum: string,
): Partial<Record<keyof CreditNoteInputs, FieldMessage>> {
  const problems: Partial<Record<keyof CreditNoteInputs, FieldMessage>> = {};
  if (!normalizeMoneyInput(inputs.amount)) problems.amount = { key: 'pricing.rule.required', params: {} };
  else if (!isAmount(inputs.amount) || toCents(inputs.amount) <= 0n)
    problems.amount = { key: 'invoice.rule.positiveAmount', params: {} };
  else if (compareMoney(inputs.amount, maximum) > 0)
    problems.amount = { key: 'invoice.rule.creditMax', params: { max: maximum } };
  problems.reason = reasonProblem(inputs.reason) ?? undefined;
  if (!problems.reason) delete problems.reason;
  return problems;
}

// --- runs --------------------------------------------------------------------------------------------------
/** The period of a run, from its summary or its parameters. */
export function runPeriod(run: Pick<InvoiceRun, 'parameters' | 'result'>): string {
  if (run.result?.period) return run.result.period;
  const period = run.parameters?.period;
  return typeof period === 'string' ? period : '-';
}

export function runColumns(): TableColumnData[] {
  return [
    { title: 'ID', dataIndex: 'id', width: 80 },
    { title: t('invoice.field.period'), slotName: 'period', width: 100 },
    { title: t('invoice.run.status'), slotName: 'status', width: 100 },
    { title: t('invoice.run.invoices'), slotName: 'invoices', width: 100, align: 'right' },
    { title: t('invoice.run.receivable'), slotName: 'receivable', width: 150, align: 'right' },
    { title: t('invoice.run.counters'), slotName: 'counters', width: 300 },
    { title: t('usage.pull.trigger'), slotName: 'trigger', width: 100 },
    { title: t('usage.pull.by'), dataIndex: 'triggered_by', width: 120 },
    { title: t('usage.pull.createdAt'), slotName: 'createdAt', width: 170 },
    { title: t('usage.pull.duration'), slotName: 'duration', width: 100 },
    { title: t('common.actions'), slotName: 'actions', width: 90, fixed: 'right' },
  ];
}
