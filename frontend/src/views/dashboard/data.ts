/**
 * The finance dashboard as the page draws it: the default range, which block is unavailable, the
 * headline cards (value, previous value, change as an arrow and whether that is good news), and
 * each chart's ECharts option with the same figures as a table. Amounts stay strings: the charts
 * draw floats, the tooltips and tables show the API's exact texts.
 */
import type { LocationQueryRaw } from 'vue-router';
import { t } from '@/locale';
import {
  AGING_BUCKETS,
  MOVEMENT_CATEGORIES,
  type AgingSlice,
  type CountBy,
  type CustomerBreakdown,
  type Dashboard,
  type DashboardBlock,
  type DashboardFigure,
  type DashboardFigures,
  type FigureName,
  type MovementCategory,
  type MovementMonth,
  type TrendMonth,
  type UsageMonth,
} from '@/types/analytics';
import type { ChartData, ChartOption, ChartTable } from '@/types/chart';
import {
  bucketLabel,
  changeDirection,
  changeText,
  lifecycleLabel,
  movementLabel,
  tierLabel,
  type ChangeDirection,
} from '@/utils/analytics';
import { axisFrame, chartValue, escapeHtml } from '@/utils/chart';
import { formatQuantity } from '@/utils/decimal';
import { formatMoney } from '@/utils/money';
import { customerStatusLabel } from '@/utils/status';

// --- filters ------------------------------------------------------------------------------------------
/** This month up to today: the board's default range, as the backend's. */
export function monthToDate(today: string): [string, string] {
  return [`${today.slice(0, 7)}-01`, today];
}

/** The customer list of the board's high churn risk customers (for the board's owner, if any). */
export function highChurnQuery(board: Pick<Dashboard, 'owner_id'>): LocationQueryRaw {
  return board.owner_id ? { churn_level: 'high', owner_id: String(board.owner_id) } : { churn_level: 'high' };
}

// --- blocks -------------------------------------------------------------------------------------------
/**
 * Why a block of the board is unavailable: null while it has its data; its error's message when
 * it is `null` (`''` when the answer names no error for it).
 */
export function blockFailure(board: Dashboard, block: DashboardBlock): string | null {
  if (board[block] !== null && board[block] !== undefined) return null;
  return board.errors?.find((error) => error.figure === block)?.message ?? '';
}

/** A block's test id part: `top_customers` → `top-customers`. */
export function blockTestid(block: DashboardBlock): string {
  return block.replaceAll('_', '-');
}

// --- headline figures ---------------------------------------------------------------------------------
export const FIGURES: readonly FigureName[] = [
  'invoiced',
  'collected',
  'receivable',
  'overdue',
  'credit',
  'dso',
  'collection_rate',
];

const KIND: Record<FigureName, 'money' | 'days' | 'percent'> = {
  invoiced: 'money',
  collected: 'money',
  receivable: 'money',
  overdue: 'money',
  credit: 'money',
  dso: 'days',
  collection_rate: 'percent',
};

/** Which way is good news: more invoiced and collected, less overdue and fewer days to collect. */
const BETTER: Record<FigureName, ChangeDirection | null> = {
  invoiced: 'up',
  collected: 'up',
  collection_rate: 'up',
  overdue: 'down',
  dso: 'down',
  receivable: null,
  credit: null,
};

/** A figure as shown: "¥ 1,000.00", "34.5 天", "87.5%"; '-' without a value. */
export function figureText(name: FigureName, value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '-';
  if (KIND[name] === 'money') return `¥ ${formatMoney(value)}`;
  if (KIND[name] === 'days') return t('dashboard.figure.days', { value });
  return `${value}%`;
}

export interface FigureCard {
  name: FigureName;
  testid: string;
  label: string;
  value: string;
  /** "上期 ¥ 800.00" */
  previous: string;
  /** "↑ 25.0%", '-' when there is nothing to compare with */
  change: string;
  direction: ChangeDirection | null;
  /** whether the change is good or bad news (null: neither, or no change) */
  tone: 'good' | 'bad' | null;
  /** the overdue invoices ("3 张发票"), only for the overdue card */
  count: string | null;
}

function toneOf(name: FigureName, direction: ChangeDirection | null): FigureCard['tone'] {
  const better = BETTER[name];
  if (!better || !direction || direction === 'flat') return null;
  return direction === better ? 'good' : 'bad';
}

function card(
  name: FigureName,
  figure: DashboardFigure & { count?: number; previous_count?: number | null },
) {
  const direction = changeDirection(figure.change);
  const counted = figure.count !== undefined;
  const previousCount =
    counted && figure.previous_count !== null && figure.previous_count !== undefined
      ? ` · ${t('dashboard.figure.overdueCount', { count: figure.previous_count })}`
      : '';
  return {
    name,
    testid: `dashboard-figure-${name.replaceAll('_', '-')}`,
    label: t(`dashboard.figure.${name}`),
    value: figureText(name, figure.value),
    previous: t('dashboard.figure.previous', { value: figureText(name, figure.previous) + previousCount }),
    change: changeText(figure.change),
    direction,
    tone: toneOf(name, direction),
    count: counted ? t('dashboard.figure.overdueCount', { count: figure.count ?? 0 }) : null,
  };
}

