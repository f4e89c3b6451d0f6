/**
 * Bank statements (`/bank-statements…`, `/bank-statement-lines…`, `/bank-statement-profiles`):
 * the bank's export read (a preview that writes nothing, then the import), the statement's lines
 * with the proposal of each (customer, allocations, confidence and reason), accepting them (one,
 * or every open line at a confidence or above), undoing one, and the statement's report.
 *
 * The types mirror the backend's schemas of the issue 18 contract (backend/opcms/statements/).
 * Amounts are decimal strings and stay strings.
 */
import http, { deleteData, getData, getQuery, postData } from './http';
import { blobRequest, toDownloadedFile, type DownloadedFile } from './download';
import { type PageParams, uploadProgress } from './params';
import type { IsoDate, IsoDateTime, Money, Page } from './types';

/** The built-in profiles: each bank's header names (a saved profile is named by its name instead). */
export const BANK_PROFILES = ['icbc', 'ccb', 'abc', 'boc', 'cmb', 'generic'] as const;
export type BankProfileCode = (typeof BANK_PROFILES)[number];

/** What a column of the file may be; the mapping says which header holds each. */
export const STATEMENT_FIELDS = [
  'booked_on',
  'booked_at',
  'credit',
  'debit',
  'signed_amount',
  /** 借/贷, 收/付, C/D…: the sign of `signed_amount` when the bank writes it apart */
  'direction',
  'balance',
  'payer_name',
  'payer_account',
  'payer_bank',
  'summary',
  'purpose',
  'serial',
  'currency',
] as const;
export type StatementField = (typeof STATEMENT_FIELDS)[number];

