/**
 * How a task execution (a usage pull, an invoice run, any job) is shown: its status as a tag and
 * an option, its counters in a useful order, and the days a pull covers.
 */
import { EXECUTION_STATUSES, type ExecutionPublic, type ExecutionStatus } from '@/api/jobs';
import { t } from '@/locale';
import type { Option } from '@/types/option';

export const EXECUTION_STATUS_COLORS: Record<ExecutionStatus, string> = {
  pending: 'gray',
  running: 'arcoblue',
  success: 'green',
  partial: 'orange',
  failed: 'red',
  cancelled: 'gray',
  skipped: 'gray',
};

export function executionStatusLabel(status: ExecutionStatus | string | null | undefined): string {
  return status ? t(`usage.pull.status.${status}`) : '-';
}

export function executionStatusOptions(): Option<ExecutionStatus>[] {
  return EXECUTION_STATUSES.map((value) => ({ value, label: executionStatusLabel(value) }));
}

/** Counters in a useful order; unknown ones follow by name. */
const COUNTER_ORDER = [
  'sources',
  'sources_failed',
  'processed',
  'succeeded',
  'failed',
  'records',
  'received',
  'written',
  'anomalies',
  'alerts',
  'retries',
  'honoured_reviews',
];

export function counterLabel(name: string): string {
  const key = `usage.pull.counter.${name}`;
  const label = t(key);
  return label === key ? name : label;
}

/** `[label, value]` pairs of an execution's counters. */
export function counterEntries(
  counters: Record<string, number> | null | undefined,
): [string, string, number][] {
  const entries = Object.entries(counters ?? {});
  const rank = (name: string) => {
    const index = COUNTER_ORDER.indexOf(name);
    return index < 0 ? COUNTER_ORDER.length : index;
  };
  return entries
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([name, value]) => [name, counterLabel(name), value]);
}

/** The days a pull covers, from its parameters ("2026-01-01" or "2026-01-01 ~ 2026-01-07"). */
export function pullDays(execution: Pick<ExecutionPublic, 'parameters'>): string {
  const params = execution.parameters ?? {};
  const first =
    typeof params.first_day === 'string'
      ? params.first_day
      : typeof params.day === 'string'
        ? params.day
        : '';
  const last = typeof params.last_day === 'string' ? params.last_day : first;
  if (!first) return '-';
  return first === last ? first : `${first} ~ ${last}`;
}
