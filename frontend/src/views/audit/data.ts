/**
 * The audit log page's pure parts: the filter model and its URL and API forms, the labels of
 * actions and entity types, the columns, and the diff of an entry (the changed fields only, each
 * value formatted: amounts with separators, instants in the browser's time zone, secrets masked).
 */
import type { TableColumnData } from '@arco-design/web-vue';
import type { LocationQuery, LocationQueryRaw } from 'vue-router';
import {
  AUDIT_ACTIONS,
  AUDIT_ENTITY_TYPES,
  type AuditActionName,
  type AuditEntry,
  type AuditLogFilters,
} from '@/api/audit';
import { t } from '@/locale';
import type { Option } from '@/types/option';
import { fieldColumn, idColumn, slotColumn, timeColumn } from '@/utils/columns';
import { dayStart, formatDateTime } from '@/utils/date';
import { formatMoney } from '@/utils/money';
import {
  customerStatusLabel,
  invoiceStatusLabel,
  paymentMethodLabel,
  paymentStatusLabel,
} from '@/utils/status';
import { auditMessageText, recordFieldLabel, recordValueLabel } from '@/utils/record-labels';

// --- filters ---------------------------------------------------------------------------------------------
export interface AuditFilterModel {
  /** [from, to] as local days, both included */
  days: string[];
  actor: string;
  entity_type: string | undefined;
  entity_id: string;
  action: AuditActionName | undefined;
}

