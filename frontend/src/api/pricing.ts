/**
 * Pricing (`/usage-metrics`, `/pricing-plans…`, `/subscriptions…`, `/pricing/preview`).
 *
 * The types mirror the backend's OpenAPI schemas of the same names (backend/opcms/pricing/schemas.py
 * and the plan document in backend/opcms/pricing/plan.py). Money, unit prices, quantities and
 * percentages travel as decimal strings ("0.010000", "10000", "12.50") and stay strings here: none
 * of them is ever turned into a JS number.
 */
import http, { collection, getData, getQuery, patchData, postData } from './http';
import type { Decimal, IsoDate, IsoDateTime, Page } from './types';
import { type PageParams } from './params';

export const PRICING_MODES = ['per_unit', 'graduated', 'volume', 'package'] as const;
export type PricingMode = (typeof PRICING_MODES)[number];
/** The modes priced by tiers. */
export const TIERED_MODES: readonly PricingMode[] = ['graduated', 'volume'];
/** `MAX_TIERS` of the backend's plan document. */
export const MAX_TIERS = 20;

// --- usage metrics ---------------------------------------------------------------------------------
/** Schema `UsageMetricPublic`. */
export interface UsageMetricPublic {
  id: number;
  code: string;
  name: string;
  unit: string;
  is_active: boolean;
  created_at: IsoDateTime;
  updated_at: IsoDateTime;
  created_by: string | null;
  updated_by: string | null;
}

/** Schema `UsageMetricPage`. */
export type UsageMetricPage = Page<UsageMetricPublic>;

/** Schema `UsageMetricCreate`: `code` is `^[a-z][a-z0-9_]{0,31}$`. */
export interface UsageMetricCreate {
  code: string;
  name: string;
  unit: string;
}

/** Schema `UsageMetricUpdate`. */
export interface UsageMetricUpdate {
  name?: string | null;
  unit?: string | null;
  /** false retires the metric: no new plans or subscriptions */
  is_active?: boolean | null;
}

export interface UsageMetricListParams extends PageParams {
  /** part of the code or name */
  q?: string | null;
  is_active?: boolean | null;
}

// --- plans and versions ------------------------------------------------------------------------------
/** Schema `Tier`: covers quantities in (previous up_to, up_to]. */
export interface Tier {
  /** inclusive upper bound; null for the last, open-ended tier */
  up_to: Decimal | null;
  unit_price: Decimal;
  /** charged once when the tier is reached */
  flat_fee?: Decimal;
}

/** Schema `PlanTerms`: the plan document without its metric (the body of a version). */
export interface PlanTerms {
  mode: PricingMode;
  /** per_unit only */
  unit_price?: Decimal | null;
  /** graduated and volume only */
  tiers?: Tier[] | null;
  /** package only: units per package, > 0 */
  package_size?: Decimal | null;
  /** package only */
  package_price?: Decimal | null;
  monthly_fee?: Decimal;
  included_quantity?: Decimal;
  minimum_amount?: Decimal;
}

/** Schema `PlanDocument` (DESIGN §5). */
export interface PlanDocument extends PlanTerms {
  metric: string;
}

/** Schema `PlanCreate`: a new plan and its version 1. */
export interface PlanCreate extends PlanDocument {
  code: string;
  name: string;
  description?: string | null;
  /** first day of version 1; default today (Asia/Shanghai) */
  effective_from?: IsoDate | null;
}

/** Schema `PlanUpdate`: names only (the terms change through a new version). */
export interface PlanUpdate {
  name?: string | null;
  description?: string | null;
}

/** Schema `VersionCreate`. */
export interface VersionCreate extends PlanTerms {
  metric?: string | null;
  /** default today (Asia/Shanghai) */
  effective_from?: IsoDate | null;
}

/** Schema `VersionPublic`. */
export interface VersionPublic {
  id: number;
  version: number;
  effective_from: IsoDate;
  mode: PricingMode;
  unit_price: Decimal | null;
  tiers: Tier[];
  package_size: Decimal | null;
  package_price: Decimal | null;
  monthly_fee: Decimal;
  included_quantity: Decimal;
  minimum_amount: Decimal;
  /** set when an invoice first used this version: it is frozen */
  billed_at: IsoDateTime | null;
  created_at: IsoDateTime;
  updated_at: IsoDateTime;
  created_by: string | null;
  updated_by: string | null;
}

/** Schema `VersionList`. */
export interface VersionList {
  items: VersionPublic[];
}

/** Schema `PlanPublic`. */
export interface PlanPublic {
  id: number;
  code: string;
  name: string;
  /** the metric's code */
  metric: string;
  metric_id: number;
  metric_name: string;
  unit: string;
  currency: string;
  description: string | null;
  /** the version in force today (Asia/Shanghai) */
  current_version: VersionPublic | null;
  /** the version that starts last */
  latest_version: VersionPublic | null;
  created_at: IsoDateTime;
  updated_at: IsoDateTime;
  created_by: string | null;
  updated_by: string | null;
}

/** Schema `PlanPage`. */
export type PlanPage = Page<PlanPublic>;

/** Schema `PlanDetail`. */
export interface PlanDetail extends PlanPublic {
  /** all versions, by effective_from */
  versions: VersionPublic[];
}

export interface PlanListParams extends PageParams {
  /** metric code */
  metric?: string | null;
  /** part of the code or name */
  q?: string | null;
}

