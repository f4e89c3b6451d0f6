/**
 * Customers and their dictionaries (`/customers…`, `/dictionaries/{kind}`).
 *
 * The types mirror the backend's OpenAPI schemas of the same names (backend/opcms/customers/schemas.py).
 * Money (`credit_limit`) travels as a decimal string ("1234.50") and stays a string here: it is
 * never turned into a JS number (see `src/utils/money.ts` for display and input checks).
 */
import http, { collection, getData, postData } from './http';
import { blobRequest, toDownloadedFile, type DownloadedFile } from './download';
import { cleanParams } from './params';
import type { IsoDate, IsoDateTime, Money, Page } from './types';
import type { ChurnLevel, CustomerScoreFields, Lifecycle, ValueTier } from '@/types/analytics';

export const CUSTOMER_STATUSES = ['prospect', 'trial', 'active', 'suspended', 'closed'] as const;
export type CustomerStatus = (typeof CUSTOMER_STATUSES)[number];

/** Schema `CustomerPublic`, with the latest scores of the nightly scoring (`@/types/analytics`). */
export interface CustomerPublic extends CustomerScoreFields {
  id: number;
  customer_code: string;
  company_name: string;
  short_name: string | null;
  credit_code: string | null;
  industry: string | null;
  level: string | null;
  status: CustomerStatus;
  owner_id: number | null;
  /** display name of the owner (not required by the schema: older replies lack it) */
  owner_name?: string | null;
  contact_name: string | null;
  contact_phone: string | null;
  contact_email: string | null;
  province: string | null;
  city: string | null;
  address: string | null;
  signed_at: IsoDate | null;
  contract_end_at: IsoDate | null;
  payment_terms_days: number;
  credit_limit: Money;
  remark: string | null;
  created_at: IsoDateTime;
  updated_at: IsoDateTime;
  created_by: string | null;
  updated_by: string | null;
  is_deleted: boolean;
  deleted_at: IsoDateTime | null;
  deleted_by: string | null;
}

/** Schema `StatusHistoryPublic`. */
export interface StatusHistoryPublic {
  from_status: CustomerStatus | null;
  to_status: CustomerStatus;
  reason: string;
  actor: string;
  changed_at: IsoDateTime;
}

/** Schema `AuditEntry`. */
export interface AuditEntry {
  occurred_at: IsoDateTime;
  actor: string;
  action: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  message: string;
}

/** Schema `CustomerDetail`. */
export interface CustomerDetail extends CustomerPublic {
  status_history: StatusHistoryPublic[];
  audit_trail: AuditEntry[];
}

/** Schema `CustomerPage`. */
export type CustomerPage = Page<CustomerPublic>;

/** The 18 profile fields (minus code, name, status, terms and limit) plus the remark. */
export interface CustomerFields {
  short_name?: string | null;
  credit_code?: string | null;
  /** dictionary code, Chinese label or synonym */
  industry?: string | null;
  /** dictionary code, Chinese label or synonym */
  level?: string | null;
  owner_id?: number | null;
  contact_name?: string | null;
  contact_phone?: string | null;
  contact_email?: string | null;
  province?: string | null;
  city?: string | null;
  address?: string | null;
  signed_at?: IsoDate | null;
  contract_end_at?: IsoDate | null;
  remark?: string | null;
}

/** Schema `CustomerCreate`. */
export interface CustomerCreate extends CustomerFields {
  customer_code: string;
  company_name: string;
  status?: CustomerStatus;
  payment_terms_days?: number;
  credit_limit?: Money;
}

/** Schema `CustomerUpdate`: partial, only the fields sent change; status moves through `/status`. */
export interface CustomerUpdate extends CustomerFields {
  customer_code?: string | null;
  company_name?: string | null;
  payment_terms_days?: number | null;
  credit_limit?: Money | null;
}

/** Schema `StatusChange`. */
export interface StatusChange {
  status: CustomerStatus;
  /** 1..255 characters */
  reason: string;
}

export const BATCH_ACTIONS = ['assign_owner', 'change_level', 'change_status', 'soft_delete'] as const;
export type BatchActionName = (typeof BATCH_ACTIONS)[number];

/** Schema `BatchAction`: all or nothing. */
export interface BatchAction {
  action: BatchActionName;
  /** 1..1000 ids */
  customer_ids: number[];
  /** assign_owner */
  owner_id?: number | null;
  /** change_level */
  level?: string | null;
  /** change_status (needs a reason) */
  status?: CustomerStatus | null;
  reason?: string;
}

/** Schema `BatchResult`. */
export interface BatchResult {
  action: string;
  affected: number;
}

/** Schema `DictionaryKind`. */
export type DictionaryKind = 'industry' | 'level';

/** Schema `DictionaryEntryPublic`. */
export interface DictionaryEntryPublic {
  id: number;
  kind: DictionaryKind;
  code: string;
  /** the Chinese label */
  label: string;
  /** the English label; '' when not translated (show `label`) */
  label_en: string;
  synonyms: string[];
  sort_order: number;
  is_active: boolean;
}

