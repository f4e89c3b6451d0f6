/**
 * Bank statements: the labels of profiles, fields, skip reasons, line kinds, statuses, confidences
 * and proposal reasons; the list's and the workbench's columns and filters; the mapping the user
 * corrects before importing; and the accept of a line by hand — its allocations (each ≤ its
 * invoice's outstanding, all ≤ the line's amount) or its parts across customers (they add up to
 * the line's amount exactly), checked here on BigInt cents before the backend checks them again.
 */
import type { TableColumnData } from '@arco-design/web-vue';
import {
  BANK_PROFILES,
  CONFIDENCES,
  LINE_KINDS,
  LINE_STATUSES,
  STATEMENT_FIELDS,
  type AcceptLineBody,
  type AllocationInput,
  type Confidence,
  type LineKind,
  type LineStatus,
  type StatementField,
  type StatementLine,
  type StatementLineParams,
  type StatementMapping,
  type StatementReport,
} from '@/api/bank-statements';
import { t } from '@/locale';
import {
  actionsColumn,
  fieldColumn,
  idColumn,
  moneyColumn,
  recordLink,
  slotColumn,
  textColumn,
  timeColumn,
} from '@/utils/columns';
import type { FieldMessage } from '@/utils/form-errors';
import { compareMoney, fromCents, isAmount, minMoney, normalizeMoneyInput, toCents } from '@/utils/money';
import type { Option } from '@/types/option';

// --- labels -----------------------------------------------------------------------------------------------
/** A known message key's text, else the value as it came (data, or a code this UI does not know yet). */
function labelOr(key: string, value: string): string {
  const text = t(key);
  return text === key ? value : text;
}

/** A bank profile's name; a saved profile is named by its own name (data), 'custom' is a corrected mapping. */
export function profileLabel(code: string | null | undefined): string {
  if (!code) return '-';
  return labelOr(`statement.profile.${code}`, code);
}

export function fieldLabel(field: string): string {
  return labelOr(`statement.column.${field}`, field);
}

export function skipReasonLabel(reason: string | null | undefined): string {
  if (!reason) return '-';
  return labelOr(`statement.skip.${reason}`, reason);
}

export function lineKindLabel(kind: string | null | undefined): string {
  if (!kind) return '-';
  return labelOr(`statement.kind.${kind}`, kind);
}

export function lineStatusLabel(status: string | null | undefined): string {
  if (!status) return '-';
  return labelOr(`statement.status.${status}`, status);
}

export function confidenceLabel(confidence: string | null | undefined): string {
  return confidence
    ? labelOr(`statement.confidence.${confidence}`, confidence)
    : t('statement.confidence.none');
}

export function matchedByLabel(by: string | null | undefined): string {
  return by ? labelOr(`statement.matchedBy.${by}`, by) : '-';
}

/**
 * Why a line got its proposal, in the UI's language: the backend sends a code, or codes joined
 * by `;`/`,` (customer found by …, allocation by …); a code this UI does not know is shown as sent.
 */
export function proposalReasonText(reason: string | null | undefined): string {
  if (!reason) return '-';
  return reason
    .split(/\s*[;,+]\s*/)
    .filter(Boolean)
    .map((code) => labelOr(`statement.reason.${code}`, code))
    .join('；');
}

export const CONFIDENCE_COLORS: Record<Confidence, string> = { high: 'green', medium: 'orange', low: 'red' };
export const STATUS_COLORS: Record<LineStatus, string> = {
  open: 'arcoblue',
  accepted: 'green',
  credit: 'cyan',
  conflict: 'red',
};

export function confidenceColor(confidence: string | null | undefined): string {
  return CONFIDENCE_COLORS[confidence as Confidence] ?? 'gray';
}

export function statusColor(line: Pick<StatementLine, 'kind' | 'status'>): string {
  if (line.kind !== 'incoming') return 'gray';
  return line.status ? (STATUS_COLORS[line.status] ?? 'gray') : 'gray';
}

/** What a line is, in one word: skipped or a duplicate, else its status. */
export function lineStateLabel(line: Pick<StatementLine, 'kind' | 'status'>): string {
  return line.kind === 'incoming' ? lineStatusLabel(line.status) : lineKindLabel(line.kind);
}

export function profileOptions(): Option[] {
  return BANK_PROFILES.map((value) => ({ value, label: profileLabel(value) }));
}

export function confidenceOptions(): Option<Confidence>[] {
  return CONFIDENCES.map((value) => ({ value, label: confidenceLabel(value) }));
}

/** The kinds of line the status filter offers besides the statuses of incoming lines. */
const OTHER_KINDS: readonly LineKind[] = LINE_KINDS.filter((kind) => kind !== 'incoming');

/** The workbench's status filter: the statuses of incoming lines, then skipped and duplicate lines. */
export function lineStatusOptions(): Option[] {
  return [
    ...LINE_STATUSES.map((value) => ({ value, label: lineStatusLabel(value) })),
    ...OTHER_KINDS.map((value) => ({ value, label: lineKindLabel(value) })),
  ];
}

