/**
 * The plan form's model and its mapping to the API bodies: a new plan (`PlanCreate`), new names
 * (`PlanUpdate`, only what changed), a new version (`VersionCreate`) and a preview
 * (`PreviewRequest`). Every figure stays the string that was typed, normalised (spaces and
 * thousands separators dropped), never a number.
 */
import {
  type PlanCreate,
  type PlanDocument,
  type PlanPublic,
  type PlanTerms,
  type PlanUpdate,
  type PreviewRequest,
  type PricingMode,
  type Tier,
  type VersionCreate,
  type VersionPublic,
  TIERED_MODES,
} from '@/api/pricing';
import {
  AMOUNT_RULE,
  decimalProblem,
  isPositive,
  normalizeDecimalInput,
  QUANTITY_RULE,
  UNIT_PRICE_RULE,
  type DecimalRule,
  decimalMessage,
  percentMessage,
} from '@/utils/decimal';
import { validateTiers, type TierProblem } from './tiers';
import type { FieldMessage } from '@/utils/form-errors';
import { textOrNull } from '@/utils/text';

/** One row of the tiers editor; the last row is open-ended whatever its `up_to` says. */
export interface TierRow {
  /** stable row key for the editor */
  key: number;
  up_to: string;
  unit_price: string;
  flat_fee: string;
}

/** The terms part of the form (a plan version). */
export interface TermsModel {
  mode: PricingMode;
  unit_price: string;
  tiers: TierRow[];
  package_size: string;
  package_price: string;
  monthly_fee: string;
  included_quantity: string;
  minimum_amount: string;
}

/** What the plan drawer writes: a new plan, new names, or a new version. */
export type PlanFormMode = 'create' | 'edit' | 'version';

export interface PlanFormModel extends TermsModel {
  code: string;
  name: string;
  description: string;
  metric: string | undefined;
  /** first day of version 1 (blank = today on the backend) */
  effective_from: string | undefined;
}

let nextKey = 1;
export function tierRow(values: Partial<Omit<TierRow, 'key'>> = {}): TierRow {
  nextKey += 1;
  return {
    key: nextKey,
    up_to: values.up_to ?? '',
    unit_price: values.unit_price ?? '',
    flat_fee: values.flat_fee ?? '0',
  };
}

/** Two tiers to start from: one bounded, the last one open-ended. */
export function defaultTiers(): TierRow[] {
  return [tierRow(), tierRow()];
}

export function emptyTerms(mode: PricingMode = 'per_unit'): TermsModel {
  return {
    mode,
    unit_price: '',
    tiers: defaultTiers(),
    package_size: '',
    package_price: '',
    monthly_fee: '0',
    included_quantity: '0',
    minimum_amount: '0',
  };
}

export function emptyPlanModel(): PlanFormModel {
  return {
    code: '',
    name: '',
    description: '',
    metric: undefined,
    effective_from: undefined,
    ...emptyTerms(),
  };
}

/** The terms of a stored version, to start a new version from. */
export function termsFromVersion(version: VersionPublic): TermsModel {
  const tiered = TIERED_MODES.includes(version.mode);
  return {
    mode: version.mode,
    unit_price: version.unit_price ?? '',
    tiers:
      tiered && version.tiers.length
        ? version.tiers.map((tier) =>
            tierRow({ up_to: tier.up_to ?? '', unit_price: tier.unit_price, flat_fee: tier.flat_fee ?? '0' }),
          )
        : defaultTiers(),
    package_size: version.package_size ?? '',
    package_price: version.package_price ?? '',
    monthly_fee: version.monthly_fee,
    included_quantity: version.included_quantity,
    minimum_amount: version.minimum_amount,
  };
}

/** Adds a tier at the end: the former last tier gets a bound to fill in, the new one is open-ended. */
export function addTier(rows: TierRow[]): TierRow[] {
  const copy = rows.map((row) => ({ ...row }));
  if (copy.length) copy[copy.length - 1].up_to = '';
  return [...copy, tierRow()];
}

