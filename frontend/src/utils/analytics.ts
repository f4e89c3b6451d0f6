/**
 * The words of the analytics pages shown by more than one domain (the dashboard, the aging report,
 * the customer list and page): labels and tag colours of the segments and scores, a relative
 * change as an arrow and a percentage, and the text of a churn reason or a credit factor built
 * from its `code` and `value` in the chosen language (the API's `message` is English only).
 * Values stay strings: signs and digits are read from the text, never through a float.
 */
import { t } from '@/locale';
import type {
  AgingBucket,
  ChurnLevel,
  ChurnReason,
  CreditFactor,
  Lifecycle,
  MovementCategory,
  ValueTier,
} from '@/types/analytics';
import { AGING_BUCKETS, CHURN_LEVELS, LIFECYCLES, VALUE_TIERS } from '@/types/analytics';
import type { Option } from '@/types/option';
import { isDecimal, normalizeDecimalInput, plainDecimal } from './decimal';

/** `t(prefix + value)`, '-' when there is no value, the value itself when it has no label. */
function labelOf(prefix: string, value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '-';
  const key = `${prefix}${value}`;
  const label = t(key);
  return label === key ? value : label;
}

export const tierLabel = (tier: ValueTier | string | null | undefined) => labelOf('analytics.tier.', tier);
export const lifecycleLabel = (lifecycle: Lifecycle | string | null | undefined) =>
  labelOf('analytics.lifecycle.', lifecycle);
export const churnLevelLabel = (level: ChurnLevel | string | null | undefined) =>
  labelOf('analytics.churnLevel.', level);
export const bucketLabel = (bucket: AgingBucket | string | null | undefined) =>
  labelOf('analytics.bucket.', bucket);
export const movementLabel = (category: MovementCategory | 'net' | string) =>
  labelOf('analytics.movement.', category);
export const creditFactorLabel = (code: string) => labelOf('analytics.credit.factor.', code);

export const CHURN_LEVEL_COLORS: Record<ChurnLevel, string> = { none: 'green', watch: 'orange', high: 'red' };
export const TIER_COLORS: Record<ValueTier, string> = { S: 'purple', A: 'arcoblue', B: 'cyan', C: 'gray' };

export function tierOptions(): Option<ValueTier>[] {
  return VALUE_TIERS.map((value) => ({ value, label: tierLabel(value) }));
}

export function lifecycleOptions(): Option<Lifecycle>[] {
  return LIFECYCLES.map((value) => ({ value, label: lifecycleLabel(value) }));
}

export function churnLevelOptions(): Option<ChurnLevel>[] {
  return CHURN_LEVELS.map((value) => ({ value, label: churnLevelLabel(value) }));
}

export function bucketLabels(): string[] {
  return AGING_BUCKETS.map(bucketLabel);
}

// --- changes --------------------------------------------------------------------------------------------
export type ChangeDirection = 'up' | 'down' | 'flat';

/** Which way a change in percent ("25.0", "-12.5", "0.0") points; null when there is none. */
export function changeDirection(change: string | null | undefined): ChangeDirection | null {
  if (change === null || change === undefined) return null;
  const text = normalizeDecimalInput(change);
  if (!isDecimal(text)) return null;
  const plain = plainDecimal(text);
  if (plain === '0') return 'flat';
  return plain.startsWith('-') ? 'down' : 'up';
}

/** The size of a change without its sign, as the API wrote it ("-12.5" → "12.5"). */
function magnitude(change: string): string {
  return normalizeDecimalInput(change).replace(/^-/, '');
}

/** "↑ 25.0%", "↓ 12.5%", "0.0%"; '-' without a change (nothing to compare with). */
export function changeText(change: string | null | undefined): string {
  const direction = changeDirection(change);
  if (!direction || change === null || change === undefined) return '-';
  const size = `${magnitude(change)}%`;
  if (direction === 'flat') return size;
  return `${direction === 'up' ? '↑' : '↓'} ${size}`;
}

