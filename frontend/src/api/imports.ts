/**
 * Excel import of customer lists (`/imports…`, DESIGN §4 and §14).
 *
 * All import shapes live in this one file; they mirror the schemas of the backend's
 * `opcms.imports` package (`ImportReport`, `RowErrorOut`, `ImportSummary`, `ImportDetail`,
 * `ImportPage`). Replies are read defensively (`normalizeImport`, `normalizeReport`), so a
 * missing or renamed extra field does not break the page.
 *
 *   POST /imports/customers  multipart `file` + `mode`  -> 200 the finished import with its report
 *                            (small file) | 202 the queued import (large file: poll it)
 *   GET  /imports/{id}       -> status pending|running|succeeded|failed, stage, processed/total,
 *                               written, and the report once done
 *   GET  /imports            -> the list of past imports
 *   GET  /imports/{id}/errors.xlsx, GET /imports/template.xlsx -> downloads
 */
import http from './http';
import { blobRequest, toDownloadedFile, type DownloadedFile } from './download';
import type { Page } from './types';
import { uploadProgress } from './params';

export const IMPORT_MODES = ['validate', 'create', 'upsert'] as const;
export type ImportMode = (typeof IMPORT_MODES)[number];

export type ImportStatus = 'pending' | 'running' | 'succeeded' | 'failed';
export const FINISHED_STATUSES: readonly ImportStatus[] = ['succeeded', 'failed'];

/** `reading`: `processed` of `total` rows read and checked; `writing`: `written` of created + updated. */
export type ImportStage = 'queued' | 'reading' | 'writing' | 'done';

/** Schema `RowErrorOut`: one problem of one row; `row` is the Excel row number as finance sees it. */
export interface ImportRowError {
  row: number;
  /** the column's header as written in the file */
  column: string;
  /** the cell as read */
  value: string | null;
  reason: string;
}

/** Schema `ImportReport` (API and CLI, DESIGN §14). */
export interface ImportReport {
  /** rows below the header: created + updated + unchanged + skipped_blank + failed */
  total: number;
  created: number;
  updated: number;
  /** upsert found nothing to change */
  unchanged: number;
  skipped_blank: number;
  failed: number;
  errors: ImportRowError[];
  /** headers of the file that are not customer columns */
  ignored_columns: string[];
}

