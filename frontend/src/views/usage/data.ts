/**
 * Usage: anomaly kind and status labels, execution (pull) status labels and counters, the
 * review checks, and the columns of the usage tables.
 */
import type { TableColumnData } from '@arco-design/web-vue';
import type { ExecutionPublic } from '@/api/jobs';
import {
  type AnomalyKind,
  type AnomalyStatus,
  type ReviewAction,
  ANOMALY_KINDS,
  ANOMALY_STATUSES,
} from '@/api/usage';
import { t } from '@/locale';
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

export function anomalyColumns(): TableColumnData[] {
  return [
    { title: 'ID', dataIndex: 'id', width: 80, fixed: 'left' },
    { title: t('usage.anomaly.kind'), slotName: 'kind', width: 150 },
    { title: t('usage.anomaly.status'), slotName: 'status', width: 100 },
    { title: t('usage.field.source'), slotName: 'source', width: 130 },
    {
      title: t('usage.anomaly.account'),
      dataIndex: 'external_account',
      width: 140,
      ellipsis: true,
      tooltip: true,
    },
    { title: t('usage.field.customer'), slotName: 'customer', width: 110 },
    { title: t('usage.field.metric'), dataIndex: 'metric_code', width: 120 },
    { title: t('usage.anomaly.day'), slotName: 'day', width: 120 },
    { title: t('usage.anomaly.quantity'), slotName: 'quantity', width: 140, align: 'right' },
    { title: t('usage.anomaly.detail'), dataIndex: 'detail', width: 260, ellipsis: true, tooltip: true },
    { title: t('usage.anomaly.resolution'), slotName: 'resolution', width: 220 },
    { title: t('usage.field.createdAt'), slotName: 'createdAt', width: 170 },
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
    { title: 'ID', dataIndex: 'id', width: 80 },
    { title: t('usage.pull.task'), slotName: 'task', width: 120 },
    { title: t('usage.pull.statusTitle'), slotName: 'status', width: 100 },
    { title: t('usage.pull.days'), slotName: 'days', width: 200 },
    { title: t('usage.pull.scope'), slotName: 'scope', width: 180, ellipsis: true, tooltip: true },
    { title: t('usage.pull.counters'), slotName: 'counters', width: 300 },
    { title: t('usage.pull.trigger'), slotName: 'trigger', width: 100 },
    { title: t('usage.pull.by'), dataIndex: 'triggered_by', width: 120 },
    { title: t('usage.pull.createdAt'), slotName: 'createdAt', width: 170 },
    { title: t('usage.pull.duration'), slotName: 'duration', width: 100 },
    { title: t('common.actions'), slotName: 'actions', width: 90, fixed: 'right' },
  ];
}

// --- records --------------------------------------------------------------------------------------------------------
export function recordColumns(): TableColumnData[] {
  return [
    { title: t('usage.field.customer'), slotName: 'customer', width: 110 },
    { title: t('usage.field.metric'), slotName: 'metric', width: 200 },
    { title: t('usage.field.day'), dataIndex: 'usage_day', width: 120 },
    { title: t('usage.field.quantity'), slotName: 'quantity', width: 160, align: 'right' },
    { title: t('usage.field.source'), slotName: 'source', width: 140 },
    { title: t('usage.field.late'), slotName: 'late', width: 150 },
    { title: t('usage.field.origin'), slotName: 'origin', width: 140 },
    { title: t('usage.field.updatedAt'), slotName: 'updatedAt', width: 170 },
  ];
}
