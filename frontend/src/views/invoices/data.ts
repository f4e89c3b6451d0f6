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
import {
  actionsColumn,
  customerColumn,
  executionTailColumns,
  fieldColumn,
  idColumn,
  moneyColumn,
  numberColumn,
  recordLink,
  statusColumn,
  slotColumn,
  textColumn,
} from '@/utils/columns';
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
    slotColumn('invoice.field.number', 'number', 190, {
      fixed: 'left',
      render: recordLink(
        'invoice-detail',
        (invoice) => `invoice-row-${invoice.number}`,
        (invoice) => invoice.number,
      ),
    }),
    customerColumn('invoice.field.customer'),
    fieldColumn('invoice.field.period', 'period', 100),
    fieldColumn('invoice.field.issueDate', 'issue_date', 120),
    fieldColumn('invoice.field.dueDate', 'due_date', 120),
    moneyColumn('invoice.field.total', 'total', 'total'),
    moneyColumn('invoice.field.outstanding', 'outstanding', 'outstanding'),
    slotColumn('invoice.field.status', 'status', 180),
    actionsColumn(90, {
      render: recordLink(
        'invoice-detail',
        (invoice) => `invoice-view-${invoice.id}`,
        () => t('common.view'),
      ),
    }),
  ];
}

// --- detail ------------------------------------------------------------------------------------------------
export function lineColumns(): TableColumnData[] {
  return [
    fieldColumn('#', 'position', 50),
    slotColumn('invoice.line.item', 'item', 240),
    slotColumn('invoice.line.plan', 'plan', 150),
    slotColumn('invoice.line.service', 'service', 200),
    numberColumn('invoice.line.quantity', 'quantity', 150),
    numberColumn('invoice.line.billed', 'billed', 150),
    numberColumn('invoice.line.usageAmount', 'usageAmount', 120),
    numberColumn('invoice.line.monthlyFee', 'monthlyFee', 110),
    numberColumn('invoice.line.minimumTopUp', 'minimumTopUp', 110),
    numberColumn('invoice.line.discount', 'discount', 120),
    numberColumn('invoice.line.amount', 'amount', 130, { fixed: 'right' }),
  ];
}

export function breakdownColumns(): TableColumnData[] {
  return [
    fieldColumn('invoice.tier.tier', 'tier', 70),
    slotColumn('invoice.tier.range', 'range', 200),
    numberColumn('invoice.tier.quantity', 'quantity', 150),
    numberColumn('invoice.tier.unitPrice', 'unitPrice', 120),
    numberColumn('invoice.tier.flatFee', 'flatFee', 100),
    numberColumn('invoice.tier.amount', 'amount', 130),
  ];
}

export function creditNoteColumns(): TableColumnData[] {
  return [
    fieldColumn('invoice.credit.number', 'number', 180),
    fieldColumn('invoice.credit.issueDate', 'issue_date', 120),
    numberColumn('invoice.credit.amount', 'amount', 130),
    numberColumn('invoice.credit.toCredit', 'creditAmount', 130),
    textColumn('invoice.credit.reason', 'reason', 220),
    fieldColumn('invoice.field.createdBy', 'created_by', 110),
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
    idColumn(80, {}),
    slotColumn('invoice.field.period', 'period', 100),
    statusColumn('invoice.run.status', 'execution', 'run-status', 100),
    numberColumn('invoice.run.invoices', 'invoices', 100),
    moneyColumn('invoice.run.receivable', 'receivable', (run) => run.result?.receivable_total, 150),
    ...executionTailColumns('invoice.run.counters'),
  ];
}
