/**
 * The tier rules of a plan document, checked in the browser before a round trip, with the
 * backend's own messages (backend `pricing/plan.py`: `_check_bounds`, `_tier_error`): a tier is
 * named by its 1-based position, "tier 2: up_to 5000 must be greater than tier 1's up_to 10000".
 * English is word for word the backend's text; Chinese says the same thing.
 *
 * As on the backend, the values of each tier are checked first (a number, not negative, not too
 * many digits); the bounds (> 0, strictly ascending, only the last one open-ended) only when
 * every value is readable. All problems are reported at once, so a plan is fixed in one go.
 */
import { t, type MessageKey } from '@/locale';
import { type PricingMode, MAX_TIERS, TIERED_MODES } from '@/api/pricing';
import {
  AMOUNT_RULE,
  compareDecimal,
  decimalMessage,
  decimalProblem,
  normalizeDecimalInput,
  plainDecimal,
  QUANTITY_RULE,
  UNIT_PRICE_RULE,
  type DecimalRule,
} from '@/utils/decimal';

/** A tier as typed: strings; `up_to` null (or blank) = open-ended, `flat_fee` blank = 0. */
export interface TierInput {
  up_to: string | null;
  unit_price: string;
  flat_fee?: string | null;
}

export type TierField = 'up_to' | 'unit_price' | 'flat_fee';

export interface TierProblem {
  /** 1-based tier number; null for a problem of the whole list */
  tier: number | null;
  /** the tier field it is about, when it is about one */
  field: TierField | null;
  key: MessageKey;
  params: Record<string, string | number>;
}

const FIELD_RULES: Record<TierField, DecimalRule> = {
  up_to: QUANTITY_RULE,
  unit_price: UNIT_PRICE_RULE,
  flat_fee: AMOUNT_RULE,
};

function blank(value: string | null | undefined): boolean {
  return normalizeDecimalInput(value) === '';
}

/** Problems with the values of one tier ("tier 2 unit_price: must not be negative"). */
function valueProblems(tier: TierInput, number: number): TierProblem[] {
  const problems: TierProblem[] = [];
  for (const field of ['up_to', 'unit_price', 'flat_fee'] as const) {
    const value = tier[field];
    if (blank(value)) {
      // up_to blank = open-ended (judged with the bounds), flat_fee blank = 0; a price is needed
      if (field === 'unit_price') {
        problems.push({
          tier: number,
          field,
          key: 'pricing.tier.fieldProblem',
          params: { n: number, field, message: 'pricing.decimal.required' },
        });
      }
      continue;
    }
    const problem = decimalProblem(value, FIELD_RULES[field]);
    if (problem) {
      const { key, params } = decimalMessage(problem, FIELD_RULES[field]);
      problems.push({
        tier: number,
        field,
        key: 'pricing.tier.fieldProblem',
        params: { n: number, field, message: key, ...prefixed(params) },
      });
    }
  }
  return problems;
}

function prefixed(params: Record<string, string | number>): Record<string, string | number> {
  return Object.fromEntries(Object.entries(params).map(([name, value]) => [`m_${name}`, value]));
}

/** Stripe's bounds, exactly as the backend's `_check_bounds` walks them. */
function boundProblems(tiers: readonly TierInput[]): TierProblem[] {
  const problems: TierProblem[] = [];
  const last = tiers.length - 1;
  let previous: string | null = null;
  let previousNumber = 0;
  tiers.forEach((tier, index) => {
    const number = index + 1;
    if (blank(tier.up_to)) {
      if (index !== last)
        problems.push({
          tier: number,
          field: 'up_to',
          key: 'pricing.tier.openNotLast',
          params: { n: number },
        });
      return;
    }
    const upTo = plainDecimal(tier.up_to as string);
    if (compareDecimal(upTo, '0') <= 0) {
      problems.push({ tier: number, field: 'up_to', key: 'pricing.tier.notPositive', params: { n: number } });
    } else if (previous !== null && compareDecimal(upTo, previous) <= 0) {
      problems.push({
        tier: number,
        field: 'up_to',
        key: 'pricing.tier.notAscending',
        params: { n: number, upTo, prev: previousNumber, prevUpTo: previous },
      });
    }
    if (index === last)
      problems.push({
        tier: number,
        field: 'up_to',
        key: 'pricing.tier.lastNotOpen',
        params: { n: number, upTo },
      });
    previous = upTo;
    previousNumber = number;
  });
  return problems;
}

/** Every problem of `tiers` for a plan in `mode` (none: the backend will accept them). */
export function validateTiers(tiers: readonly TierInput[], mode: PricingMode): TierProblem[] {
  if (!TIERED_MODES.includes(mode)) {
    return tiers.length ? [{ tier: null, field: null, key: 'pricing.tier.notTiered', params: { mode } }] : [];
  }
  if (tiers.length > MAX_TIERS) {
    return [
      {
        tier: null,
        field: null,
        key: 'pricing.tier.tooMany',
        params: { max: MAX_TIERS, count: tiers.length },
      },
    ];
  }
  const values = tiers.flatMap((tier, index) => valueProblems(tier, index + 1));
  if (values.length) return values;
  const bounds = boundProblems(tiers);
  if (bounds.length) return bounds;
  return tiers.length ? [] : [{ tier: null, field: null, key: 'pricing.tier.none', params: { mode } }];
}

/** One problem in the current language ("tier 2: up_to must be greater than 0" / "第 2 层：上限必须大于 0"). */
export function tierProblemText(problem: TierProblem): string {
  if (problem.key === 'pricing.tier.fieldProblem') {
    const inner = Object.fromEntries(
      Object.entries(problem.params)
        .filter(([name]) => name.startsWith('m_'))
        .map(([name, value]) => [name.slice(2), value]),
    );
    return t(problem.key, {
      n: problem.params.n,
      field: t(`pricing.tierField.${problem.params.field}`),
      message: t(String(problem.params.message), inner),
    });
  }
  const mode = problem.params.mode;
  return t(
    problem.key,
    mode === undefined ? problem.params : { ...problem.params, modeLabel: t(`pricing.mode.${mode}`) },
  );
}

/** All problems as one line, joined like the backend joins them ("; "). */
export function tierProblemsText(problems: readonly TierProblem[]): string {
  return problems.map(tierProblemText).join('; ');
}

/** The problems of tier `number` (1-based), as text, for the row of the editor. */
export function problemsOfTier(problems: readonly TierProblem[], number: number): string[] {
  return problems.filter((p) => p.tier === number).map(tierProblemText);
}

/**
 * The range a tier covers for display: (from, up_to], where from is the previous tier's bound
 * (0 for the first). Unreadable bounds are shown as typed.
 */
export function tierFrom(tiers: readonly TierInput[], index: number): string {
  for (let i = index - 1; i >= 0; i -= 1) {
    const bound = tiers[i].up_to;
    if (!blank(bound)) return plainDecimal(bound as string);
  }
  return '0';
}
