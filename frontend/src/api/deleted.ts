import { getData, getQuery, postData } from './http';
import { cleanParams, type PageParams } from './params';
import type { IsoDateTime, Page } from './types';

/**
 * The deleted records page: soft-deleted records of every kind (`deleted:read`: admins and
 * auditors), restored by admins (`deleted:restore`). See docs/deleted-records.md.
 */

/** The kinds of record the product soft-deletes (the audit log's entity types of their rows). */
export const DELETED_KINDS = [
  'customer',
  'usage_metric',
  'pricing_plan',
  'subscription',
  'data_source',
  'customer_source_account',
  'notification_channel',
  'notification_template',
  'alert_rule',
  'user',
  'bank_statement_profile',
] as const;
export type DeletedKind = (typeof DELETED_KINDS)[number];

/** Schema `DeletedKindPublic`. */
export interface DeletedKindPublic {
  kind: DeletedKind;
  /** how many records of the kind are deleted */
  count: number;
  /** true: deleting frees the code/name (a restore may meet a conflict); false: it stays taken */
  codes_freed: boolean;
  unique_fields: string[];
}

/** Schema `DeletedKindList`. */
export interface DeletedKindList {
  items: DeletedKindPublic[];
}

/** Schema `DeletedRecordPublic`. */
export interface DeletedRecordPublic {
  kind: DeletedKind;
  id: number;
  /** the record's code and/or name */
  label: string;
  deleted_at: IsoDateTime | null;
  deleted_by: string | null;
  /** why it was deleted ('' when nothing was said) */
  reason: string;
  /** the row as it was, secrets masked `***` */
  record: Record<string, unknown>;
}

export type DeletedRecordPage = Page<DeletedRecordPublic>;

/** Query of `GET /deleted-records`. */
export interface DeletedRecordParams extends PageParams {
  entity: DeletedKind;
  /** text in the record's code or name */
  q?: string;
  deleted_by?: string;
  /** `deleted_at`, `deleted_by`, `id`, or `-` before one */
  sort?: string | null;
}

/** The kinds with how many of each are deleted. */
export function listDeletedKinds(): Promise<DeletedKindList> {
  return getData('/deleted-records/kinds');
}

/** The deleted records of one kind, last deleted first. */
export function listDeletedRecords(params: DeletedRecordParams): Promise<DeletedRecordPage> {
  return getQuery('/deleted-records', cleanParams(params));
}

/**
 * Brings a deleted record back (admins). 409 `not_deleted`, `restore_conflict` (its freed code or
 * name was taken again since), `restore_parent_deleted` (what it hangs on is still deleted) or a
 * domain's own conflict (`subscription_overlap`), each with a message saying why.
 */
export function restoreDeletedRecord(kind: DeletedKind, id: number): Promise<DeletedRecordPublic> {
  return postData(`/deleted-records/${kind}/${id}/restore`);
}