/** Removes a tier (never the only one); the new last tier becomes open-ended. */
export function removeTier(rows: TierRow[], index: number): TierRow[] {
  if (rows.length <= 1 || index < 0 || index >= rows.length) return rows;
  return rows.filter((_, i) => i !== index);
}

function decimalOrNull(value: string): string | null {
  const clean = normalizeDecimalInput(value);
  return clean === '' ? null : clean;
}

/** The tiers as the API takes them: exact strings, the last `up_to` null, a blank flat fee "0". */
export function tiersOf(rows: readonly TierRow[]): Tier[] {
  return rows.map((row, index) => ({
    up_to: index === rows.length - 1 ? null : decimalOrNull(row.up_to),
    unit_price: normalizeDecimalInput(row.unit_price),
    flat_fee: normalizeDecimalInput(row.flat_fee) || '0',
  }));
}

/** The terms body: only the fields of the mode (the backend refuses a stray price). */
export function toPlanTerms(model: TermsModel): PlanTerms {
  const terms: PlanTerms = {
    mode: model.mode,
    monthly_fee: normalizeDecimalInput(model.monthly_fee) || '0',
    included_quantity: normalizeDecimalInput(model.included_quantity) || '0',
    minimum_amount: normalizeDecimalInput(model.minimum_amount) || '0',
  };
  if (model.mode === 'per_unit') terms.unit_price = decimalOrNull(model.unit_price);
  if (TIERED_MODES.includes(model.mode)) terms.tiers = tiersOf(model.tiers);
  if (model.mode === 'package') {
    terms.package_size = decimalOrNull(model.package_size);
    terms.package_price = decimalOrNull(model.package_price);
  }
  return terms;
}

/** A plan document for a preview; the metric does not change the price, so any valid code will do. */
export function toPlanDocument(model: TermsModel, metric: string | null | undefined): PlanDocument {
  return { metric: metric || 'preview', ...toPlanTerms(model) };
}

/** `POST /pricing-plans`: the plan's names plus its document; a blank date means today. */
export function toPlanCreateBody(model: PlanFormModel): PlanCreate {
  const body: PlanCreate = {
    code: model.code.trim(),
    name: model.name.trim(),
    ...toPlanDocument(model, model.metric),
  };
  const description = textOrNull(model.description);
  if (description) body.description = description;
  if (model.effective_from) body.effective_from = model.effective_from;
  return body;
}

/** `PATCH /pricing-plans/{id}`: only what differs from `original` (a cleared description is null). */
export function toPlanUpdateBody(
  model: Pick<PlanFormModel, 'name' | 'description'>,
  original: Pick<PlanPublic, 'name' | 'description'>,
): PlanUpdate {
  const body: PlanUpdate = {};
  const name = model.name.trim();
  if (name && name !== original.name) body.name = name;
  const description = textOrNull(model.description);
  if (description !== (original.description ?? null)) body.description = description;
  return body;
}

/** `POST /pricing-plans/{id}/versions`: the terms from `effective_from` (blank = today). */
export function toVersionBody(model: TermsModel, effectiveFrom: string | null | undefined): VersionCreate {
  const body: VersionCreate = { ...toPlanTerms(model) };
  if (effectiveFrom) body.effective_from = effectiveFrom;
  return body;
}

// --- checks -----------------------------------------------------------------------------------------------
export type TermsField =
  'unit_price' | 'package_size' | 'package_price' | 'monthly_fee' | 'included_quantity' | 'minimum_amount';

export interface TermsProblems {
  fields: Partial<Record<TermsField, FieldMessage>>;
  tiers: TierProblem[];
}

