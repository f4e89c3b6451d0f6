/**
 * The customer's usage chart, shaped from `GET /usage-records/daily`: one line per metric over
 * every day of the range (missing days are 0), and the month-to-date total per metric.
 *
 * Quantities are decimal strings and the totals are summed exactly (`sumDecimals` of the pricing
 * decimals): no total ever goes through a binary float. Only the chart's y values become numbers.
 * Days are `YYYY-MM-DD` strings, stepped in UTC so no time zone or DST shift can skip one.
 */
import { MAX_DAILY_USAGE_DAYS, type DailyUsage } from '@/api/usage';
import { sumDecimals } from '@/utils/decimal';

// --- days -------------------------------------------------------------------------------------------------
/** An inclusive range of days. */
export interface DayRange {
  from: string;
  to: string;
}

const DAY_MS = 86_400_000;

function dayMs(day: string): number {
  const [y, m, d] = day.split('-').map(Number);
  return Date.UTC(y, m - 1, d);
}

/** `day` moved by `n` days (negative: back). */
export function addDays(day: string, n: number): string {
  return new Date(dayMs(day) + n * DAY_MS).toISOString().slice(0, 10);
}

/** How many days the range holds, both ends included (0 when it is reversed). */
export function spanDays(range: DayRange): number {
  return Math.max(0, Math.round((dayMs(range.to) - dayMs(range.from)) / DAY_MS) + 1);
}

/** Every day of the range, in order. */
export function daysOf(range: DayRange): string[] {
  const days: string[] = [];
  for (let i = 0, n = spanDays(range); i < n; i += 1) days.push(addDays(range.from, i));
  return days;
}

/** The last `days` days up to and including `today`. */
export function lastDays(days: number, today: string): DayRange {
  return { from: addDays(today, -(Math.max(1, days) - 1)), to: today };
}

/** The first of today's month up to today. */
export function monthToDate(today: string): DayRange {
  return { from: `${today.slice(0, 7)}-01`, to: today };
}

/** Why the chart cannot ask for this range (null: fine): reversed, or more days than the API answers at once. */
export function rangeProblem(range: DayRange | null | undefined): 'missing' | 'reversed' | 'tooLong' | null {
  if (!range?.from || !range.to) return 'missing';
  if (range.from > range.to) return 'reversed';
  return spanDays(range) > MAX_DAILY_USAGE_DAYS ? 'tooLong' : null;
}

/**
 * The ranges to ask for: the chart's range and the month to date in one request when together
 * they fit into the API's limit, else the two separately (the chart's first, the month's last).
 */
export function usageRequests(chart: DayRange, month: DayRange): DayRange[] {
  const hull = {
    from: chart.from < month.from ? chart.from : month.from,
    to: chart.to > month.to ? chart.to : month.to,
  };
  return spanDays(hull) <= MAX_DAILY_USAGE_DAYS ? [hull] : [chart, month];
}

// --- chart and totals ------------------------------------------------------------------------------
export interface UsageSeries {
  /** metric code */
  metric: string;
  /** the exact quantity of every day of the range ("0" for a day without usage) */
  values: string[];
}

export interface UsageChartData {
  days: string[];
  series: UsageSeries[];
}

function inRange(item: DailyUsage, range: DayRange): boolean {
  return item.usage_day >= range.from && item.usage_day <= range.to;
}

/** Metric codes in a stable order: `order` first (e.g. the subscribed metrics), the rest by code. */
function orderedMetrics(codes: Iterable<string>, order: readonly string[]): string[] {
  const known = new Set(codes);
  const first = order.filter((code, i) => known.has(code) && order.indexOf(code) === i);
  const rest = [...known].filter((code) => !first.includes(code)).sort();
  return [...first, ...rest];
}

/**
 * One series per metric with usage in the range, a value for every day of it: days without a
 * row are "0", several rows of a day and metric are summed. No usage in the range: no series.
 */
export function usageChartData(
  items: readonly DailyUsage[],
  range: DayRange,
  order: readonly string[] = [],
): UsageChartData {
  const days = daysOf(range);
  const index = new Map(days.map((day, i) => [day, i]));
  const byMetric = new Map<string, string[][]>();
  for (const item of items) {
    const at = index.get(item.usage_day);
    if (at === undefined) continue;
    let perDay = byMetric.get(item.metric);
    if (!perDay) {
      perDay = days.map(() => []);
      byMetric.set(item.metric, perDay);
    }
    perDay[at].push(item.quantity);
  }
  const series = orderedMetrics(byMetric.keys(), order).map((metric) => ({
    metric,
    values: (byMetric.get(metric) ?? []).map((quantities) => sumDecimals(quantities)),
  }));
  return { days, series };
}

export interface MetricTotal {
  metric: string;
  /** exact, written plainly ("1234.5") */
  total: string;
}

/**
 * The exact total per metric over the range (the month to date): every metric with usage there,
 * and the `metrics` given (e.g. the subscribed ones) with "0" when they have none.
 */
export function usageTotals(
  items: readonly DailyUsage[],
  range: DayRange,
  metrics: readonly string[] = [],
): MetricTotal[] {
  const quantities = new Map<string, string[]>(metrics.map((metric) => [metric, []]));
  for (const item of items) {
    if (!inRange(item, range)) continue;
    const list = quantities.get(item.metric);
    if (list) list.push(item.quantity);
    else quantities.set(item.metric, [item.quantity]);
  }
  return orderedMetrics(quantities.keys(), metrics).map((metric) => ({
    metric,
    total: sumDecimals(quantities.get(metric) ?? []),
  }));
}

// --- subscriptions ----------------------------------------------------------------------------------
interface SubscriptionDates {
  metric: string;
  effective_from: string;
  effective_to: string | null;
}

/** The metrics of the subscriptions in force on some day of the range, in their order, once each. */
export function subscribedMetrics(subscriptions: readonly SubscriptionDates[], range: DayRange): string[] {
  const metrics: string[] = [];
  for (const s of subscriptions) {
    const overlaps =
      s.effective_from <= range.to && (s.effective_to === null || s.effective_to >= range.from);
    if (overlaps && !metrics.includes(s.metric)) metrics.push(s.metric);
  }
  return metrics;
}

/** The preset (in days) the range is, ending today, or null for a range picked by hand. */
export function presetOf(range: DayRange, today: string, presets: readonly number[]): number | null {
  if (range.to !== today) return null;
  return presets.find((days) => lastDays(days, today).from === range.from) ?? null;
}