/** Schema `ImportSummary`: one kept import (items of `GET /imports`). */
export interface ImportSummary {
  id: number;
  file_name: string;
  file_size: number;
  mode: ImportMode;
  status: ImportStatus;
  stage: ImportStage;
  /** run by a worker (files over OPCMS_IMPORT_SYNC_ROWS rows) */
  background: boolean;
  total: number;
  /** rows read and checked so far (of total) */
  processed: number;
  /** rows written so far (of created + updated) */
  written: number;
  created: number;
  updated: number;
  unchanged: number;
  skipped_blank: number;
  failed: number;
  error_code: string | null;
  error_message: string | null;
  created_by: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

/** Schema `ImportDetail` (`GET /imports/{id}`): the report is present once the import has succeeded. */
export interface ImportDetail extends ImportSummary {
  report: ImportReport | null;
}

/** Schema `ImportPage`. */
export type ImportPage = Page<ImportSummary>;

/** Query of `GET /imports`. */
export interface ImportListParams {
  page?: number;
  page_size?: number;
  /** a field, or `-field` for descending */
  sort?: string;
  status?: ImportStatus;
  mode?: ImportMode;
  created_by?: string;
}

/** What `startImport` resolves to: the finished import (200) or the queued one to poll (202). */
export type ImportStart =
  | { kind: 'done'; id: number | null; record: ImportDetail | null; report: ImportReport }
  | { kind: 'queued'; id: number; record: ImportDetail };

const COUNT_KEYS = ['total', 'created', 'updated', 'unchanged', 'skipped_blank', 'failed'] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function count(value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isFinite(n) ? n : 0;
}

function text(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? value : String(value);
}

/** A report from whatever the backend sent (missing counts are 0, missing lists empty). */
export function normalizeReport(raw: unknown): ImportReport {
  const source = isRecord(raw) ? raw : {};
  const errors = Array.isArray(source.errors) ? source.errors.filter(isRecord) : [];
  return {
    total: count(source.total),
    created: count(source.created),
    updated: count(source.updated),
    unchanged: count(source.unchanged),
    skipped_blank: count(source.skipped_blank),
    failed: count(source.failed),
    errors: errors.map((e) => ({
      row: count(e.row),
      column: text(e.column) ?? '',
      value: text(e.value),
      reason: text(e.reason) ?? '',
    })),
    ignored_columns: Array.isArray(source.ignored_columns)
      ? source.ignored_columns.map((c) => String(c))
      : [],
  };
}

function hasReportCounts(raw: Record<string, unknown>): boolean {
  return COUNT_KEYS.every((key) => key in raw) && Array.isArray(raw.errors);
}

const STRING_FIELDS = ['file_name', 'created_by', 'created_at'] as const;
const NULLABLE_FIELDS = ['error_code', 'error_message', 'started_at', 'finished_at'] as const;

/** An import as the page uses it, read defensively (missing counts 0, report nested or flat). */
export function normalizeImport(raw: unknown): ImportDetail {
  const source = isRecord(raw) ? raw : {};
  const status =
    (['pending', 'running', 'succeeded', 'failed'] as const).find((s) => s === source.status) ?? 'pending';
  const stage =
    (['queued', 'reading', 'writing', 'done'] as const).find((s) => s === source.stage) ??
    (status === 'pending' ? 'queued' : 'reading');
  const nested = isRecord(source.report) ? source.report : null;
  const flatReport = FINISHED_STATUSES.includes(status) && hasReportCounts(source);
  const record: ImportDetail = {
    id: count(source.id ?? source.import_id),
    file_name: '',
    file_size: count(source.file_size),
    mode: (IMPORT_MODES.find((m) => m === source.mode) ?? 'validate') as ImportMode,
    status,
    stage,
    background: source.background === true,
    total: count(source.total),
    processed: count(source.processed),
    written: count(source.written),
    created: count(source.created),
    updated: count(source.updated),
    unchanged: count(source.unchanged),
    skipped_blank: count(source.skipped_blank),
    failed: count(source.failed),
    error_code: null,
    error_message: null,
    created_by: '',
    created_at: '',
    started_at: null,
    finished_at: null,
    report: nested ? normalizeReport(nested) : flatReport ? normalizeReport(source) : null,
  };
  for (const key of STRING_FIELDS) record[key] = text(source[key]) ?? '';
  for (const key of NULLABLE_FIELDS) record[key] = text(source[key]);
  return record;
}

export function importId(reply: Record<string, unknown>): number | null {
  const id = reply.id ?? reply.import_id;
  return id === undefined || id === null ? null : count(id);
}

/** Uploads an .xlsx file; resolves to the report (200) or to the queued import's id (202). */
export async function startImport(
  file: Blob,
  mode: ImportMode,
  options: { fileName?: string; onUploadProgress?: (percent: number) => void } = {},
): Promise<ImportStart> {
  const form = new FormData();
  const name = options.fileName ?? (file instanceof File ? file.name : 'customers.xlsx');
  form.append('file', file, name);
  form.append('mode', mode);
  const response = await http.post<ImportDetail>('/imports/customers', form, {
    // large workbooks can take a while to validate synchronously
    timeout: 300_000,
    onUploadProgress: uploadProgress(options.onUploadProgress),
  });
  const data: Record<string, unknown> = isRecord(response.data) ? response.data : {};
  const id = importId(data);
  if (response.status === 202) {
    if (id === null) throw new Error('the import was queued without an id');
    return { kind: 'queued', id, record: normalizeImport(data) };
  }
  // the report nested under `report` (ImportDetail), or flat in the reply
  const report = normalizeReport(isRecord(data.report) ? data.report : data);
  return {
    kind: 'done',
    id,
    record: id === null ? null : normalizeImport({ status: 'succeeded', ...data }),
    report,
  };
}

export async function getImport(id: number): Promise<ImportDetail> {
  const { data } = await http.get<ImportDetail>(`/imports/${id}`);
  return normalizeImport(data);
}

export async function listImports(params: ImportListParams = {}): Promise<ImportPage> {
  const { data } = await http.get<ImportPage>('/imports', { params });
  const items = Array.isArray(data?.items) ? data.items.map(normalizeImport) : [];
  return {
    items,
    total: count(data?.total ?? items.length),
    page: count(data?.page ?? 1),
    page_size: count(data?.page_size ?? items.length),
  };
}

/** The original rows of the failed lines plus an error column. */
export async function downloadImportErrors(id: number): Promise<DownloadedFile> {
  const response = await http.get<Blob>(`/imports/${id}/errors.xlsx`, blobRequest());
  return toDownloadedFile(response, `import-${id}-errors.xlsx`);
}

/** Headers, an example row and dropdowns for the dictionaries. */
export async function downloadImportTemplate(): Promise<DownloadedFile> {
  const response = await http.get<Blob>('/imports/template.xlsx', blobRequest());
  return toDownloadedFile(response, 'customer-import-template.xlsx');
}

/**
 * Progress in percent (0..100) of the current stage of an import, or null when unknown:
 * reading = processed / total rows, writing = written / (created + updated) rows.
 */
export function importProgress(
  record: Pick<ImportSummary, 'status' | 'stage' | 'total' | 'processed' | 'written' | 'created' | 'updated'>,
): number | null {
  if (record.status === 'succeeded' || record.stage === 'done') return 100;
  const [done, of] =
    record.stage === 'writing'
      ? [record.written, record.created + record.updated]
      : [record.processed, record.total];
  if (!of || of <= 0) return null;
  return Math.max(0, Math.min(100, Math.floor((done / of) * 100)));
}
