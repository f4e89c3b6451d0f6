/**
 * Usage: anomaly kind and status labels, execution (pull) status labels and counters, the
 * review checks, and the columns of the usage tables.
 */
import type { TableColumnData } from '@arco-design/web-vue';
import type { ExecutionPublic } from '@/api/jobs';
import {
  type AnomalyKind,
  type AnomalyPublic,
  type AnomalyStatus,
  type ReviewAction,
  ANOMALY_KINDS,
  ANOMALY_STATUSES,
} from '@/api/usage';
import { t } from '@/locale';
import {
  executionTailColumns,
  fieldColumn,
  idColumn,
  numberColumn,
  slotColumn,
  statusColumn,
  textColumn,
  timeColumn,
} from '@/utils/columns';
import { decimalMessage, decimalProblem, normalizeDecimalInput, QUANTITY_RULE } from '@/utils/decimal';
import type { FieldMessage } from '@/utils/form-errors';

export type { Option } from '@/types/option';
import type { Option } from '@/types/option';

// --- anomalies -------------------------------------------------------------------------------------------
export const ANOMALY_STATUS_COLORS: Record<AnomalyStatus, string> = {
  open: 'orange',
  accepted: 'green',
  corrected: 'arcoblue',
  rejected: 'gray',
};

export function anomalyKindLabel(kind: AnomalyKind | string | null | undefined): string {
  return kind ? t(`usage.anomaly.kind.${kind}`) : '-';
}

export function anomalyStatusLabel(status: AnomalyStatus | string | null | undefined): string {
  return status ? t(`usage.anomaly.status.${status}`) : '-';
}

export function anomalyKindOptions(): Option<AnomalyKind>[] {
  return ANOMALY_KINDS.map((value) => ({ value, label: anomalyKindLabel(value) }));
}

export function anomalyStatusOptions(): Option<AnomalyStatus | 'all'>[] {
  return [
    ...ANOMALY_STATUSES.map((value) => ({ value, label: anomalyStatusLabel(value) })),
    { value: 'all' as const, label: t('common.all') },
  ];
}

/**
 * Why a row was held, in the UI's language, from its kind and the row as sent (the backend's
 * `detail` is English; a spike's figures and a day's requested range are read from it).
 */
export function anomalyDetail(
  anomaly: Pick<
    AnomalyPublic,
    'kind' | 'detail' | 'external_account' | 'metric_code' | 'raw_day' | 'raw_quantity'
  >,
): string {
  const detail = anomaly.detail ?? '';
  switch (anomaly.kind) {
    case 'unknown_account':
      return t('usage.anomaly.why.unknown_account', { account: anomaly.external_account });
    case 'unknown_metric':
      return t('usage.anomaly.why.unknown_metric', { metric: anomaly.metric_code });
    case 'invalid_quantity':
      return t('usage.anomaly.why.invalid_quantity', { quantity: anomaly.raw_quantity });
    case 'negative_quantity':
      return t('usage.anomaly.why.negative_quantity', { quantity: anomaly.raw_quantity });
    case 'day_outside_request': {
      const asked = /outside the request \((.*)\)/.exec(detail)?.[1] ?? '';
      return t('usage.anomaly.why.day_outside_request', { day: anomaly.raw_day, asked });
    }
    case 'spike': {
      const figures = /^(\S+) > (\S+) × trailing average (\S+)/.exec(detail);
      if (!figures) return detail;
      return t('usage.anomaly.why.spike', { quantity: figures[1], factor: figures[2], average: figures[3] });
    }
    default:
      return detail || '-';
  }
}

export function anomalyColumns(): TableColumnData[] {
  return [
    idColumn(80, { fixed: 'left' }),
    slotColumn('usage.anomaly.kind', 'kind', 150),
    slotColumn('usage.anomaly.status', 'status', 100),
    slotColumn('usage.field.source', 'source', 130),
    textColumn('usage.anomaly.account', 'external_account', 140),
    slotColumn('usage.field.customer', 'customer', 110),
    fieldColumn('usage.field.metric', 'metric_code', 120),
    slotColumn('usage.anomaly.day', 'day', 120),
    numberColumn('usage.anomaly.quantity', 'quantity', 140),
    slotColumn('usage.anomaly.detail', 'detail', 260, {
      ellipsis: true,
      tooltip: true,
      render: ({ record }) => anomalyDetail(record as AnomalyPublic),
    }),
    slotColumn('usage.anomaly.resolution', 'resolution', 220),
    timeColumn('usage.field.createdAt', 'createdAt', 'created_at'),
  ];
}

export interface ReviewInputs {
  action: ReviewAction;
  quantity: string;
  reason: string;
}

/** The backend's review rules (`usage/review.py`), checked before sending; null: fine. */
export function reviewProblem(
  inputs: ReviewInputs,
): ({ field: 'quantity' | 'reason' } & FieldMessage) | null {
  if (inputs.action === 'correct') {
    const quantity = normalizeDecimalInput(inputs.quantity);
    if (!quantity) return { field: 'quantity', key: 'usage.review.needQuantity', params: {} };
    const problem = decimalProblem(quantity, QUANTITY_RULE);
    if (problem) return { field: 'quantity', ...decimalMessage(problem, QUANTITY_RULE) };
  }
  if ((inputs.action === 'correct' || inputs.action === 'reject') && !inputs.reason.trim()) {
    return { field: 'reason', key: 'usage.review.needReason', params: { action: inputs.action } };
  }
  if (inputs.reason.trim().length > 255)
    return { field: 'reason', key: 'pricing.rule.maxLength', params: { max: 255 } };
  return null;
}

// --- pulls ------------------------------------------------------------------------------------------------------
/** The source a pull was limited to, or "all" (an upload names its file too). */
export function pullScope(execution: Pick<ExecutionPublic, 'parameters' | 'task_name'>): string {
  const params = execution.parameters ?? {};
  const source =
    typeof params.source === 'string' && params.source ? params.source : t('usage.pull.allSources');
  const file = typeof params.file_name === 'string' && params.file_name ? ` · ${params.file_name}` : '';
  return `${source}${file}`;
}

export function taskLabel(task: string): string {
  const key = `usage.pull.task.${task}`;
  const label = t(key);
  return label === key ? task : label;
}

export function pullColumns(): TableColumnData[] {
  return [
    idColumn(),
    slotColumn('usage.pull.task', 'task', 120),
    statusColumn('usage.pull.statusTitle', 'execution', 'pull-status', 100),
    slotColumn('usage.pull.days', 'days', 200),
    slotColumn('usage.pull.scope', 'scope', 180, { ellipsis: true, tooltip: true }),
    ...executionTailColumns(),
  ];
}

// --- records --------------------------------------------------------------------------------------------------------
export function recordColumns(): TableColumnData[] {
  return [
    slotColumn('usage.field.customer', 'customer', 110),
    slotColumn('usage.field.metric', 'metric', 200),
    fieldColumn('usage.field.day', 'usage_day', 120),
    numberColumn('usage.field.quantity', 'quantity', 160),
    slotColumn('usage.field.source', 'source', 140),
    slotColumn('usage.field.late', 'late', 150),
    slotColumn('usage.field.origin', 'origin', 140),
    timeColumn('usage.field.updatedAt', 'updatedAt', 'updated_at'),
  ];
}