/** The headline cards in the board's order. */
export function figureCards(figures: DashboardFigures): FigureCard[] {
  return FIGURES.filter((name) => figures[name]).map((name) => card(name, figures[name]));
}

// --- charts -------------------------------------------------------------------------------------------
const money = (value: string | null | undefined) => `¥ ${formatMoney(value)}`;
const BUCKET_COLORS = ['#00b42a', '#f7ba1e', '#ff7d00', '#f53f3f', '#a1151e'];

/** The five buckets of days past due, each with its amount and invoices (a missing one as 0). */
export function agingChart(aging: readonly AgingSlice[]): ChartData {
  const slices = AGING_BUCKETS.map(
    (bucket) => aging.find((s) => s.bucket === bucket) ?? { bucket, amount: '0.00', count: 0 },
  );
  const labels = slices.map((s) => bucketLabel(s.bucket));
  const texts = slices.map((s) => `${money(s.amount)} · ${t('aging.invoices', { count: s.count })}`);
  const option: ChartOption = {
    ...axisFrame(labels, [texts], { grid: { top: 16 } }),
    series: [
      {
        type: 'bar',
        name: t('dashboard.aging.amount'),
        barMaxWidth: 48,
        data: slices.map((s, i) => ({ value: chartValue(s.amount), itemStyle: { color: BUCKET_COLORS[i] } })),
      },
    ],
  };
  const table: ChartTable = {
    columns: [
      { key: 'bucket', title: t('dashboard.aging.bucket') },
      { key: 'amount', title: t('dashboard.aging.amount'), numeric: true },
      { key: 'count', title: t('dashboard.aging.count'), numeric: true },
    ],
    rows: slices.map((s, i) => ({ bucket: labels[i], amount: formatMoney(s.amount), count: s.count })),
  };
  return { option, table };
}

/** Invoiced and collected per month as lines, the overdue at each month's end as bars. */
export function trendChart(trend: readonly TrendMonth[]): ChartData {
  const months = trend.map((m) => m.month);
  const fields = [
    { key: 'invoiced', title: t('dashboard.trend.invoiced') },
    { key: 'collected', title: t('dashboard.trend.collected') },
    { key: 'overdue_at_month_end', title: t('dashboard.trend.overdue') },
  ] as const;
  const option: ChartOption = {
    ...axisFrame(
      months,
      fields.map((f) => trend.map((m) => money(m[f.key]))),
      { legend: 'plain' },
    ),
    series: [
      { type: 'line', name: fields[0].title, data: trend.map((m) => chartValue(m.invoiced)) },
      { type: 'line', name: fields[1].title, data: trend.map((m) => chartValue(m.collected)) },
      {
        type: 'bar',
        name: fields[2].title,
        barMaxWidth: 24,
        itemStyle: { color: '#f53f3f', opacity: 0.6 },
        data: trend.map((m) => chartValue(m.overdue_at_month_end)),
      },
    ],
  };
  const table: ChartTable = {
    columns: [
      { key: 'month', title: t('analytics.month') },
      ...fields.map((f) => ({ key: f.key, title: f.title, numeric: true })),
    ],
    rows: trend.map((m) => ({
      month: m.month,
      invoiced: formatMoney(m.invoiced),
      collected: formatMoney(m.collected),
      overdue_at_month_end: formatMoney(m.overdue_at_month_end),
    })),
  };
  return { option, table };
}

/** Gains (new, expansion, reactivated) stack up, losses (contraction, churned) down; the net as a line. */
const MOVEMENT_ORDER: readonly MovementCategory[] = [
  'new',
  'expansion',
  'reactivated',
  'contraction',
  'churned',
];
const MOVEMENT_COLORS: Record<MovementCategory, string> = {
  new: '#00b42a',
  expansion: '#7bc616',
  reactivated: '#14c9c9',
  contraction: '#ff7d00',
  churned: '#f53f3f',
};

export function movementsChart(movements: readonly MovementMonth[]): ChartData {
  const months = movements.map((m) => m.month);
  const amountText = (m: MovementMonth, c: MovementCategory) =>
    `${money(m[c])} (${t('aging.customers', { count: m.counts?.[c] ?? 0 })})`;
  const texts = [
    ...MOVEMENT_ORDER.map((c) => movements.map((m) => amountText(m, c))),
    movements.map((m) => money(m.net)),
  ];
  const option: ChartOption = {
    ...axisFrame(months, texts, { legend: 'scroll' }),
    series: [
      ...MOVEMENT_ORDER.map((c) => ({
        type: 'bar' as const,
        name: movementLabel(c),
        stack: 'movement',
        barMaxWidth: 28,
        itemStyle: { color: MOVEMENT_COLORS[c] },
        data: movements.map((m) => chartValue(m[c])),
      })),
      {
        type: 'line' as const,
        name: movementLabel('net'),
        itemStyle: { color: '#165dff' },
        data: movements.map((m) => chartValue(m.net)),
      },
    ],
  };
  const table: ChartTable = {
    columns: [
      { key: 'month', title: t('analytics.month') },
      ...MOVEMENT_CATEGORIES.map((c) => ({ key: c, title: movementLabel(c), numeric: true })),
      { key: 'net', title: movementLabel('net'), numeric: true },
    ],
    rows: movements.map((m) => ({
      month: m.month,
      ...Object.fromEntries(
        MOVEMENT_CATEGORIES.map((c) => [c, `${formatMoney(m[c])} (${m.counts?.[c] ?? 0})`]),
      ),
      net: formatMoney(m.net),
    })),
  };
  return { option, table };
}

