/**
 * The answers of the analytics endpoints (issue 14): the finance dashboard, the aging report and
 * its drill-down, a customer's analytics and scores. Money, quantities, percentages and day
 * counts with decimals travel as strings ("1234.50", "87.5") and stay strings; a block of the
 * dashboard that could not be computed is `null`, named in `errors[].figure` with its message.
 */
import type { Decimal, IsoDate, IsoDateTime, Money, Page, Period } from '@/api/types';

// --- segments and scores ----------------------------------------------------------------------------
/** Value tier from the trailing 12 months invoiced (S highest). */
export const VALUE_TIERS = ['S', 'A', 'B', 'C'] as const;
export type ValueTier = (typeof VALUE_TIERS)[number];

export const LIFECYCLES = ['new', 'growing', 'stable', 'declining', 'dormant', 'closed'] as const;
export type Lifecycle = (typeof LIFECYCLES)[number];

export const CHURN_LEVELS = ['none', 'watch', 'high'] as const;
export type ChurnLevel = (typeof CHURN_LEVELS)[number];

/** Why a churn score is what it is, each reason with its points and its number (`value`). */
export const CHURN_REASONS = ['usage_drop', 'no_usage', 'overdue', 'suspended', 'cheaper_plan'] as const;
export type ChurnReasonCode = (typeof CHURN_REASONS)[number];

/** The factors of a credit score; their points add up to the score. */
export const CREDIT_FACTORS = ['on_time', 'days_late', 'overdue', 'limit_use', 'tenure'] as const;
export type CreditFactorCode = (typeof CREDIT_FACTORS)[number];

/** Days past due of an open invoice. */
export const AGING_BUCKETS = ['current', '1-30', '31-60', '61-90', '90+'] as const;
export type AgingBucket = (typeof AGING_BUCKETS)[number];

/** How a customer's monthly invoiced amount moved against the month before. */
export const MOVEMENT_CATEGORIES = ['new', 'expansion', 'contraction', 'churned', 'reactivated'] as const;
export type MovementCategory = (typeof MOVEMENT_CATEGORIES)[number];

// --- dashboard ----------------------------------------------------------------------------------------
/** The blocks of the dashboard, each computed on its own (`errors[].figure` names a failed one). */
export const DASHBOARD_BLOCKS = [
  'figures',
  'aging',
  'trend',
  'movements',
  'usage',
  'top_customers',
  'customers',
] as const;
export type DashboardBlock = (typeof DASHBOARD_BLOCKS)[number];

/** A headline figure of the range with the one of the previous equal range. */
export interface DashboardFigure {
  /** null only for the collection rate of a range without anything invoiced */
  value: Decimal | null;
  previous: Decimal | null;
  /** relative change in percent ("25.0"); null when the previous value is 0 or null */
  change: Decimal | null;
}

export interface OverdueFigure extends DashboardFigure {
  /** overdue invoices */
  count: number;
  /** the overdue invoices of the previous range, when the answer gives them */
  previous_count?: number | null;
}

export interface DashboardFigures {
  invoiced: DashboardFigure;
  collected: DashboardFigure;
  receivable: DashboardFigure;
  credit: DashboardFigure;
  overdue: OverdueFigure;
  /** days sales outstanding */
  dso: DashboardFigure;
  /** percent of the invoiced that was collected */
  collection_rate: DashboardFigure;
}
export type FigureName = keyof DashboardFigures;

export interface AgingSlice {
  bucket: AgingBucket;
  amount: Money;
  /** open invoices in the bucket */
  count: number;
}

export interface TrendMonth {
  month: Period;
  invoiced: Money;
  collected: Money;
  overdue_at_month_end: Money;
}

export interface MovementMonth {
  month: Period;
  new: Money;
  expansion: Money;
  /** ≤ 0 */
  contraction: Money;
  /** ≤ 0 */
  churned: Money;
  reactivated: Money;
  net: Money;
  /** customers per category */
  counts: Record<MovementCategory, number>;
}

export interface UsageMonth {
  month: Period;
  metric_id: number;
  metric_code: string;
  metric_name: string;
  unit: string | null;
  quantity: Decimal;
  amount: Money;
}

export interface TopCustomer {
  customer_id: number;
  customer_code: string;
  company_name: string;
  invoiced: Money;
}

/** How many customers have a value (`key` null: none set). */
export interface CountBy<K = string> {
  key: K | null;
  count: number;
}

export interface OwnerCount extends CountBy<number> {
  label: string | null;
}

export interface CustomerBreakdown {
  total: number;
  high_churn_risk: number;
  by_status: CountBy[];
  by_level: CountBy[];
  by_industry: CountBy[];
  by_owner: OwnerCount[];
  by_tier: CountBy<ValueTier>[];
  by_lifecycle: CountBy<Lifecycle>[];
}

export interface BlockError {
  figure: DashboardBlock;
  message: string;
}

/** `GET /analytics/dashboard`. */
export interface Dashboard {
  as_of: IsoDate;
  from: IsoDate;
  to: IsoDate;
  previous_from: IsoDate;
  previous_to: IsoDate;
  /** the owner the board is scoped to; null: all customers */
  owner_id: number | null;
  scores_computed_at: IsoDateTime | null;
  figures: DashboardFigures | null;
  aging: AgingSlice[] | null;
  /** 12 months */
  trend: TrendMonth[] | null;
  /** 12 months */
  movements: MovementMonth[] | null;
  usage: UsageMonth[] | null;
  /** ≤ 10 */
  top_customers: TopCustomer[] | null;
  customers: CustomerBreakdown | null;
  errors: BlockError[];
}

