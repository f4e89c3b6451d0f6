/**
 * Alert rules (`/alert-rules…`) and their firings (`/alert-firings…`). See docs/alerts.md.
 *
 * The types mirror backend/opcms/alerts/schemas.py. Thresholds and observed values are decimal
 * strings ("50.0000"); a rule's `params` depend on its kind. Admins write (`alerts:write`),
 * admins and auditors read (`alerts:read`).
 */
import { collection, getData, getQuery, postData } from './http';
import type { PageParams } from './params';
import type { IsoDateTime, Page } from './types';

export const CONDITION_KINDS = [
  'job_failed',
  'usage_pull_empty',
  'usage_vs_average',
  'notification_backlog',
  'channel_failing',
  'invoice_run_failed',
] as const;
export type ConditionKind = (typeof CONDITION_KINDS)[number];

export const FIRING_STATUSES = ['sent', 'failed'] as const;
export type FiringStatus = (typeof FIRING_STATUSES)[number];

export const DIRECTIONS = ['above', 'below'] as const;
export type Direction = (typeof DIRECTIONS)[number];

/** Why a rule could not send a firing now (`cannot_send`), or null when it can. */
export const CANNOT_SEND_REASONS = [
  'no_channel',
  'channel_disabled',
  'channel_deleted',
  'template_missing',
] as const;
export type CannotSendReason = (typeof CANNOT_SEND_REASONS)[number];

/** The parameters of every kind (each kind takes its own: see `KIND_PARAMS`). */
export interface RuleParams {
  job?: string | null;
  source?: string | null;
  metric?: string | null;
  channel?: string | null;
  direction?: Direction;
  older_than_minutes?: number;
}

/** Schema `AlertRulePublic`. */
export interface AlertRulePublic {
  id: number;
  name: string;
  kind: ConditionKind;
  /** a decimal string: a count, rows at most, or a multiplier */
  threshold: string;
  params: RuleParams;
  channel_id: number | null;
  channel_name: string | null;
  template_code: string;
  target: string;
  quiet_minutes: number;
  is_enabled: boolean;
  description: string;
  last_evaluated_at: IsoDateTime | null;
  cannot_send: CannotSendReason | null;
  created_at: IsoDateTime;
  updated_at: IsoDateTime;
  created_by: string | null;
  updated_by: string | null;
}

export type AlertRulePage = Page<AlertRulePublic>;

/** Schema `AlertRuleCreate`. */
export interface AlertRuleCreate {
  name: string;
  kind: ConditionKind;
  threshold: string;
  params: RuleParams;
  channel_id: number | null;
  template_code?: string;
  target?: string;
  quiet_minutes?: number;
  is_enabled?: boolean;
  description?: string;
}

/** Schema `AlertRuleUpdate`: the fields sent change (not the kind). */
export type AlertRuleUpdate = Partial<Omit<AlertRuleCreate, 'kind' | 'is_enabled'>>;

export interface AlertRuleListParams extends PageParams {
  q?: string | null;
  kind?: ConditionKind | null;
  is_enabled?: boolean | null;
}

/** Schema `EvaluationPublic`: what one evaluation did. */
export interface EvaluationPublic {
  rules: number;
  fired: number;
  sent: number;
  failed: number;
  suppressed: number;
}

/** Schema `AlertFiringPublic`. */
export interface AlertFiringPublic {
  id: number;
  rule_id: number;
  rule_name: string | null;
  kind: ConditionKind;
  /** what it is about: `job:<task>`, `source:<name>`, `channel:<name>`, `customer:<id>:<metric>` … */
  subject: string;
  value: string;
  threshold: string;
  /** the text sent (Chinese) */
  message: string;
  /** the same, in the reader's language */
  summary: string;
  detail: Record<string, unknown>;
  fired_at: IsoDateTime;
  quiet_until: IsoDateTime;
  /** occurrences inside the quiet period, not sent */
  repeats: number;
  last_seen_at: IsoDateTime;
  status: FiringStatus;
  notification_ids: number[];
  error: string | null;
}

export type AlertFiringPage = Page<AlertFiringPublic>;

export interface AlertFiringFilters {
  rule_id?: number | null;
  kind?: ConditionKind | null;
  status?: FiringStatus | null;
  subject?: string | null;
  fired_from?: IsoDateTime | null;
  fired_to?: IsoDateTime | null;
}

export interface AlertFiringListParams extends AlertFiringFilters, PageParams {}

// --- requests -----------------------------------------------------------------------------------------------
export function listAlertRules(
  params: AlertRuleListParams = { page_size: 200, sort: 'name' },
): Promise<AlertRulePage> {
  return getQuery('/alert-rules', params);
}

const rules = collection<AlertRulePublic, AlertRuleCreate, AlertRuleUpdate>('/alert-rules');
export const getAlertRule = rules.get;
export const createAlertRule = rules.create;
export const updateAlertRule = rules.update;
export const deleteAlertRule = rules.remove;

/** 409 `alert_rule_cannot_send` while no usable channel would carry its firings. */
export function enableAlertRule(id: number): Promise<AlertRulePublic> {
  return postData(`/alert-rules/${id}/enable`);
}

export function disableAlertRule(id: number): Promise<AlertRulePublic> {
  return postData(`/alert-rules/${id}/disable`);
}

/** Evaluate the rule now; quiet periods apply (what was sent within one is counted as suppressed). */
export function evaluateAlertRule(id: number): Promise<EvaluationPublic> {
  return postData(`/alert-rules/${id}/evaluate`);
}

export function listAlertFirings(params: AlertFiringListParams = {}): Promise<AlertFiringPage> {
  return getQuery('/alert-firings', params);
}

export function getAlertFiring(id: number): Promise<AlertFiringPublic> {
  return getData(`/alert-firings/${id}`);
}