/** The amount invoiced per metric and month as stacked bars; the tooltip adds each quantity. */
export function usageChart(usage: readonly UsageMonth[]): ChartData {
  const months = [...new Set(usage.map((u) => u.month))].sort();
  const metrics = [...new Map(usage.map((u) => [u.metric_id, u])).values()].sort((a, b) =>
    a.metric_code.localeCompare(b.metric_code),
  );
  const cell = (metricId: number, month: string) =>
    usage.find((u) => u.metric_id === metricId && u.month === month);
  const quantityText = (u: UsageMonth) => `${formatQuantity(u.quantity)}${u.unit ? ` ${u.unit}` : ''}`;
  const texts = metrics.map((metric) =>
    months.map((month) => {
      const u = cell(metric.metric_id, month);
      return u ? `${money(u.amount)} · ${quantityText(u)}` : '-';
    }),
  );
  const option: ChartOption = {
    ...axisFrame(months, texts, { legend: 'scroll' }),
    series: metrics.map((metric) => ({
      type: 'bar' as const,
      name: metric.metric_name,
      stack: 'usage',
      barMaxWidth: 28,
      data: months.map((month) => chartValue(cell(metric.metric_id, month)?.amount)),
    })),
  };
  const rows = [...usage]
    .sort((a, b) => a.month.localeCompare(b.month) || a.metric_code.localeCompare(b.metric_code))
    .map((u) => ({
      month: u.month,
      metric: u.metric_name,
      quantity: quantityText(u),
      amount: formatMoney(u.amount),
    }));
  const table: ChartTable = {
    columns: [
      { key: 'month', title: t('analytics.month') },
      { key: 'metric', title: t('dashboard.usage.metric') },
      { key: 'quantity', title: t('dashboard.usage.quantity'), numeric: true },
      { key: 'amount', title: t('dashboard.usage.amount'), numeric: true },
    ],
    rows,
  };
  return { option, table };
}

// --- customers ----------------------------------------------------------------------------------------
export const CUSTOMER_DIMENSIONS = ['by_status', 'by_level', 'by_tier', 'by_lifecycle'] as const;
export type CustomerDimension = (typeof CUSTOMER_DIMENSIONS)[number];

export interface CustomerPie {
  dimension: CustomerDimension;
  title: string;
  option: ChartOption;
}

/** The label of a dimension's value (a level by its dictionary's label); null: not set. */
function valueLabel(dimension: CustomerDimension, key: string | null, levelLabel: (code: string) => string) {
  if (key === null || key === undefined || key === '') return t('analytics.notSet');
  if (dimension === 'by_status') return customerStatusLabel(key);
  if (dimension === 'by_level') return levelLabel(key);
  if (dimension === 'by_tier') return tierLabel(key);
  return lifecycleLabel(key);
}

/** The customers by status, level, value tier and lifecycle: a doughnut each, one table for all. */
export function customerCharts(
  customers: CustomerBreakdown,
  levelLabel: (code: string) => string = (code) => code,
): { pies: CustomerPie[]; table: ChartTable } {
  const entries = (dimension: CustomerDimension) =>
    ((customers[dimension] ?? []) as CountBy<string>[]).map((entry) => ({
      name: valueLabel(dimension, entry.key, levelLabel),
      value: entry.count,
    }));
  const pies = CUSTOMER_DIMENSIONS.map((dimension) => ({
    dimension,
    title: t(`dashboard.customers.${dimension}`),
    option: {
      tooltip: {
        trigger: 'item',
        confine: true,
        formatter: (p: unknown) => {
          const { name, value, percent } = p as { name: string; value: number; percent: number };
          return `${escapeHtml(name)}: <b>${value}</b> (${percent}%)`;
        },
      },
      legend: { bottom: 0, type: 'scroll' },
      series: [
        {
          type: 'pie',
          radius: ['38%', '62%'],
          center: ['50%', '42%'],
          label: { show: false },
          data: entries(dimension),
        },
      ],
    } satisfies ChartOption,
  }));
  const table: ChartTable = {
    columns: [
      { key: 'dimension', title: t('dashboard.customers.dimension') },
      { key: 'value', title: t('dashboard.customers.value') },
      { key: 'count', title: t('analytics.count'), numeric: true },
    ],
    rows: pies.flatMap((pie) =>
      entries(pie.dimension).map((entry) => ({
        dimension: pie.title,
        value: entry.name,
        count: entry.value,
      })),
    ),
  };
  return { pies, table };
}