// --- subscriptions -----------------------------------------------------------------------------------
/** Schema `SubscriptionCreate`. */
export interface SubscriptionCreate {
  customer_id: number;
  /** the metric is the plan's */
  plan_id: number;
  effective_from: IsoDate;
  /** last day, inclusive; null = open-ended */
  effective_to?: IsoDate | null;
  /** 0..100, two decimals, e.g. "10.00" */
  discount_percent?: Decimal;
  remark?: string | null;
}

/** Schema `SubscriptionUpdate`: only the fields sent change. */
export interface SubscriptionUpdate {
  effective_to?: IsoDate | null;
  discount_percent?: Decimal;
  remark?: string | null;
}

/** Schema `SubscriptionPublic`. */
export interface SubscriptionPublic {
  id: number;
  customer_id: number;
  customer_code: string;
  company_name: string;
  /** the metric's code */
  metric: string;
  metric_id: number;
  plan_id: number;
  plan_code: string;
  plan_name: string;
  effective_from: IsoDate;
  effective_to: IsoDate | null;
  discount_percent: Decimal;
  remark: string | null;
  created_at: IsoDateTime;
  updated_at: IsoDateTime;
  created_by: string | null;
  updated_by: string | null;
}

/** Schema `SubscriptionPage`. */
export type SubscriptionPage = Page<SubscriptionPublic>;

export interface SubscriptionListParams extends PageParams {
  customer_id?: number | null;
  /** metric code */
  metric?: string | null;
  plan_id?: number | null;
  /** subscriptions in force on this day */
  active_on?: IsoDate | null;
}

// --- preview -------------------------------------------------------------------------------------------
/** Schema `PreviewRequest`: exactly one of `plan` and `plan_id`. */
export interface PreviewRequest {
  plan?: PlanDocument | null;
  plan_id?: number | null;
  /** with plan_id: the day whose version prices; default today */
  on?: IsoDate | null;
  quantity: Decimal;
  /** prorate the monthly fee and minimum: days subscribed (1..31, with days_in_period) */
  days_active?: number | null;
  days_in_period?: number | null;
  discount_percent?: Decimal;
}

/** Schema `TierChargePublic`: one breakdown line. */
export interface TierChargePublic {
  tier: number;
  /** exclusive lower bound of the tier */
  from: Decimal;
  up_to: Decimal | null;
  quantity: Decimal;
  unit_price: Decimal;
  flat_fee: Decimal;
  amount: Decimal;
  /** package mode: packages charged */
  packages?: Decimal | null;
}

/** Schema `PreviewResponse`: `amount` is the line rounded once to 0.01 half up. */
export interface PreviewResponse {
  amount: Decimal;
  quantity: Decimal;
  billed_quantity: Decimal;
  included_quantity: Decimal;
  usage_amount: Decimal;
  monthly_fee: Decimal;
  minimum_amount: Decimal;
  minimum_top_up: Decimal;
  discount_percent: Decimal;
  discount: Decimal;
  proration: { days_active: number; days_in_period: number } | null;
  breakdown: TierChargePublic[];
  plan_id?: number | null;
  plan_version?: number | null;
  plan_version_id?: number | null;
}

// --- requests -------------------------------------------------------------------------------------------
export function listMetrics(params: UsageMetricListParams = {}): Promise<UsageMetricPage> {
  return getQuery('/usage-metrics', params);
}

/** 409 `usage_metric_duplicate` when the code is taken. */
export function createMetric(body: UsageMetricCreate): Promise<UsageMetricPublic> {
  return postData('/usage-metrics', body);
}

export function updateMetric(id: number, body: UsageMetricUpdate): Promise<UsageMetricPublic> {
  return patchData(`/usage-metrics/${id}`, body);
}

export function listPlans(params: PlanListParams = {}): Promise<PlanPage> {
  return getQuery('/pricing-plans', params);
}

const plans = collection<PlanDetail, PlanCreate, PlanUpdate>('/pricing-plans');
/** The plan and its version 1; 422 naming the tier when the tiers break a rule. */
export const createPlan = plans.create;
export const getPlan = plans.get;
export const updatePlan = plans.update;
/** Soft delete; 409 `pricing_plan_in_use` while a current or future subscription uses it. */
export const deletePlan = plans.remove;

export function listVersions(planId: number): Promise<VersionList> {
  return getData(`/pricing-plans/${planId}/versions`);
}

/**
 * New terms from `effective_from`: resolves to the version and whether it is new (201) or the
 * unbilled version of that date edited in place (200); 409 `version_billed` for a billed date.
 */
export async function addVersion(
  planId: number,
  body: VersionCreate,
): Promise<{ version: VersionPublic; created: boolean }> {
  const response = await http.post<VersionPublic>(`/pricing-plans/${planId}/versions`, body);
  return { version: response.data, created: response.status === 201 };
}

export function listSubscriptions(params: SubscriptionListParams = {}): Promise<SubscriptionPage> {
  return getQuery('/subscriptions', params);
}

const subscriptions = collection<SubscriptionPublic, SubscriptionCreate, SubscriptionUpdate>(
  '/subscriptions',
);
/** 409 `subscription_overlap` when its dates meet another subscription of the customer for the metric. */
export const createSubscription = subscriptions.create;
export const updateSubscription = subscriptions.update;
export const deleteSubscription = subscriptions.remove;

/** Prices a quantity; changes nothing (`pricing:preview`). */
export function previewPrice(body: PreviewRequest): Promise<PreviewResponse> {
  return postData('/pricing/preview', body);
}
