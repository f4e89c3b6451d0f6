/**
 * Data sources (`/data-sources…`): vendor adapters and their settings, customer account
 * mappings, health checks and usage file uploads.
 *
 * The types mirror the backend's OpenAPI schemas of the same names
 * (backend/opcms/usage/sources_schemas.py). Secrets go one way only: a request may set them, no
 * answer carries them (`secret_names` lists the keys that are set, never a value).
 */
import http, { collection, deleteData, getData, getQuery, postData } from './http';
import type { IsoDateTime, Page } from './types';
import { uploadProgress, type PageParams } from './params';
import type { ExecutionPublic } from './jobs';

/** The built-in adapters (backend `usage/adapters`); others may be registered there. */
export const BUILTIN_ADAPTERS = ['demo', 'file', 'http_json'] as const;

/** Schema `DataSourcePublic`. */
export interface DataSourcePublic {
  id: number;
  name: string;
  adapter: string;
  settings: Record<string, unknown>;
  /** the names of the secrets that are set (values are never answered) */
  secret_names: string[];
  /** false when the stored secrets were encrypted under another OPCMS_SECRET_KEY */
  secrets_readable: boolean;
  is_enabled: boolean;
  timeout_seconds: number;
  remark: string | null;
  /** live customer account mappings */
  accounts: number;
  created_at: IsoDateTime;
  updated_at: IsoDateTime;
  created_by: string | null;
  updated_by: string | null;
}

/** Schema `DataSourcePage`. */
export type DataSourcePage = Page<DataSourcePublic>;

/** Schema `DataSourceCreate`. */
export interface DataSourceCreate {
  name: string;
  /** a registered adapter: demo, file, http_json, … */
  adapter: string;
  /** the adapter's settings (checked by the adapter) */
  settings?: Record<string, unknown>;
  /** credentials, encrypted at rest, never answered */
  secrets?: Record<string, string>;
  is_enabled?: boolean;
  /** 1..600 seconds one vendor call may take */
  timeout_seconds?: number;
  remark?: string | null;
}

/**
 * Schema `DataSourceUpdate`: only the fields sent change. `settings` replaces the settings as a
 * whole; `secrets` is merged key by key (a value sets it, null removes it, an absent key is kept).
 */
export interface DataSourceUpdate {
  settings?: Record<string, unknown> | null;
  secrets?: Record<string, string | null> | null;
  is_enabled?: boolean | null;
  timeout_seconds?: number | null;
  remark?: string | null;
}

export interface DataSourceListParams extends PageParams {
  /** part of the name */
  q?: string | null;
  adapter?: string | null;
  is_enabled?: boolean | null;
}

/** Schema `HealthPublic`. */
export interface HealthPublic {
  ok: boolean;
  detail: string;
  latency_ms: number | null;
}

/** Schema `AccountMappingPublic`. */
export interface AccountMappingPublic {
  id: number;
  source_id: number;
  customer_id: number;
  customer_code: string;
  company_name: string;
  customer_status: string;
  external_account: string;
  created_at: IsoDateTime;
  created_by: string | null;
}

/** Schema `AccountMappingPage`. */
export type AccountMappingPage = Page<AccountMappingPublic>;

/** Schema `AccountMappingCreate`. */
export interface AccountMappingCreate {
  customer_id: number;
  /** the account id the vendor uses for this customer */
  external_account: string;
}

export interface AccountMappingListParams extends PageParams {
  customer_id?: number | null;
  /** part of the external account, customer code or name */
  q?: string | null;
}

export function listDataSources(params: DataSourceListParams = {}): Promise<DataSourcePage> {
  return getQuery('/data-sources', params);
}

const dataSources = collection<DataSourcePublic, DataSourceCreate, DataSourceUpdate>('/data-sources');
export const getDataSource = dataSources.get;
/** 422 naming the field when the adapter refuses the settings or secrets. */
export const createDataSource = dataSources.create;
export const updateDataSource = dataSources.update;
/** Soft delete; 409 while customer accounts are mapped to it. */
export const deleteDataSource = dataSources.remove;

/** Asks the vendor whether it answers (a broken config is `ok: false`, not an error). */
export function checkDataSourceHealth(id: number): Promise<HealthPublic> {
  return getData(`/data-sources/${id}/health`, { timeout: 660_000 });
}

export function listSourceAccounts(
  sourceId: number,
  params: AccountMappingListParams = {},
): Promise<AccountMappingPage> {
  return getQuery(`/data-sources/${sourceId}/accounts`, params);
}

/** 409 naming the customer that already has the account. */
export function addSourceAccount(
  sourceId: number,
  body: AccountMappingCreate,
): Promise<AccountMappingPublic> {
  return postData(`/data-sources/${sourceId}/accounts`, {
    customer_id: body.customer_id,
    external_account: body.external_account.trim(),
  });
}

export function removeSourceAccount(
  sourceId: number,
  mappingId: number,
  reason?: string,
): Promise<AccountMappingPublic> {
  return deleteData(`/data-sources/${sourceId}/accounts/${mappingId}`, reason);
}

/**
 * Uploads a usage file (CSV or .xlsx: account, metric, day, quantity) to a `file` source; it is
 * ingested at once and answered as one `usage.upload` execution (201).
 */
export async function uploadUsageFile(
  sourceId: number,
  file: Blob,
  options: { fileName?: string; onUploadProgress?: (percent: number) => void } = {},
): Promise<ExecutionPublic> {
  const form = new FormData();
  form.append('file', file, options.fileName ?? (file instanceof File ? file.name : 'usage.csv'));
  const { data } = await http.post<ExecutionPublic>(`/data-sources/${sourceId}/uploads`, form, {
    timeout: 300_000,
    onUploadProgress: uploadProgress(options.onUploadProgress),
  });
  return data;
}