/** Schema `DictionaryList`. */
export interface DictionaryList {
  items: DictionaryEntryPublic[];
}

/** The list filters (query parameters of `GET /customers`, `/customers/deleted`, `/customers/export`). */
export interface CustomerFilters {
  /** code, name, short name, contact or phone */
  keyword?: string | null;
  status?: CustomerStatus | null;
  level?: string | null;
  industry?: string | null;
  /** 0 = customers without an owner */
  owner_id?: number | null;
  province?: string | null;
  city?: string | null;
  signed_from?: IsoDate | null;
  signed_to?: IsoDate | null;
  contract_ending_within_days?: number | null;
  value_tier?: ValueTier | null;
  lifecycle?: Lifecycle | null;
  churn_level?: ChurnLevel | null;
  /** 0..100, both ends included */
  credit_score_min?: number | null;
  credit_score_max?: number | null;
}

export interface CustomerListParams extends CustomerFilters {
  page?: number;
  /** ≤ 200 */
  page_size?: number;
  /** a field, or `-field` for descending (see `SORTABLE_FIELDS`) */
  sort?: string | null;
}

/** `SORTABLE` of the backend's customer schemas. */
export const SORTABLE_FIELDS = [
  'id',
  'customer_code',
  'company_name',
  'status',
  'level',
  'industry',
  'province',
  'signed_at',
  'contract_end_at',
  'credit_limit',
  'created_at',
  'updated_at',
  'churn_score',
  'credit_score',
] as const;

const FILTER_KEYS: readonly (keyof CustomerFilters)[] = [
  'keyword',
  'status',
  'level',
  'industry',
  'owner_id',
  'province',
  'city',
  'signed_from',
  'signed_to',
  'contract_ending_within_days',
  'value_tier',
  'lifecycle',
  'churn_level',
  'credit_score_min',
  'credit_score_max',
];
const PAGE_KEYS: readonly (keyof CustomerListParams)[] = ['page', 'page_size', 'sort'];

/**
 * Query parameters for the backend, which refuses unknown parameters (422): only known keys
 * are copied; strings are trimmed; `undefined`, `null` and blank values are left out.
 */
export function toQueryParams(
  params: CustomerListParams,
  withPaging = true,
): Record<string, string | number> {
  const keys = withPaging ? [...FILTER_KEYS, ...PAGE_KEYS] : FILTER_KEYS;
  return cleanParams(Object.fromEntries(keys.map((key) => [key, params[key]])));
}

export function listCustomers(params: CustomerListParams = {}): Promise<CustomerPage> {
  return getData('/customers', { params: toQueryParams(params) });
}

/** Soft-deleted customers with who deleted them and when (`customers_deleted:read`). */
export function listDeletedCustomers(params: CustomerListParams = {}): Promise<CustomerPage> {
  return getData('/customers/deleted', { params: toQueryParams(params) });
}

/**
 * One customer with its history. A soft-deleted one answers 404 unless `includeDeleted`, which
 * needs `customers_deleted:read` (a 403 without it): pass it only for a user who holds it.
 */
export function getCustomer(id: number, includeDeleted = false): Promise<CustomerDetail> {
  return getData(`/customers/${id}`, includeDeleted ? { params: { include_deleted: true } } : undefined);
}

const customers = collection<CustomerPublic, CustomerCreate, CustomerUpdate>('/customers');
export const createCustomer = customers.create;
export const updateCustomer = customers.update;
/** Soft delete; the optional reason goes to the audit log. */
export const deleteCustomer = customers.remove;

/** `customers:restore`; 409 when its code or name is live again. */
export function restoreCustomer(id: number): Promise<CustomerPublic> {
  return postData(`/customers/${id}/restore`);
}

/** 409 `illegal_status_transition` when the status machine forbids the move. */
export function changeCustomerStatus(id: number, body: StatusChange): Promise<CustomerPublic> {
  return postData(`/customers/${id}/status`, body);
}

/** Sends only the argument the action needs (the backend forbids unknown fields, not extra nulls, but keep it tidy). */
export function batchBody(action: BatchAction): BatchAction {
  const body: BatchAction = { action: action.action, customer_ids: [...new Set(action.customer_ids)] };
  if (action.action === 'assign_owner') body.owner_id = action.owner_id ?? null;
  if (action.action === 'change_level') body.level = action.level ?? null;
  if (action.action === 'change_status') body.status = action.status ?? null;
  const reason = action.reason?.trim();
  if (reason) body.reason = reason;
  return body;
}

export function runBatch(action: BatchAction): Promise<BatchResult> {
  return postData('/customers/batch', batchBody(action));
}

export function listDictionary(kind: DictionaryKind): Promise<DictionaryList> {
  return getData(`/dictionaries/${kind}`);
}

/** The customers matching the filters (all pages) as an .xlsx file. */
export async function exportCustomers(filters: CustomerFilters = {}): Promise<DownloadedFile> {
  const response = await http.get<Blob>(
    '/customers/export',
    blobRequest({ params: toQueryParams(filters, false) }),
  );
  return toDownloadedFile(response, 'customers.xlsx');
}