// --- churn reasons and credit factors --------------------------------------------------------------------
/** A number of the API for a sentence: plain ("14.0" → "14", "62.5" stays), its sign dropped. */
function amountOf(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const text = normalizeDecimalInput(value);
  return isDecimal(text) ? plainDecimal(text).replace(/^-/, '') : null;
}

/** How many invoices an overdue reason counts: its `count`, else the English message's ("2 invoices …"). */
function invoiceCount(reason: { count?: number; message?: string }): number | null {
  if (typeof reason.count === 'number') return reason.count;
  const match = /^\s*(\d+)\s+invoices?\b/i.exec(reason.message ?? '');
  return match ? Number(match[1]) : null;
}

/** The fields of a churn reason the page words (the API's reason may carry more). */
export interface ReasonWords {
  code: ChurnReason['code'] | string;
  value: string | null;
  message?: string;
  count?: number;
  from_plan?: string;
  to_plan?: string;
}

/**
 * A churn reason in the chosen language from its code and numbers: `usage_drop` "-62.0" →
 * "用量较近 3 个月均值下降 62%" / "usage −62% vs 3-month average"; `no_usage` "14" → "近 14 天无用量";
 * `overdue` "35" (count 1) → "1 张发票逾期 35 天". A code this page does not know keeps the API's message.
 */
export function churnReasonText(reason: ReasonWords): string {
  const value = amountOf(reason.value);
  switch (reason.code) {
    case 'usage_drop':
      return t('analytics.reason.usage_drop', { value: value ?? '?' });
    case 'no_usage':
      return t('analytics.reason.no_usage', { days: value ?? '?' });
    case 'overdue': {
      const count = invoiceCount(reason);
      const days = value ?? '?';
      if (count === null) return t('analytics.reason.overdue', { days });
      return t(count === 1 ? 'analytics.reason.overdueOne' : 'analytics.reason.overdueMany', { count, days });
    }
    case 'suspended':
      return t('analytics.reason.suspended');
    case 'cheaper_plan':
      if (value === null) return t('analytics.reason.cheaper_plan');
      if (reason.from_plan && reason.to_plan)
        return t('analytics.reason.cheaperPlanMove', { from: reason.from_plan, to: reason.to_plan, value });
      return t('analytics.reason.cheaperPlanBy', { value });
    default:
      return reason.message || reason.code;
  }
}

/** What a credit factor measured, in the chosen language ("83.3%", "3.5 天"); '-' without a value. */
export function creditFactorValue(factor: {
  code: CreditFactor['code'] | string;
  value: string | null;
}): string {
  if (factor.value === null || factor.value === undefined) return '-';
  const text = normalizeDecimalInput(factor.value);
  const value = isDecimal(text) ? plainDecimal(text) : factor.value;
  switch (factor.code) {
    case 'on_time':
    case 'limit_use':
      return `${value}%`;
    case 'days_late':
    case 'overdue':
    case 'tenure':
      return t('analytics.unit.days', { days: value });
    default:
      return value;
  }
}

/** A factor's share of its maximum as a whole percent for its bar (0..100). */
export function factorPercent(factor: Pick<CreditFactor, 'points' | 'max_points'>): number {
  if (!factor.max_points || factor.max_points <= 0) return 0;
  return Math.max(0, Math.min(100, Math.round((factor.points / factor.max_points) * 100)));
}

// --- owner scope --------------------------------------------------------------------------------------
/** The permission to see every owner's customers on the boards (finance, admins, auditors). */
export const ALL_OWNERS_PERMISSION = 'analytics:all_owners';

/**
 * Whether a user's boards are held to the customers they own (DESIGN §11 role boards): without
 * `analytics:all_owners` the backend refuses any other owner (403), so the owner picker offers
 * only "my customers".
 */
export function ownCustomersOnly(permissions: readonly string[] | null | undefined): boolean {
  return !(permissions ?? []).includes(ALL_OWNERS_PERMISSION);
}
