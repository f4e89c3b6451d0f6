/**
 * Alert rules and firings: kind, status and direction labels, each kind's parameters and what its
 * threshold means, why a rule cannot send, the rule form's model (what it sends on create and on
 * edit) with its checks, the rules' and firings' columns, and the firings' filters as
 * `GET /alert-firings` parameters.
 */
import type { TableColumnData } from '@arco-design/web-vue';
import {
  CONDITION_KINDS,
  DIRECTIONS,
  FIRING_STATUSES,
  type AlertFiringFilters,
  type AlertRuleCreate,
  type AlertRulePublic,
  type AlertRuleUpdate,
  type CannotSendReason,
  type ConditionKind,
  type Direction,
  type FiringStatus,
  type RuleParams,
} from '@/api/alerts';
import { t } from '@/locale';
import type { Option } from '@/types/option';
import { actionsColumn, idColumn, slotColumn, textColumn, timeColumn } from '@/utils/columns';
import { dayEnd, dayStart } from '@/utils/date';
import type { FieldMessage } from '@/utils/form-errors';

export const FIRING_STATUS_COLORS: Record<FiringStatus, string> = { sent: 'green', failed: 'red' };

export function kindLabel(kind: ConditionKind | string | null | undefined): string {
  return kind ? t(`alert.kind.${kind}`) : '-';
}

export function firingStatusLabel(status: FiringStatus | string | null | undefined): string {
  return status ? t(`alert.status.${status}`) : '-';
}

export function thresholdLabel(kind: ConditionKind): string {
  return t(`alert.threshold.${kind}`);
}

export function cannotSendText(reason: CannotSendReason | null | undefined): string {
  return reason ? t(`alert.cannotSend.${reason}`) : '';
}

export function kindOptions(): Option<ConditionKind>[] {
  return CONDITION_KINDS.map((value) => ({ value, label: kindLabel(value) }));
}

export function firingStatusOptions(): Option<FiringStatus>[] {
  return FIRING_STATUSES.map((value) => ({ value, label: firingStatusLabel(value) }));
}

export function directionOptions(): Option<Direction>[] {
  return DIRECTIONS.map((value) => ({ value, label: t(`alert.direction.${value}`) }));
}

// --- each kind's parameters and threshold ----------------------------------------------------------------
export type ParamName = 'job' | 'source' | 'metric' | 'channel' | 'direction' | 'older_than_minutes';

/** The parameters each kind takes (the backend refuses any other with a 422). */
export const KIND_PARAMS: Record<ConditionKind, ParamName[]> = {
  job_failed: ['job'],
  usage_pull_empty: ['source'],
  usage_vs_average: ['direction', 'source', 'metric'],
  notification_backlog: ['older_than_minutes', 'channel'],
  channel_failing: ['channel'],
  invoice_run_failed: [],
};

/** A kind's threshold: a whole count (with bounds) or a multiplier. */
interface ThresholdRule {
  whole: boolean;
  min?: number;
  max?: number;
}

const THRESHOLDS: Record<ConditionKind, ThresholdRule> = {
  job_failed: { whole: true, min: 1 },
  usage_pull_empty: { whole: true, min: 0 },
  usage_vs_average: { whole: false },
  notification_backlog: { whole: true, min: 0 },
  channel_failing: { whole: true, min: 1, max: 100 },
  invoice_run_failed: { whole: true, min: 1 },
};

/** The defaults a new rule of each kind starts from (those of the rules migration 0019 seeds). */
export const KIND_DEFAULTS: Record<ConditionKind, { threshold: string; params: RuleParams }> = {
  job_failed: { threshold: '1', params: {} },
  usage_pull_empty: { threshold: '0', params: {} },
  usage_vs_average: { threshold: '3', params: { direction: 'above' } },
  notification_backlog: { threshold: '50', params: { older_than_minutes: 10 } },
  channel_failing: { threshold: '5', params: {} },
  invoice_run_failed: { threshold: '1', params: {} },
};

/** A rule's parameters in a few words: "above · source vendor-a". */
export function paramsText(rule: Pick<AlertRulePublic, 'kind' | 'params'>): string {
  const parts: string[] = [];
  for (const name of KIND_PARAMS[rule.kind] ?? []) {
    const value = rule.params[name];
    if (value === null || value === undefined || value === '') continue;
    parts.push(
      name === 'direction' ? t(`alert.direction.${value}`) : `${t(`alert.paramShort.${name}`)}: ${value}`,
    );
  }
  return parts.join(' · ') || '-';
}

