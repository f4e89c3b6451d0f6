/**
 * The deleted records page's pieces that need no component: the kinds as options, the table's
 * columns, and a deleted row's fields as the drawer lists them.
 */
import type { TableColumnData } from '@arco-design/web-vue';
import type { LocationQuery } from 'vue-router';
import { DELETED_KINDS, type DeletedKind, type DeletedRecordPublic } from '@/api/deleted';
import { t } from '@/locale';
import { formatDateTime } from '@/utils/date';
import { actionsColumn, fieldColumn, slotColumn, textColumn, timeColumn } from '@/utils/columns';

/** A kind's name in the chosen language. */
export function kindLabel(kind: DeletedKind): string {
  return t(`deleted.kind.${kind}`);
}

/** The kind a link names (`?entity=pricing_plan`), else the first. */
export function kindFromQuery(query: LocationQuery): DeletedKind {
  const named = query.entity;
  return (DELETED_KINDS as readonly string[]).includes(String(named))
    ? (named as DeletedKind)
    : DELETED_KINDS[0];
}

export function deletedColumns(): TableColumnData[] {
  return [
    fieldColumn('ID', 'id', 80),
    slotColumn('deleted.field.label', 'label', 260),
    timeColumn('deleted.field.deletedAt', 'deletedAt', 'deleted_at', 180),
    fieldColumn('deleted.field.deletedBy', 'deleted_by', 140),
    textColumn('deleted.field.reason', 'reason', undefined, { slotName: 'reason' }),
    actionsColumn(150),
  ];
}

/** One field of the record as it was: its name and its value as text ('-' when empty). */
export interface RecordField {
  name: string;
  value: string;
}

/**
 * The record's fields in the order the backend sent them (its own fields, then who made and
 * changed it, then the delete), each value as text; an instant (`…_at`) in the browser's time zone.
 */
export function recordFields(row: Pick<DeletedRecordPublic, 'record'>): RecordField[] {
  return Object.entries(row.record).map(([name, value]) => ({
    name,
    value: name.endsWith('_at') && typeof value === 'string' ? formatDateTime(value) : valueText(value),
  }));
}

export function valueText(value: unknown): string {
  if (value === null || value === undefined || value === '') return '-';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** What a row is called in messages: its label, else `#id`. */
export function rowName(row: Pick<DeletedRecordPublic, 'label' | 'id'>): string {
  return row.label || `#${row.id}`;
}
