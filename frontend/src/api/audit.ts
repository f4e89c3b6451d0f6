/**
 * The audit log (`/audit-log…`, `audit:read`: auditors and admins).
 *
 * The types mirror backend/opcms/audit/schemas.py. The log is read a page at a time by keyset,
 * newest first: a page answers `next_cursor` (null on the last page), sent back as `cursor` for
 * the next one; there is no total (the log holds millions of rows).
 */
import http, { getData, getQuery } from './http';
import { blobRequest, toDownloadedFile, type DownloadedFile } from './download';
import { cleanParams } from './params';
import type { IsoDateTime } from './types';

/** The actions the log writes (`AuditAction` in backend/opcms/core/audit.py). */
export const AUDIT_ACTIONS = [
  'create',
  'update',
  'delete',
  'restore',
  'status_change',
  'login',
  'login_failed',
  'logout',
  'token_reuse',
  'import',
  'void',
  'allocate',
  'reverse',
  'retry',
  'batch_assign_owner',
  'batch_change_level',
  'batch_change_status',
  'batch_soft_delete',
] as const;
export type AuditActionName = (typeof AUDIT_ACTIONS)[number];

/** The entity types the log names (`ENTITY_TYPES` of the backend; also answered by `/audit-log/entity-types`). */
export const AUDIT_ENTITY_TYPES = [
  'alert_firing',
  'alert_rule',
  'allocation',
  'bank_payer_account',
  'bank_statement',
  'bank_statement_line',
  'bank_statement_profile',
  'credit_note',
  'customer',
  'customer_source_account',
  'data_source',
  'dictionary_entry',
  'invoice',
  'job_schedule',
  'notification',
  'notification_channel',
  'notification_template',
  'payment',
  'pricing_plan',
  'pricing_plan_version',
  'subscription',
  'task_execution',
  'usage_anomaly',
  'usage_metric',
  'usage_pull',
  'usage_upload',
  'user',
] as const;
export type AuditEntityType = (typeof AUDIT_ENTITY_TYPES)[number];

/** One entry (schema `AuditLogPublic`): `before`/`after` hold the changed fields only, secrets as `***`. */
export interface AuditEntry {
  id: number;
  occurred_at: IsoDateTime;
  actor: string;
  actor_user_id: number | null;
  action: string;
  entity_type: string;
  entity_id: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  message: string;
  request_id: string | null;
  client_ip: string | null;
}

/** The filters of the list and the export (schema `AuditLogFilter`). */
export interface AuditLogFilters {
  entity_type?: string | null;
  /** only with `entity_type` */
  entity_id?: string | null;
  actor?: string | null;
  action?: AuditActionName | null;
  request_id?: string | null;
  /** occurred at or after */
  since?: IsoDateTime | null;
  /** occurred before */
  until?: IsoDateTime | null;
}

export interface AuditLogParams extends AuditLogFilters {
  /** ≤ 200, default 50 */
  page_size?: number;
  /** the `next_cursor` of the previous page */
  cursor?: string | null;
  /** '-occurred_at' (default, newest first) or 'occurred_at' */
  sort?: '-occurred_at' | 'occurred_at' | null;
}

/** Schema `AuditLogPage`. */
export interface AuditLogPage {
  items: AuditEntry[];
  page_size: number;
  next_cursor: string | null;
}

export function listAuditLog(params: AuditLogParams = {}): Promise<AuditLogPage> {
  return getQuery('/audit-log', params);
}

export async function listAuditEntityTypes(): Promise<string[]> {
  return (await getData<{ items: string[] }>('/audit-log/entity-types')).items;
}

/** The filtered log as .xlsx (newest first; more than 50,000 entries is a 422 `audit_export_too_large`). */
export async function exportAuditLog(filters: AuditLogFilters = {}): Promise<DownloadedFile> {
  const response = await http.get<Blob>('/audit-log/export', blobRequest({ params: cleanParams(filters) }));
  return toDownloadedFile(response, 'audit-log.xlsx');
}