/** Why a row of the file is not a candidate payment. */
export const SKIP_REASONS = [
  'outgoing',
  'blank',
  'totals',
  'zero_amount',
  'unreadable_amount',
  'unreadable_date',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** incoming: a candidate payment; skipped: not money in (with its reason); duplicate: imported before */
export const LINE_KINDS = ['incoming', 'skipped', 'duplicate'] as const;
export type LineKind = (typeof LINE_KINDS)[number];

/**
 * Where an incoming line stands: waiting for a person; accepted (a payment recorded and allocated);
 * left as the customer's credit; or in conflict (its bank reference was recorded as a payment by
 * hand meanwhile: for a person, listed with the open ones).
 */
export const LINE_STATUSES = ['open', 'accepted', 'credit', 'conflict'] as const;
export type LineStatus = (typeof LINE_STATUSES)[number];

export const CONFIDENCES = ['high', 'medium', 'low'] as const;
export type Confidence = (typeof CONFIDENCES)[number];

export type MatchedBy = 'auto' | 'hand';

/** A mapping: field → the header text of the file that holds it. */
export type StatementMapping = Partial<Record<StatementField | (string & {}), string>>;

/** One skipped row of an import, as the import answers it. */
export interface SkippedRow {
  row_number: number;
  reason: SkipReason | string;
  detail: string | null;
}

/** A line of the preview, as read (nothing written). */
export interface PreviewLine {
  row_number: number;
  kind: 'incoming' | 'skipped';
  reason: SkipReason | string | null;
  detail: string | null;
  booked_on: IsoDate | null;
  booked_at: string | null;
  amount: Money | null;
  balance: string | null;
  payer_name: string | null;
  payer_account: string | null;
  payer_bank: string | null;
  summary: string | null;
  purpose: string | null;
  serial: string | null;
  currency: string;
}

/** `POST /bank-statements/preview`: how the file was read, and its first lines. */
export interface StatementPreview {
  profile: string;
  encoding: string;
  /** 1-based */
  header_row: number;
  headers: string[];
  mapping: StatementMapping;
  /** the fields a mapping may name */
  fields: string[];
  /** the statement's own account when a title line gives it */
  account: string | null;
  lines: PreviewLine[];
}

/** One figure of a report: how many lines and their sum. */
export interface ReportFigure {
  count: number;
  amount: Money;
}

/** `GET /bank-statements/{id}/report`. */
export interface StatementReport {
  auto: ReportFigure;
  by_hand: ReportFigure;
  open: ReportFigure;
  skipped: { count: number };
  duplicates: { count: number };
}

/** A statement of the list: what was imported, with its counts and sums. */
export interface StatementSummary {
  id: number;
  filename: string;
  profile: string;
  account: string | null;
  encoding: string;
  lines_total: number;
  incoming: number;
  skipped: number;
  duplicates: number;
  /** the sum of the incoming lines */
  incoming_amount: Money;
  created_at: IsoDateTime;
  created_by: string | null;
}

/** A statement of `GET /bank-statements`: with its lines still open (conflicts included) and accepted. */
export interface StatementListItem extends StatementSummary {
  open_lines: number;
  accepted_lines: number;
}

/** `POST /bank-statements`: the statement as imported (`duplicates`: lines imported before, which created nothing). */
export interface StatementImported extends StatementSummary {
  skipped_lines: SkippedRow[];
}

/** `GET /bank-statements/{id}`: the statement with its report. */
export interface StatementDetail extends StatementSummary {
  report: StatementReport;
}

export interface LineAllocation {
  invoice_id: number;
  invoice_number: string | null;
  amount: Money;
}

/** A payment an accepted line recorded (one, or one per customer of a split). */
export interface LinePayment {
  payment_id: number;
  customer_id: number | null;
  amount: Money;
  allocation_ids: number[];
}

/** A line of a statement with its proposal. */
export interface StatementLine {
  id: number;
  statement_id: number;
  row_number: number;
  kind: LineKind;
  reason: SkipReason | string | null;
  detail: string | null;
  booked_on: IsoDate | null;
  booked_at: string | null;
  amount: Money | null;
  currency: string;
  payer_name: string | null;
  payer_account: string | null;
  payer_bank: string | null;
  summary: string | null;
  purpose: string | null;
  serial: string | null;
  /** incoming lines only */
  status: LineStatus | null;
  /** the proposed customer (open line) or the customer it was accepted for */
  customer_id: number | null;
  customer_name: string | null;
  allocations: LineAllocation[];
  confidence: Confidence | null;
  /** why this proposal (a code the UI translates) */
  proposal_reason: string | null;
  payment_id: number | null;
  payments: LinePayment[];
  matched_by: MatchedBy | null;
  accepted_at: IsoDateTime | null;
  accepted_by: string | null;
  /** a conflict: the payment recorded by hand with this line's bank reference */
  conflict_payment_id: number | null;
  /** a duplicate: the line imported before */
  duplicate_of_id: number | null;
}

export type StatementLinePage = Page<StatementLine>;

export interface StatementLineParams extends PageParams {
  /** `open` lists the conflicts too */
  status?: LineStatus | null;
  confidence?: Confidence | null;
  kind?: LineKind | null;
}

/** A bank profile or a saved mapping. */
export interface BankProfileInfo {
  /** saved profiles only */
  id?: number | null;
  code: string;
  name: string;
  builtin: boolean;
  base_profile?: string | null;
  /** bank profiles: field → the header texts that name it */
  headers?: Record<string, string[]> | null;
  /** saved profiles: field → header text */
  mapping?: StatementMapping | null;
}

/** `POST /bank-statements/{id}/accept`. */
export interface AcceptAllResult {
  accepted: number;
  /** lines left open: their bank reference was recorded meanwhile, or an invoice's outstanding changed */
  conflicts: { line_id: number; row_number: number; code: string; payment_id?: number | null }[];
  /** open lines at that confidence with no customer: for a person */
  without_customer: number;
  /** open lines at that confidence with a customer this call did not try (it takes 1,000 at most): call again */
  remaining: number;
}

/** One invoice of an accept: what to put on it. */
export interface AllocationInput {
  invoice_id: number;
  amount: Money;
}

/** One customer's part of a line split across customers. */
export interface AcceptPart {
  customer_id: number;
  amount: Money;
  allocations: AllocationInput[];
}

/**
 * `POST /bank-statement-lines/{id}/accept`: nothing (the proposal as it is), a customer and its
 * allocations (`[]`: the money stays as the customer's credit), or the parts of a split.
 */
export type AcceptLineBody =
  Record<string, never> | { customer_id: number; allocations: AllocationInput[] } | { parts: AcceptPart[] };

/** How to read the file: a profile (a bank's code or a saved profile's name) and/or a corrected mapping. */
export interface ReadOptions {
  profile?: string | null;
  mapping?: StatementMapping | null;
}

export interface ImportOptions extends ReadOptions {
  /** save the mapping as a profile of this name */
  save_profile_as?: string | null;
  onUploadProgress?: (percent: number) => void;
}

// --- requests ------------------------------------------------------------------------------------------------
function statementForm(file: Blob, fileName: string, options: ImportOptions): FormData {
  const form = new FormData();
  form.append('file', file, fileName);
  if (options.profile?.trim()) form.append('profile', options.profile.trim());
  const mapping = cleanMapping(options.mapping);
  if (mapping) form.append('mapping', JSON.stringify(mapping));
  if (options.save_profile_as?.trim()) form.append('save_profile_as', options.save_profile_as.trim());
  return form;
}

/**
 * The mapping as the user left it: a header per field, and '' for a field left blank, which the
 * backend then does not read (a correction can take away a column the bank's profile found).
 * Null when it names no header at all.
 */
export function cleanMapping(mapping: StatementMapping | null | undefined): StatementMapping | null {
  if (!mapping) return null;
  const clean: StatementMapping = {};
  let named = false;
  for (const [field, header] of Object.entries(mapping)) {
    clean[field] = header?.trim() ? header : '';
    named ||= !!header?.trim();
  }
  return named ? clean : null;
}

function fileNameOf(file: Blob, fallback: string): string {
  return file instanceof File && file.name ? file.name : fallback;
}

/** Reads the file as the import would (profile, encoding, header row, mapping, the first lines); writes nothing. */
export async function previewStatement(file: Blob, options: ReadOptions = {}): Promise<StatementPreview> {
  const form = statementForm(file, fileNameOf(file, 'statement.csv'), options);
  const { data } = await http.post<StatementPreview>('/bank-statements/preview', form, { timeout: 120_000 });
  return data;
}

/** Imports the statement in one transaction; lines imported before count as duplicates. */
export async function importStatement(file: Blob, options: ImportOptions = {}): Promise<StatementImported> {
  const form = statementForm(file, fileNameOf(file, 'statement.csv'), options);
  const { data } = await http.post<StatementImported>('/bank-statements', form, {
    timeout: 300_000,
    onUploadProgress: uploadProgress(options.onUploadProgress),
  });
  return data;
}

export function listStatements(params: PageParams = {}): Promise<Page<StatementListItem>> {
  return getQuery('/bank-statements', params);
}

export function getStatement(id: number): Promise<StatementDetail> {
  return getData(`/bank-statements/${id}`);
}

export function listStatementLines(id: number, params: StatementLineParams = {}): Promise<StatementLinePage> {
  return getQuery(`/bank-statements/${id}/lines`, params);
}

/** Accepts every open line of the statement at `confidence` or above. */
export function acceptStatement(id: number, confidence: Confidence): Promise<AcceptAllResult> {
  return postData(`/bank-statements/${id}/accept`, { confidence });
}

/** Accepts one line: as proposed (no body), for a customer with its allocations, or split across customers. */
export function acceptLine(id: number, body: AcceptLineBody = {}): Promise<StatementLine> {
  return postData(`/bank-statement-lines/${id}/accept`, body);
}

/** Undoes an accepted line: its allocations reversed, its payment voided, the line open again. */
export function undoLine(id: number, reason: string): Promise<StatementLine> {
  return postData(`/bank-statement-lines/${id}/undo`, { reason: reason.trim() });
}

export function getStatementReport(id: number): Promise<StatementReport> {
  return getData(`/bank-statements/${id}/report`);
}

/** The report with every line, as an xlsx. */
export async function downloadStatementReport(id: number): Promise<DownloadedFile> {
  const response = await http.get<Blob>(`/bank-statements/${id}/report.xlsx`, blobRequest());
  return toDownloadedFile(response, `bank-statement-${id}-report.xlsx`);
}

/** The built-in bank profiles and the saved mappings. */
export function listProfiles(): Promise<{ items: BankProfileInfo[]; fields: string[] }> {
  return getData('/bank-statement-profiles');
}

/** Deletes a saved mapping (soft delete, audited with the reason); 404 for an unknown or deleted one. */
export function deleteProfile(id: number, reason: string): Promise<BankProfileInfo> {
  return deleteData(`/bank-statement-profiles/${id}`, reason);
}
