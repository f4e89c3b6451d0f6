/**
 * Usage (`/usage-records`, `/usage-anomalies…`, `/usage/pulls…`).
 *
 * The types mirror the backend's OpenAPI schemas of the same names (backend/opcms/usage/schemas.py).
 * Quantities are decimal strings ("1234.5000") and stay strings; a vendor's raw values
 * (`raw_quantity`, `raw_day`) are the text it sent.
 */
import { getData, getQuery, postData } from './http';
import type { Decimal, IsoDate, IsoDateTime, Page } from './types';
import { type PageParams } from './params';
import type { ExecutionPublic, ExecutionStatus } from './jobs';

// --- usage records ---------------------------------------------------------------------------------
/** Schema `UsageRecordPublic`. */
export interface UsageRecordPublic {
  id: number;
  customer_id: number;
  customer_code: string;
  company_name: string;
  metric_id: number;
  /** metric code */
  metric: string;
  usage_day: IsoDate;
  source_id: number;
  quantity: Decimal;
  /** written into an already invoiced period */
  is_late: boolean;
  late_at: IsoDateTime | null;
  anomaly_id: number | null;
  execution_id: number | null;
  updated_at: IsoDateTime;
}

/** Schema `UsageRecordPage`. */
export type UsageRecordPage = Page<UsageRecordPublic>;

export interface UsageRecordListParams extends PageParams {
  customer_id?: number | null;
  /** metric code */
  metric?: string | null;
  source_id?: number | null;
  day_from?: IsoDate | null;
  day_to?: IsoDate | null;
  /** only late usage */
  late?: boolean | null;
}

/** `DailyUsageQuery`: at most this many days (`day_to - day_from < 366`). */
export const MAX_DAILY_USAGE_DAYS = 366;

/** Schema `DailyUsage`: one customer's billable usage of a day and metric, all sources together. */
export interface DailyUsage {
  usage_day: IsoDate;
  /** metric code */
  metric: string;
  quantity: Decimal;
}

/** Schema `DailyUsageList`. */
export interface DailyUsageList {
  customer_id: number;
  items: DailyUsage[];
}

/** Schema `DailyUsageQuery`: all three are required, `day_from` ≤ `day_to`, at most 366 days. */
export interface DailyUsageParams {
  customer_id: number;
  day_from: IsoDate;
  day_to: IsoDate;
}

// --- anomalies -------------------------------------------------------------------------------------------
export const ANOMALY_KINDS = [
  'unknown_account',
  'unknown_metric',
  'invalid_quantity',
  'negative_quantity',
  'day_outside_request',
  'spike',
] as const;
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];
export const ANOMALY_STATUSES = ['open', 'accepted', 'corrected', 'rejected'] as const;
export type AnomalyStatus = (typeof ANOMALY_STATUSES)[number];
export const REVIEW_ACTIONS = ['accept', 'correct', 'reject'] as const;
export type ReviewAction = (typeof REVIEW_ACTIONS)[number];
/** `MAX_BATCH` of the backend's review. */
export const MAX_REVIEW_BATCH = 500;

/** Schema `AnomalyPublic`. */
export interface AnomalyPublic {
  id: number;
  source_id: number;
  kind: AnomalyKind;
  status: AnomalyStatus;
  external_account: string;
  metric_code: string;
  /** the day as the vendor sent it */
  raw_day: string;
  /** the quantity as the vendor sent it */
  raw_quantity: string;
  customer_id: number | null;
  /** the customer's code and name, when the account is mapped */
  customer_code: string | null;
  company_name: string | null;
  metric_id: number | null;
  usage_day: IsoDate | null;
  quantity: Decimal | null;
  detail: string;
  corrected_quantity: Decimal | null;
  resolution_reason: string | null;
  resolved_by: string | null;
  resolved_at: IsoDateTime | null;
  execution_id: number | null;
  created_at: IsoDateTime;
  updated_at: IsoDateTime;
}

/** Schema `AnomalyPage`. */
export type AnomalyPage = Page<AnomalyPublic>;

export interface AnomalyListParams extends PageParams {
  /** the backend lists open anomalies when this is left out; `all` lists every status */
  status?: AnomalyStatus | 'all' | null;
  kind?: AnomalyKind | null;
  source_id?: number | null;
  customer_id?: number | null;
  day_from?: IsoDate | null;
  day_to?: IsoDate | null;
}

/** Schema `AnomalyReview`: all or nothing. */
export interface AnomalyReview {
  /** 1..500 ids */
  ids: number[];
  action: ReviewAction;
  /** the corrected quantity (correct only) */
  quantity?: Decimal | null;
  /** required to correct or reject */
  reason?: string | null;
}

/** Schema `AnomalyReviewResult`. */
export interface AnomalyReviewResult {
  action: ReviewAction;
  affected: number;
  /** usage records written (accept and correct) */
  written: number;
}

// --- pulls (task executions) ----------------------------------------------------------------------------
/** Schema `PullRequest`: one day, or a back-fill from `first_day` to `last_day` (inclusive). */
export interface PullRequest {
  day?: IsoDate | null;
  first_day?: IsoDate | null;
  last_day?: IsoDate | null;
  /** one data source by name; all enabled sources when empty */
  source?: string | null;
}

/** Schema `ExecutionPage`. */
export type ExecutionPage = Page<ExecutionPublic>;

export interface PullListParams extends PageParams {
  status?: ExecutionStatus | null;
}

/** The body of a pull: `{day}` for one day, `{first_day, last_day}` for a range (a one-day range is sent as `day`). */
export function pullBody(
  first: IsoDate,
  last: IsoDate | null | undefined,
  source?: string | null,
): PullRequest {
  const body: PullRequest = !last || last === first ? { day: first } : { first_day: first, last_day: last };
  const name = source?.trim();
  if (name) body.source = name;
  return body;
}

/** Only what the action takes: a quantity for a correction, a reason when one was given. */
export function reviewBody(review: AnomalyReview): AnomalyReview {
  const body: AnomalyReview = { ids: [...new Set(review.ids)], action: review.action };
  if (review.action === 'correct') body.quantity = review.quantity?.trim() || null;
  const reason = review.reason?.trim();
  if (reason) body.reason = reason;
  return body;
}

// --- requests ---------------------------------------------------------------------------------------------
export function listUsageRecords(params: UsageRecordListParams = {}): Promise<UsageRecordPage> {
  return getQuery('/usage-records', params);
}

/** A customer's usage per day and metric (for charts); 422 for a reversed or too long range. */
export function getDailyUsage(params: DailyUsageParams): Promise<DailyUsageList> {
  return getQuery('/usage-records/daily', params);
}

export function listAnomalies(params: AnomalyListParams = {}): Promise<AnomalyPage> {
  return getQuery('/usage-anomalies', params);
}

/** 404 for an unknown id, 409 `usage_anomaly_reviewed` when one is no longer open, 422 for a missing reason/quantity. */
export function reviewAnomalies(review: AnomalyReview): Promise<AnomalyReviewResult> {
  return postData('/usage-anomalies/actions', reviewBody(review));
}

/** Queues a pull (202): resolves to the pending execution. */
export function requestPull(body: PullRequest): Promise<ExecutionPublic> {
  return postData('/usage/pulls', body);
}

export function listPulls(params: PullListParams = {}): Promise<ExecutionPage> {
  return getQuery('/usage/pulls', params);
}

export function getPull(id: number): Promise<ExecutionPublic> {
  return getData(`/usage/pulls/${id}`);
}