// --- list -------------------------------------------------------------------------------------------------
export function statementColumns(): TableColumnData[] {
  return [
    idColumn(70, { fixed: 'left' }),
    textColumn('statement.field.filename', 'filename', 220),
    slotColumn('statement.field.profile', 'profile', 110, {
      render: ({ record }) => profileLabel(record.profile),
    }),
    textColumn('statement.field.account', 'account', 170),
    fieldColumn('statement.field.linesTotal', 'lines_total', 90, { align: 'right' }),
    fieldColumn('statement.field.incoming', 'incoming', 90, { align: 'right' }),
    moneyColumn('statement.field.incomingAmount', 'incomingAmount', 'incoming_amount', 150),
    fieldColumn('statement.field.openLines', 'open_lines', 90, { align: 'right' }),
    fieldColumn('statement.field.acceptedLines', 'accepted_lines', 90, { align: 'right' }),
    fieldColumn('statement.field.skipped', 'skipped', 90, { align: 'right' }),
    fieldColumn('statement.field.duplicates', 'duplicates', 100, { align: 'right' }),
    timeColumn('statement.field.createdAt', 'createdAt', 'created_at'),
    actionsColumn(100, {
      render: recordLink(
        'bank-statement-detail',
        (statement) => `statement-open-${statement.id}`,
        () => t('statement.action.workbench'),
      ),
    }),
  ];
}

// --- workbench ----------------------------------------------------------------------------------------------
export interface LineFilterModel {
  status: string | undefined;
  confidence: Confidence | undefined;
}

export function emptyLineFilters(): LineFilterModel {
  return { status: undefined, confidence: undefined };
}

/** The filters as `GET …/lines` parameters: a status of incoming lines, or a kind (skipped, duplicate). */
export function lineFilterParams(model: LineFilterModel): StatementLineParams {
  const chosen = model.status ?? null;
  const kind = OTHER_KINDS.find((k) => k === chosen) ?? null;
  const status = LINE_STATUSES.find((s) => s === chosen) ?? null;
  return { status, kind, confidence: model.confidence ?? null };
}

/** An open incoming line that has a proposed customer can be accepted as it is. */
export function canAcceptAsProposed(line: StatementLine): boolean {
  return line.kind === 'incoming' && line.status === 'open' && !!line.customer_id;
}

/** An open (or conflicting) incoming line can be matched by hand: another customer, other invoices, a split, credit. */
export function canMatchByHand(line: StatementLine): boolean {
  return line.kind === 'incoming' && (line.status === 'open' || line.status === 'conflict');
}

/** An accepted line (allocated or left as credit) can be undone. */
export function canUndo(line: StatementLine): boolean {
  return line.kind === 'incoming' && (line.status === 'accepted' || line.status === 'credit');
}

/** The report's rows: what was matched automatically, by hand, what is open, skipped and already imported. */
export function reportRows(report: StatementReport): { key: string; count: number; amount: string | null }[] {
  return [
    { key: 'auto', count: report.auto.count, amount: report.auto.amount },
    { key: 'by_hand', count: report.by_hand.count, amount: report.by_hand.amount },
    { key: 'open', count: report.open.count, amount: report.open.amount },
    { key: 'skipped', count: report.skipped.count, amount: null },
    { key: 'duplicates', count: report.duplicates.count, amount: null },
  ];
}

// --- mapping (import dialog) ----------------------------------------------------------------------------------
/** The fields in the order the mapping table shows them. */
export const MAPPING_FIELDS: readonly StatementField[] = STATEMENT_FIELDS;

/**
 * The mapping the backend can read a statement with: a date, and money in (a credit column or a
 * signed one). One column may hold two fields (the date and the time, as ICBC writes them).
 */
export function checkMapping(mapping: StatementMapping): FieldMessage | null {
  if (!mapping.booked_on) return { key: 'statement.rule.needsDate', params: {} };
  if (!mapping.credit && !mapping.signed_amount) return { key: 'statement.rule.needsAmount', params: {} };
  return null;
}

/** Whether the user changed the detected mapping (then it is sent, and may be saved as a profile). */
export function mappingChanged(detected: StatementMapping, edited: StatementMapping): boolean {
  const fields = new Set([...Object.keys(detected), ...Object.keys(edited)]);
  for (const field of fields) if ((detected[field] ?? '') !== (edited[field] ?? '')) return true;
  return false;
}

/** Whether the file is one the import reads (CSV, a text export or an xlsx workbook). */
export function isStatementFile(file: { name: string }): boolean {
  return /\.(csv|txt|xlsx)$/i.test(file.name);
}

// --- accept by hand ---------------------------------------------------------------------------------------------
/** An open invoice of the chosen customer and what the line puts on it (as typed). */
export interface InvoiceDraft {
  invoice_id: number;
  number: string;
  due_date: string;
  outstanding: string;
  amount: string;
}