export function emptyAuditFilters(): AuditFilterModel {
  return { days: [], actor: '', entity_type: undefined, entity_id: '', action: undefined };
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function one(value: LocationQuery[string] | undefined): string {
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first.trim() : '';
}

/** The filters a link names (`/audit-log?entity_type=invoice&entity_id=12&since=2026-03-01`); the rest blank. */
export function filtersFromQuery(query: LocationQuery): AuditFilterModel {
  const model = emptyAuditFilters();
  const action = one(query.action);
  model.action = (AUDIT_ACTIONS as readonly string[]).includes(action)
    ? (action as AuditActionName)
    : undefined;
  model.entity_type = one(query.entity_type) || undefined;
  model.entity_id = model.entity_type ? one(query.entity_id) : '';
  model.actor = one(query.actor);
  const since = one(query.since).slice(0, 10);
  const until = one(query.until).slice(0, 10);
  if (DAY.test(since) && DAY.test(until) && since <= until) model.days = [since, until];
  return model;
}

/** The filters as the page's URL keeps them (blanks left out). */
export function filtersToQuery(model: AuditFilterModel): LocationQueryRaw {
  const query: LocationQueryRaw = {};
  if (model.entity_type) query.entity_type = model.entity_type;
  if (model.entity_type && model.entity_id.trim()) query.entity_id = model.entity_id.trim();
  if (model.actor.trim()) query.actor = model.actor.trim();
  if (model.action) query.action = model.action;
  const [since, until] = model.days ?? [];
  if (since && until) {
    query.since = since;
    query.until = until;
  }
  return query;
}

/** The start of the local day after `day`, as an ISO instant (the exclusive end of a range). */
export function dayAfter(day: string): string {
  const next = new Date(`${day}T00:00:00`);
  next.setDate(next.getDate() + 1);
  return next.toISOString();
}

/** The filters as the API's parameters: the days as [start of the first, start of the day after the last). */
export function auditFilterParams(model: AuditFilterModel): AuditLogFilters {
  const [since, until] = model.days ?? [];
  const entityId = model.entity_id.trim();
  return {
    entity_type: model.entity_type || null,
    entity_id: model.entity_type && entityId ? entityId : null,
    actor: model.actor.trim() || null,
    action: model.action ?? null,
    since: since ? dayStart(since) : null,
    until: until ? dayAfter(until) : null,
  };
}

/** Whether the entity id can be searched: an id only means something with its type. */
export function entityIdProblem(model: AuditFilterModel): string | null {
  return model.entity_id.trim() && !model.entity_type ? t('audit.filter.entityIdNeedsType') : null;
}

// --- labels ----------------------------------------------------------------------------------------------
function labelOr(key: string, fallback: string): string {
  const label = t(key);
  return label === key ? fallback : label;
}

export function actionLabel(action: string): string {
  return labelOr(`audit.action.${action}`, action);
}

export function entityTypeLabel(type: string): string {
  return labelOr(`audit.entity.${type}`, type);
}

export function actionOptions(): Option[] {
  return AUDIT_ACTIONS.map((value) => ({ value, label: actionLabel(value) }));
}

/** The known entity types (and any others the API lists), by label. */
export function entityTypeOptions(listed: readonly string[] = []): Option[] {
  const types = [...new Set([...AUDIT_ENTITY_TYPES, ...listed])];
  return types
    .map((value) => ({ value, label: entityTypeLabel(value) }))
    .sort((a, b) => a.label.localeCompare(b.label));
}

/** The page of a record of each type that has one (route names), for the entity cell's link. */
const RECORD_ROUTES: Record<string, string> = {
  customer: 'customer-detail',
  invoice: 'invoice-detail',
  payment: 'payment-detail',
  task_execution: 'job-execution',
};

/** Where an entry's record is shown, when its type has a page of its own and the entry names it. */
export function recordLocation(
  entry: Pick<AuditEntry, 'entity_type' | 'entity_id'>,
): { name: string; params: { id: string } } | null {
  const name = RECORD_ROUTES[entry.entity_type];
  return name && entry.entity_id && /^\d+$/.test(entry.entity_id)
    ? { name, params: { id: entry.entity_id } }
    : null;
}

const ACTION_COLORS: Record<string, string> = {
  create: 'green',
  update: 'arcoblue',
  delete: 'red',
  batch_soft_delete: 'red',
  restore: 'cyan',
  status_change: 'orange',
  void: 'red',
  login_failed: 'magenta',
  token_reuse: 'magenta',
  reverse: 'orangered',
  allocate: 'purple',
};

export function actionColor(action: string): string {
  return ACTION_COLORS[action] ?? 'gray';
}

export function auditColumns(): TableColumnData[] {
  return [
    idColumn(90),
    timeColumn('audit.field.occurredAt', 'occurred_at', 'occurred_at', 170),
    fieldColumn('audit.field.actor', 'actor', 150, { ellipsis: true, tooltip: true }),
    slotColumn('audit.field.action', 'action', 130),
    slotColumn('audit.field.entity', 'entity', 200),
    slotColumn('audit.field.changes', 'changes', 260, { ellipsis: true, tooltip: true }),
    slotColumn('audit.field.message', 'message', 200, {
      ellipsis: true,
      tooltip: true,
      render: ({ record }) => auditMessageText(record.message) || '-',
    }),
    fieldColumn('audit.field.clientIp', 'client_ip', 130),
    slotColumn('common.actions', 'actions', 90, { fixed: 'right' }),
  ];
}

// --- the diff of an entry --------------------------------------------------------------------------------
export const MASK = '***';

/** Bookkeeping fields every write changes: not listed as changes. */
const BOOKKEEPING = new Set(['updated_at', 'updated_by', 'created_at', 'created_by']);

export interface AuditChange {
  field: string;
  before: unknown;
  after: unknown;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/**
 * The fields an entry changed, with their values before and after: for an update, the fields
 * whose values differ; for a create, the fields given a value; for a delete or a status change,
 * what it wrote. A masked secret (`***` on both sides) still shows: it was changed.
 */
export function auditChanges(entry: Pick<AuditEntry, 'before' | 'after'>): AuditChange[] {
  const before = entry.before ?? {};
  const after = entry.after ?? {};
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return fields
    .filter((field) => !BOOKKEEPING.has(field))
    .filter((field) => {
      const was = before[field];
      const is = after[field];
      if (!entry.before) return is !== null && is !== undefined && is !== '';
      return !same(was, is) || isMasked(is);
    })
    .map((field) => ({ field, before: before[field] ?? null, after: after[field] ?? null }));
}

/** Whether a value is (or holds) a masked secret: `***`, or a URL whose credentials were masked. */
export function isMasked(value: unknown): boolean {
  return value === MASK || (typeof value === 'string' && value.includes('://***@'));
}

const AMOUNT = /^-?\d+\.\d{2}$/;
const QUANTITY = /^-?\d+\.\d{3,6}$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** The kind of a value, for its formatting and style. */
export type ValueKind = 'empty' | 'masked' | 'money' | 'number' | 'instant' | 'boolean' | 'json' | 'text';

export function valueKind(value: unknown): ValueKind {
  if (value === null || value === undefined || value === '') return 'empty';
  if (isMasked(value)) return 'masked';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'object') return 'json';
  const text = String(value);
  if (AMOUNT.test(text)) return 'money';
  if (QUANTITY.test(text)) return 'number';
  if (INSTANT.test(text)) return 'instant';
  return 'text';
}

/** A value as the diff shows it: amounts "1,234.50", instants local "2026-03-01 16:05:00", days as they are. */
export function formatAuditValue(value: unknown): string {
  switch (valueKind(value)) {
    case 'empty':
      return '∅';
    case 'masked':
      return typeof value === 'string' && value !== MASK ? value : t('audit.diff.masked');
    case 'boolean':
      return t(value ? 'common.yes' : 'common.no');
    case 'money':
      return formatMoney(String(value));
    case 'number': {
      const text = String(value);
      const decimals = text.includes('.') ? text.split('.')[1].length : 0;
      return formatMoney(text, decimals);
    }
    case 'instant':
      return formatDateTime(String(value));
    case 'json':
      return JSON.stringify(value);
    default:
      return String(value);
  }
}

/** A changed value as the diff shows it: a status or method by its label, anything else by `formatAuditValue`. */
export function formatChange(entityType: string, field: string, value: unknown): string {
  if (typeof value === 'string' && value) {
    if (field === 'status') {
      if (entityType === 'invoice') return invoiceStatusLabel(value);
      if (entityType === 'payment') return paymentStatusLabel(value);
      if (entityType === 'customer') return customerStatusLabel(value);
    }
    if (field === 'method' && entityType === 'payment') return paymentMethodLabel(value);
  }
  return recordValueLabel(entityType, field, value) ?? formatAuditValue(value);
}

/** One line of what an entry changed, for its row in the table: "status, total" (at most `max` names). */
export function changedFieldsSummary(entry: Pick<AuditEntry, 'before' | 'after'>, max = 4): string {
  const fields = auditChanges(entry).map((change) => recordFieldLabel(change.field));
  if (!fields.length) return '';
  return fields.length > max
    ? `${fields.slice(0, max).join(', ')} +${fields.length - max}`
    : fields.join(', ');
}