/** "3" for 3.0000, "0.2" for 0.2000: a decimal string as people write it. */
export function plainDecimal(value: string): string {
  if (!value.includes('.')) return value;
  const trimmed = value.replace(/0+$/, '');
  return trimmed.endsWith('.') ? trimmed.slice(0, -1) : trimmed;
}

// --- the rule form ---------------------------------------------------------------------------------------
export interface RuleFormModel {
  name: string;
  kind: ConditionKind;
  threshold: string;
  job: string;
  source: string;
  metric: string;
  channel: string;
  direction: Direction;
  older_than_minutes: number | undefined;
  channel_id: number | undefined;
  template_code: string;
  target: string;
  quiet_minutes: number | undefined;
  description: string;
}

export const RULE_FORM_FIELDS = [
  'name',
  'kind',
  'threshold',
  'params',
  'channel_id',
  'template_code',
  'target',
  'quiet_minutes',
  'description',
];

export function emptyRuleModel(kind: ConditionKind = 'job_failed'): RuleFormModel {
  const defaults = KIND_DEFAULTS[kind];
  return {
    name: '',
    kind,
    threshold: defaults.threshold,
    job: '',
    source: '',
    metric: '',
    channel: '',
    direction: defaults.params.direction ?? 'above',
    older_than_minutes: defaults.params.older_than_minutes ?? 10,
    channel_id: undefined,
    template_code: 'alert.fired',
    target: '',
    quiet_minutes: 60,
    description: '',
  };
}

/** A new rule's kind changed: its threshold and parameters start again from that kind's defaults. */
export function switchKind(model: RuleFormModel, kind: ConditionKind): void {
  const fresh = emptyRuleModel(kind);
  Object.assign(model, {
    kind,
    threshold: fresh.threshold,
    direction: fresh.direction,
    older_than_minutes: fresh.older_than_minutes,
  });
}

export function ruleModel(rule: AlertRulePublic): RuleFormModel {
  const params = rule.params;
  return {
    name: rule.name,
    kind: rule.kind,
    threshold: plainDecimal(rule.threshold),
    job: params.job ?? '',
    source: params.source ?? '',
    metric: params.metric ?? '',
    channel: params.channel ?? '',
    direction: params.direction ?? 'above',
    older_than_minutes: params.older_than_minutes ?? 10,
    channel_id: rule.channel_id ?? undefined,
    template_code: rule.template_code,
    target: rule.target,
    quiet_minutes: rule.quiet_minutes,
    description: rule.description,
  };
}

/** The kind's parameters from the form (blank text is "every": left out). */
export function ruleParams(model: RuleFormModel): RuleParams {
  const params: RuleParams = {};
  for (const name of KIND_PARAMS[model.kind]) {
    if (name === 'direction') params.direction = model.direction;
    else if (name === 'older_than_minutes') params.older_than_minutes = model.older_than_minutes;
    else {
      const text = model[name].trim();
      if (text) params[name] = text;
    }
  }
  return params;
}

export function toRuleCreate(model: RuleFormModel): AlertRuleCreate {
  return {
    name: model.name.trim(),
    kind: model.kind,
    threshold: model.threshold.trim(),
    params: ruleParams(model),
    channel_id: model.channel_id ?? null,
    template_code: model.template_code.trim(),
    target: model.target.trim(),
    quiet_minutes: model.quiet_minutes,
    description: model.description.trim(),
  };
}

/** Only what changed (an unchanged form sends nothing); the parameters are sent whole when any changed. */
export function toRuleUpdate(model: RuleFormModel, original: AlertRulePublic): AlertRuleUpdate {
  const next = toRuleCreate(model);
  const before = ruleModel(original);
  const body: AlertRuleUpdate = {};
  if (next.name !== original.name) body.name = next.name;
  if (next.threshold !== before.threshold) body.threshold = next.threshold;
  if (JSON.stringify(next.params) !== JSON.stringify(ruleParams(before))) body.params = next.params;
  if (next.channel_id !== original.channel_id) body.channel_id = next.channel_id;
  if (next.template_code !== original.template_code) body.template_code = next.template_code;
  if (next.target !== original.target) body.target = next.target;
  if (next.quiet_minutes !== original.quiet_minutes) body.quiet_minutes = next.quiet_minutes;
  if (next.description !== original.description) body.description = next.description;
  return body;
}