export interface DraftCheck {
  /** invoice id → what is wrong with its line */
  lines: Record<number, FieldMessage>;
  total: FieldMessage | null;
  sum: string;
  /** what is left of the line's money (the customer's credit) */
  remaining: string;
}

/** Each amount > 0 and ≤ its invoice's outstanding; all together ≤ `available`. */
export function checkDrafts(drafts: readonly InvoiceDraft[], available: string): DraftCheck {
  const lines: Record<number, FieldMessage> = {};
  let sum = 0n;
  for (const draft of drafts) {
    if (!isAmount(draft.amount) || toCents(draft.amount) <= 0n) {
      lines[draft.invoice_id] = { key: 'invoice.rule.positiveAmount', params: {} };
    } else if (compareMoney(normalizeMoneyInput(draft.amount), draft.outstanding) > 0) {
      lines[draft.invoice_id] = {
        key: 'payment.allocate.overOutstanding',
        params: { max: draft.outstanding },
      };
    } else sum += toCents(draft.amount);
  }
  const left = toCents(available) - sum;
  const total: FieldMessage | null =
    left < 0n ? { key: 'statement.rule.overAmount', params: { max: available } } : null;
  return { lines, total, sum: fromCents(sum), remaining: fromCents(left) };
}

export function draftsAreValid(check: DraftCheck): boolean {
  return check.total === null && Object.keys(check.lines).length === 0;
}

export function toAllocationInputs(drafts: readonly InvoiceDraft[]): AllocationInput[] {
  return drafts.map((d) => ({ invoice_id: d.invoice_id, amount: fromCents(toCents(d.amount)) }));
}

/**
 * Invoices filled oldest due first with `amount`: each gets what it owes, the last one what is
 * left; invoices that get nothing are left out.
 */
export function fillOldestFirst(
  invoices: readonly Omit<InvoiceDraft, 'amount'>[],
  amount: string,
): InvoiceDraft[] {
  let left = toCents(amount);
  const drafts: InvoiceDraft[] = [];
  const ordered = [...invoices].sort(
    (a, b) => a.due_date.localeCompare(b.due_date) || a.invoice_id - b.invoice_id,
  );
  for (const invoice of ordered) {
    if (left <= 0n) break;
    const put = toCents(minMoney(invoice.outstanding, fromCents(left)));
    if (put <= 0n) continue;
    drafts.push({ ...invoice, amount: fromCents(put) });
    left -= put;
  }
  return drafts;
}

/** One customer's part of a split line (as typed), with the invoices it goes to. */
export interface PartDraft {
  key: number;
  customer_id: number | null;
  amount: string;
  /** the part's allocations, filled oldest first from the chosen invoices */
  allocations: InvoiceDraft[];
}

export interface PartsCheck {
  /** part key → what is wrong with it */
  parts: Record<number, FieldMessage>;
  total: FieldMessage | null;
  sum: string;
  remaining: string;
}

/** Every part has a customer (each once) and an amount > 0; together exactly the line's amount. */
export function checkParts(parts: readonly PartDraft[], lineAmount: string): PartsCheck {
  const problems: Record<number, FieldMessage> = {};
  const seen = new Set<number>();
  let sum = 0n;
  for (const part of parts) {
    if (!part.customer_id) problems[part.key] = { key: 'statement.rule.partCustomer', params: {} };
    else if (seen.has(part.customer_id)) problems[part.key] = { key: 'statement.rule.partTwice', params: {} };
    else if (!isAmount(part.amount) || toCents(part.amount) <= 0n)
      problems[part.key] = { key: 'invoice.rule.positiveAmount', params: {} };
    else {
      const allocated = part.allocations.reduce((cents, a) => cents + toCents(a.amount), 0n);
      if (allocated > toCents(part.amount))
        problems[part.key] = { key: 'statement.rule.overAmount', params: { max: part.amount } };
      sum += toCents(part.amount);
    }
    if (part.customer_id) seen.add(part.customer_id);
  }
  const left = toCents(lineAmount) - sum;
  let total: FieldMessage | null = null;
  if (parts.length < 2) total = { key: 'statement.rule.partsAtLeastTwo', params: {} };
  else if (left !== 0n) total = { key: 'statement.rule.partsSum', params: { amount: lineAmount } };
  return { parts: problems, total, sum: fromCents(sum), remaining: fromCents(left) };
}

export function partsAreValid(check: PartsCheck): boolean {
  return check.total === null && Object.keys(check.parts).length === 0;
}

/** The accept's body of a line matched by hand to one customer (`[]` allocations: left as credit). */
export function oneCustomerBody(customerId: number, drafts: readonly InvoiceDraft[]): AcceptLineBody {
  return { customer_id: customerId, allocations: toAllocationInputs(drafts) };
}

/** The accept's body of a line split across customers. */
export function splitBody(parts: readonly PartDraft[]): AcceptLineBody {
  return {
    parts: parts.map((p) => ({
      customer_id: p.customer_id as number,
      amount: fromCents(toCents(p.amount)),
      allocations: toAllocationInputs(p.allocations),
    })),
  };
}
