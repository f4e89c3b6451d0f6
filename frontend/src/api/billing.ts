/**
 * Billing (`/invoice-runs…`, `/invoices…`, `/credit-notes…`, `/reports/aging…`).
 *
 * The types mirror the backend's schemas of the issue 6 contract (backend/opcms/billing/). Money
 * and quantities travel as decimal strings ("1234.50") and stay strings here: none of them is
 * ever turned into a JS number (sums go through `src/utils/money.ts`, on BigInt cents).
 */
import http, { getData, getQuery, idempotent, postData } from './http';
import { blobRequest, toDownloadedFile, type DownloadedFile } from './download';
import { cleanParams, type PageParams } from './params';
import type { PricingMode, TierChargePublic } from './pricing';
import type { ExecutionPublic } from './jobs';
import type { AllocationPublic } from './settlement';
import type { Decimal, IsoDate, IsoDateTime, Money, Page, Period } from './types';
import { currentLocale, type LocaleCode } from '@/locale';

export const INVOICE_STATUSES = ['unsettled', 'partially_settled', 'settled', 'void'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

// --- invoice runs ---------------------------------------------------------------------------------------
/** Body of `POST /invoice-runs`: one period, for every customer or one. */
export interface InvoiceRunRequest {
  period: Period;
  customer_id?: number | null;
  /** default: today (Asia/Shanghai) */
  issue_date?: IsoDate | null;
}

export interface RunLevelTotal {
  level: string | null;
  invoices: number;
  total: Money;
}

export interface RunIndustryTotal {
  industry: string | null;
  invoices: number;
  total: Money;
}

/** The `result` of a finished run: what it invoiced. */
export interface InvoiceRunSummary {
  period: Period;
  invoices: number;
  receivable_total: Money;
  skipped: number;
  failed: number;
  no_charge: number;
  by_level: RunLevelTotal[];
  by_industry: RunIndustryTotal[];
}

/** A task execution of `billing.run_period` (the usage pulls' `ExecutionPublic` plus its `result`). */
export interface InvoiceRun extends ExecutionPublic {
  result: InvoiceRunSummary | null;
}

/** Schema `InvoiceRunPage`. */
export type InvoiceRunPage = Page<InvoiceRun>;

export interface InvoiceRunListParams extends PageParams {
  status?: string | null;
}

// --- invoices ---------------------------------------------------------------------------------------------
/** Schema `InvoicePublic`. */
export interface InvoicePublic {
  id: number;
  /** `INV-YYYYMM-NNNNNN` */
  number: string;
  customer_id: number;
  customer_code: string;
  company_name: string;
  period: Period;
  issue_date: IsoDate;
  due_date: IsoDate;
  currency: string;
  subtotal: Money;
  discount_amount: Money;
  total: Money;
  credited_amount: Money;
  paid_amount: Money;
  outstanding: Money;
  status: InvoiceStatus;
  overdue: boolean;
  /** 0 when not overdue */
  days_overdue: number;
  settled_at: IsoDateTime | null;
  voided_at: IsoDateTime | null;
  voided_by: string | null;
  void_reason: string | null;
  /** the voided invoice this one was regenerated from */
  replaces_id: number | null;
  execution_id: number | null;
  created_at: IsoDateTime;
  created_by: string | null;
}

/** Schema `InvoicePage`. */
export type InvoicePage = Page<InvoicePublic>;

/** One tier of a line's price (the pricing preview's breakdown line). */
export type InvoiceTierCharge = TierChargePublic;

/** Schema `InvoiceLinePublic`: one metric of the invoice, priced with the plan version in force. */
export interface InvoiceLinePublic {
  id: number;
  position: number;
  metric_id: number | null;
  metric_code: string | null;
  metric_name: string | null;
  unit: string | null;
  plan_id: number | null;
  plan_code: string | null;
  plan_version: number | null;
  description: string;
  mode: PricingMode | null;
  service_from: IsoDate | null;
  service_to: IsoDate | null;
  days_active: number | null;
  days_in_period: number | null;
  quantity: Decimal;
  included_quantity: Decimal;
  billed_quantity: Decimal;
  usage_amount: Money;
  monthly_fee: Money;
  minimum_top_up: Money;
  discount_percent: Decimal;
  discount: Money;
  amount: Money;
  breakdown: InvoiceTierCharge[];
}

/** Schema `CreditNoteLinePublic`. */
export interface CreditNoteLinePublic {
  position: number;
  invoice_line_id: number | null;
  description: string;
  amount: Money;
}

/** Schema `CreditNotePublic`. */
export interface CreditNotePublic {
  id: number;
  /** `CN-YYYYMM-NNNNNN` */
  number: string;
  invoice_id: number;
  invoice_number: string;
  customer_id: number;
  issue_date: IsoDate;
  currency: string;
  amount: Money;
  /** the part that lowered the invoice's outstanding */
  applied_amount: Money;
  /** the part that became customer credit (the invoice was already paid) */
  credit_amount: Money;
  allocated_amount: Money;
  unallocated_amount: Money;
  reason: string;
  lines: CreditNoteLinePublic[];
  created_at: IsoDateTime;
  created_by: string | null;
}

/** Schema `CreditNotePage`. */
export type CreditNotePage = Page<CreditNotePublic>;

/** Schema `InvoiceDetail`. */
export interface InvoiceDetail extends InvoicePublic {
  lines: InvoiceLinePublic[];
  credit_notes: CreditNotePublic[];
  allocations: AllocationPublic[];
  /** the invoice that replaced this one when it was regenerated */
  replaced_by_id: number | null;
}

/** The filters of `GET /invoices` (and of its export). */
export interface InvoiceFilters {
  status?: InvoiceStatus | null;
  overdue?: boolean | null;
  period?: Period | null;
  customer_id?: number | null;
  owner_id?: number | null;
  /** on the total */
  amount_min?: Money | null;
  amount_max?: Money | null;
  due_from?: IsoDate | null;
  due_to?: IsoDate | null;
  /** number, customer code or name */
  q?: string | null;
}

export interface InvoiceListParams extends InvoiceFilters, PageParams {}

const INVOICE_FILTER_KEYS: readonly (keyof InvoiceFilters)[] = [
  'status',
  'overdue',
  'period',
  'customer_id',
  'owner_id',
  'amount_min',
  'amount_max',
  'due_from',
  'due_to',
  'q',
];

/** Only the known filters (the backend refuses unknown parameters), blanks left out. */
export function invoiceQuery(params: InvoiceListParams, withPaging = true): Record<string, string | number> {
  const keys: readonly (keyof InvoiceListParams)[] = withPaging
    ? [...INVOICE_FILTER_KEYS, 'page', 'page_size', 'sort']
    : INVOICE_FILTER_KEYS;
  return cleanParams(Object.fromEntries(keys.map((key) => [key, params[key]])));
}

/** Body of void and regenerate: the reason is required (audit log). */
export interface ReasonBody {
  reason: string;
}

/** Answer of `POST /invoices/{id}/regenerate`: null when the customer owes nothing any more. */
export interface RegenerateResult {
  voided: InvoicePublic;
  invoice: InvoiceDetail | null;
}

/** Body of `POST /credit-notes`. */
export interface CreditNoteCreate {
  invoice_id: number;
  /** ≤ the invoice's total less earlier credit notes */
  amount: Money;
  reason: string;
  lines?: { invoice_line_id?: number | null; description: string; amount: Money }[];
}

export interface CreditNoteListParams extends PageParams {
  customer_id?: number | null;
  invoice_id?: number | null;
}

// --- aging ---------------------------------------------------------------------------------------------------
export type AgingBucketName = 'current' | '1-30' | '31-60' | '61-90' | '90+';

export interface AgingBucket {
  bucket: AgingBucketName;
  invoices: number;
  outstanding: Money;
}

export interface AgingCustomer {
  customer_id: number;
  customer_code: string;
  company_name: string;
  current: Money;
  d1_30: Money;
  d31_60: Money;
  d61_90: Money;
  d90_plus: Money;
  total: Money;
}

/** Schema `AgingReport`. */
export interface AgingReport {
  as_of: IsoDate;
  buckets: AgingBucket[];
  customers: AgingCustomer[];
}

// --- requests -------------------------------------------------------------------------------------------------
/** Queues a run (202): resolves to the pending execution; 503 when the broker is down. */
export function requestInvoiceRun(body: InvoiceRunRequest): Promise<InvoiceRun> {
  return postData('/invoice-runs', cleanBody(body));
}

export function listInvoiceRuns(params: InvoiceRunListParams = {}): Promise<InvoiceRunPage> {
  return getQuery('/invoice-runs', params);
}

export function getInvoiceRun(id: number): Promise<InvoiceRun> {
  return getData(`/invoice-runs/${id}`);
}

export function listInvoices(params: InvoiceListParams = {}): Promise<InvoicePage> {
  return getData('/invoices', { params: invoiceQuery(params) });
}

export function getInvoice(id: number): Promise<InvoiceDetail> {
  return getData(`/invoices/${id}`);
}

/** 409 while it has active allocations or credit notes. */
export function voidInvoice(id: number, reason: string): Promise<InvoicePublic> {
  return postData(`/invoices/${id}/void`, { reason: reason.trim() });
}

/** Voids it and issues a new one with current usage; 409 with active allocations ("reverse the allocations first"). */
export function regenerateInvoice(id: number, reason: string): Promise<RegenerateResult> {
  return postData(`/invoices/${id}/regenerate`, { reason: reason.trim() });
}

/** The invoices matching the filters (all pages) as an .xlsx file. */
export async function exportInvoices(filters: InvoiceFilters = {}): Promise<DownloadedFile> {
  const response = await http.get<Blob>(
    '/invoices/export',
    blobRequest({ params: invoiceQuery(filters, false) }),
  );
  return toDownloadedFile(response, 'invoices.xlsx');
}

/**
 * The printable HTML of an invoice (fetched with the session's token: a plain link cannot send it),
 * in the UI's language (`lang`; the page opened from it is a new tab that would send the browser's).
 */
export function fetchInvoicePrint(id: number, lang: LocaleCode = currentLocale.value): Promise<string> {
  return getData(`/invoices/${id}/print`, {
    responseType: 'text',
    headers: { Accept: 'text/html' },
    params: { lang },
  });
}

export function getAgingReport(asOf?: IsoDate | null): Promise<AgingReport> {
  return getData('/reports/aging', { params: cleanParams({ as_of: asOf }) });
}

export async function exportAgingReport(asOf?: IsoDate | null): Promise<DownloadedFile> {
  const response = await http.get<Blob>(
    '/reports/aging.xlsx',
    blobRequest({ params: cleanParams({ as_of: asOf }) }),
  );
  return toDownloadedFile(response, `aging-${asOf ?? 'today'}.xlsx`);
}

/** `idempotencyKey` (one per opened form) makes a repeat answer the first credit note again. */
export function createCreditNote(body: CreditNoteCreate, idempotencyKey?: string): Promise<CreditNotePublic> {
  return postData('/credit-notes', { ...body, reason: body.reason.trim() }, idempotent(idempotencyKey));
}

export function listCreditNotes(params: CreditNoteListParams = {}): Promise<CreditNotePage> {
  return getQuery('/credit-notes', params);
}

export function getCreditNote(id: number): Promise<CreditNotePublic> {
  return getData(`/credit-notes/${id}`);
}

/** The run body without blank optional fields. */
function cleanBody(body: InvoiceRunRequest): InvoiceRunRequest {
  const clean: InvoiceRunRequest = { period: body.period };
  if (body.customer_id) clean.customer_id = body.customer_id;
  if (body.issue_date) clean.issue_date = body.issue_date;
  return clean;
}