const DECIMAL = /^[0-9]{1,16}(\.[0-9]{1,4})?$/;

/** The form's problems the browser can tell before sending (the backend checks them again). */
export function ruleProblems(model: RuleFormModel): Partial<Record<string, FieldMessage>> {
  const problems: Partial<Record<string, FieldMessage>> = {};
  const name = model.name.trim();
  if (!name) problems.name = { key: 'alert.rule.required', params: {} };
  else if (name.length > 128) problems.name = { key: 'alert.rule.maxLength', params: { max: 128 } };
  const threshold = model.threshold.trim();
  const rule = THRESHOLDS[model.kind];
  if (!threshold) problems.threshold = { key: 'alert.rule.required', params: {} };
  else if (!DECIMAL.test(threshold)) problems.threshold = { key: 'alert.rule.decimal', params: {} };
  else {
    const value = Number(threshold);
    if (rule.whole && !Number.isInteger(value)) problems.threshold = { key: 'alert.rule.whole', params: {} };
    else if (rule.min !== undefined && value < rule.min)
      problems.threshold = { key: 'alert.rule.atLeast', params: { min: rule.min } };
    else if (rule.max !== undefined && value > rule.max)
      problems.threshold = { key: 'alert.rule.atMost', params: { max: rule.max } };
    else if (model.kind === 'usage_vs_average' && model.direction === 'above' && value <= 1)
      problems.threshold = { key: 'alert.rule.aboveOne', params: {} };
    else if (model.kind === 'usage_vs_average' && model.direction === 'below' && !(value > 0 && value < 1))
      problems.threshold = { key: 'alert.rule.belowOne', params: {} };
  }
  if (KIND_PARAMS[model.kind].includes('older_than_minutes')) {
    const minutes = model.older_than_minutes;
    if (minutes === undefined || !Number.isInteger(minutes) || minutes < 1)
      problems.params = { key: 'alert.rule.atLeast', params: { min: 1 } };
  }
  const quiet = model.quiet_minutes;
  if (quiet === undefined || !Number.isInteger(quiet) || quiet < 1)
    problems.quiet_minutes = { key: 'alert.rule.atLeast', params: { min: 1 } };
  else if (quiet > 10080) problems.quiet_minutes = { key: 'alert.rule.atMost', params: { max: 10080 } };
  return problems;
}

// --- lists -------------------------------------------------------------------------------------------------
export function ruleColumns(): TableColumnData[] {
  return [
    slotColumn('alert.field.name', 'name', 200, { fixed: 'left' }),
    slotColumn('alert.field.kind', 'kind', 170),
    slotColumn('alert.field.threshold', 'threshold', 110),
    slotColumn('alert.field.params', 'params', 200),
    slotColumn('alert.field.channel', 'channel', 220),
    slotColumn('alert.field.quiet', 'quiet', 110),
    slotColumn('alert.field.enabled', 'enabled', 80),
    timeColumn('alert.field.lastEvaluated', 'lastEvaluated', 'last_evaluated_at'),
    actionsColumn(260),
  ];
}

export function firingColumns(): TableColumnData[] {
  return [
    idColumn(),
    timeColumn('alert.field.firedAt', 'firedAt', 'fired_at'),
    slotColumn('alert.field.rule', 'rule', 170),
    slotColumn('alert.field.kind', 'kind', 150),
    textColumn('alert.field.subject', 'subject', 200),
    slotColumn('alert.field.value', 'value', 130),
    slotColumn('alert.field.summary', 'summary', 360),
    slotColumn('alert.field.repeats', 'repeats', 110),
    slotColumn('alert.field.status', 'status', 110),
  ];
}

export interface FiringFilterModel {
  rule_id: number | undefined;
  kind: ConditionKind | undefined;
  status: FiringStatus | undefined;
  subject: string;
  /** [from, to] local days, both inclusive */
  fired: string[];
}

export function emptyFiringFilters(): FiringFilterModel {
  return { rule_id: undefined, kind: undefined, status: undefined, subject: '', fired: [] };
}

export function firingFilterParams(model: FiringFilterModel): AlertFiringFilters {
  const [from, to] = model.fired;
  return {
    rule_id: model.rule_id ?? null,
    kind: model.kind ?? null,
    status: model.status ?? null,
    subject: model.subject.trim() || null,
    fired_from: from ? dayStart(from) : null,
    fired_to: to ? dayEnd(to) : null,
  };
}