/** Whose customers a board counts: everybody's, the signed-in user's, or one user's (id). */
export type OwnerScope = 'all' | 'me' | number;

export interface DashboardParams {
  from?: IsoDate | null;
  to?: IsoDate | null;
  /** default: `me` for operators (who may ask for nothing else), `all` for the other roles */
  owner?: OwnerScope | null;
}

// --- aging report --------------------------------------------------------------------------------------
/** What the customers owe per bucket of days past due. */
export interface AgingAmounts {
  current: Money;
  d1_30: Money;
  d31_60: Money;
  d61_90: Money;
  d90_plus: Money;
  total: Money;
}
export type AgingAmountField = keyof AgingAmounts;

export interface AgingBucketSummary {
  bucket: AgingBucket;
  invoices: number;
  outstanding: Money;
}

export interface AgingCustomerRow extends AgingAmounts {
  customer_id: number;
  customer_code: string;
  company_name: string;
}

export interface AgingTotals extends AgingAmounts {
  customers: number;
}

/** `GET /analytics/aging`: the buckets and totals of every customer, the rows one page at a time. */
export interface AgingReportPage extends Page<AgingCustomerRow> {
  as_of: IsoDate;
  buckets: AgingBucketSummary[];
  totals: AgingTotals;
}

/** The columns the aging report sorts by (prefixed `-` for descending; default `-total`). */
export const AGING_SORTS = [
  'customer_code',
  'company_name',
  'current',
  'd1_30',
  'd31_60',
  'd61_90',
  'd90_plus',
  'total',
] as const;
export type AgingSortField = (typeof AGING_SORTS)[number];

export interface AgingFilters {
  as_of?: IsoDate | null;
  owner?: OwnerScope | null;
  customer_id?: number | null;
}

export interface AgingParams extends AgingFilters {
  sort?: string | null;
  page?: number;
  page_size?: number;
}

/** An open invoice of the drill-down. */
export interface AgingInvoice {
  id: number;
  number: string;
  period: Period;
  issue_date: IsoDate;
  due_date: IsoDate;
  total: Money;
  outstanding: Money;
  status: string;
  days_past_due: number;
  bucket: AgingBucket;
}

/** `GET /analytics/aging/customers/{id}/invoices`. */
export interface AgingCustomerInvoices {
  as_of: IsoDate;
  customer_id: number;
  customer_code: string;
  company_name: string;
  items: AgingInvoice[];
}

// --- a customer's analytics ----------------------------------------------------------------------------
export interface MetricSeries<P> {
  metric_id: number;
  metric_code: string;
  metric_name: string;
  unit: string | null;
  points: P[];
}

export interface DailyPoint {
  day: IsoDate;
  quantity: Decimal;
}

export interface MonthlyPoint {
  month: Period;
  quantity: Decimal;
  /** against the month before, in percent; null when that month had none */
  change: Decimal | null;
}

export interface BillingMonth {
  month: Period;
  invoiced: Money;
  paid: Money;
}

export interface PaymentBehaviour {
  invoices_due: number;
  on_time: number;
  /** percent; null without invoices due */
  on_time_ratio: Decimal | null;
  average_days_late: Decimal | null;
  longest_overdue_days: number;
  overdue_amount: Money;
}

export interface ChurnReason {
  code: ChurnReasonCode;
  points: number;
  /** English; the page words its own text from `code` and `value` (and the reason's other numbers) */
  message: string;
  /** usage_drop: change in percent ("-62.0"); no_usage: days; overdue: the oldest's days past due;
   * cheaper_plan: the price change in percent at recent usage ("-20.0"); suspended: null */
  value: Decimal | null;
  /** overdue: how many invoices */
  count?: number;
  /** overdue: how much */
  amount?: Money;
  /** cheaper_plan: the plans moved between */
  from_plan?: string;
  to_plan?: string;
}

export interface CreditFactor {
  code: CreditFactorCode;
  points: number;
  max_points: number;
  /** on_time, limit_use: percent; days_late: average days; overdue: the oldest's days past due;
   * tenure: days as a customer; null when not measured (half marks) */
  value: Decimal | null;
  message: string;
}

export interface CustomerScore {
  score_day: IsoDate;
  computed_at: IsoDateTime;
  value_tier: ValueTier | null;
  trailing_invoiced: Money;
  lifecycle: Lifecycle | null;
  churn: { score: number; level: ChurnLevel; reasons: ChurnReason[] };
  credit: { score: number; factors: CreditFactor[] };
}

/** `GET /customers/{id}/analytics`. */
export interface CustomerAnalytics {
  customer_id: number;
  as_of: IsoDate;
  /** 90 days, every day (0 when none) */
  usage_daily: MetricSeries<DailyPoint>[];
  /** 13 months */
  usage_monthly: MetricSeries<MonthlyPoint>[];
  /** 13 months */
  billing_monthly: BillingMonth[];
  payment_behaviour: PaymentBehaviour;
  /** null until the nightly scoring has seen the customer */
  score: CustomerScore | null;
}

/** The scores a customer of the list carries (null until scored). */
export interface CustomerScoreFields {
  value_tier?: ValueTier | null;
  lifecycle?: Lifecycle | null;
  churn_score?: number | null;
  churn_level?: ChurnLevel | null;
  credit_score?: number | null;
  scored_on?: IsoDate | null;
}