function check(value: string, rule: DecimalRule, required: boolean): FieldMessage | null {
  if (normalizeDecimalInput(value) === '')
    return required ? { key: 'pricing.decimal.required', params: {} } : null;
  const problem = decimalProblem(value, rule);
  return problem ? decimalMessage(problem, rule) : null;
}

/** Every problem of the terms the backend would refuse (the mode's fields, the fees, the tiers). */
export function validateTerms(model: TermsModel): TermsProblems {
  const fields: TermsProblems['fields'] = {};
  const put = (field: TermsField, message: FieldMessage | null) => {
    if (message) fields[field] = message;
  };
  if (model.mode === 'per_unit') {
    put(
      'unit_price',
      normalizeDecimalInput(model.unit_price) === ''
        ? { key: 'pricing.rule.needsUnitPrice', params: {} }
        : check(model.unit_price, UNIT_PRICE_RULE, true),
    );
  }
  if (model.mode === 'package') {
    const size = check(model.package_size, QUANTITY_RULE, true);
    put(
      'package_size',
      size ?? (isPositive(model.package_size) ? null : { key: 'pricing.rule.packageSize', params: {} }),
    );
    put('package_price', check(model.package_price, UNIT_PRICE_RULE, true));
  }
  put('monthly_fee', check(model.monthly_fee, AMOUNT_RULE, false));
  put('included_quantity', check(model.included_quantity, QUANTITY_RULE, false));
  put('minimum_amount', check(model.minimum_amount, AMOUNT_RULE, false));
  const tiers = TIERED_MODES.includes(model.mode)
    ? validateTiers(toPlanTerms(model).tiers ?? [], model.mode)
    : [];
  return { fields, tiers };
}

export function hasProblems(problems: TermsProblems): boolean {
  return Object.keys(problems.fields).length > 0 || problems.tiers.length > 0;
}

// --- preview --------------------------------------------------------------------------------------------------
export interface PreviewInputs {
  quantity: string;
  /** blank = no discount */
  discount_percent: string;
  prorate: boolean;
  days_active: number | undefined;
  days_in_period: number | undefined;
  /** with a stored plan: the day whose version prices (blank = today) */
  on?: string | undefined;
}

export function emptyPreviewInputs(): PreviewInputs {
  return {
    quantity: '',
    discount_percent: '',
    prorate: false,
    days_active: undefined,
    days_in_period: undefined,
    on: undefined,
  };
}

/** What stops a preview from being asked (null: it can be asked). */
export function previewInputProblem(
  inputs: PreviewInputs,
): { field: 'quantity' | 'discount_percent' | 'days'; message: FieldMessage } | null {
  const quantity = check(inputs.quantity, QUANTITY_RULE, true);
  if (quantity) return { field: 'quantity', message: quantity };
  const discount = percentMessage(inputs.discount_percent);
  if (discount) return { field: 'discount_percent', message: discount };
  if (inputs.prorate) {
    const { days_active: active, days_in_period: period } = inputs;
    if (!active || !period)
      return { field: 'days', message: { key: 'pricing.preview.needDays', params: {} } };
    if (active > period)
      return { field: 'days', message: { key: 'pricing.preview.daysOrder', params: { days: period } } };
  }
  return null;
}

/** `POST /pricing/preview` for a plan document or a stored plan (exactly one of the two). */
export function toPreviewBody(
  inputs: PreviewInputs,
  plan: { document: PlanDocument } | { planId: number },
): PreviewRequest {
  const body: PreviewRequest = { quantity: normalizeDecimalInput(inputs.quantity) };
  if ('document' in plan) body.plan = plan.document;
  else {
    body.plan_id = plan.planId;
    if (inputs.on) body.on = inputs.on;
  }
  const discount = normalizeDecimalInput(inputs.discount_percent);
  if (discount) body.discount_percent = discount;
  if (inputs.prorate && inputs.days_active && inputs.days_in_period) {
    body.days_active = inputs.days_active;
    body.days_in_period = inputs.days_in_period;
  }
  return body;
}
