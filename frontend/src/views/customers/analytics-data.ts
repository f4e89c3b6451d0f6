/**
 * A customer's analytics as its page draws them (`GET /customers/{id}/analytics`): usage per
 * metric by day (90 days) or by month (13 months, with the change against the month before),
 * invoiced and paid per month, the payment behaviour's facts, and the scores (churn reasons and
 * credit factors in the chosen language). Quantities and amounts stay strings: the charts draw
 * floats, tooltips and tables show the API's exact texts.
 */
import { t } from '@/locale';
import type {
  BillingMonth,
  CreditFactor,
  CustomerScore,
  DailyPoint,
  MetricSeries,
  MonthlyPoint,
  PaymentBehaviour,
} from '@/types/analytics';
import type { ChartData, ChartOption } from '@/types/chart';
import {
  changeDirection,
  changeText,
  churnReasonText,
  creditFactorLabel,
  creditFactorValue,
  factorPercent,
  type ChangeDirection,
} from '@/utils/analytics';
import { axisFrame, chartValue } from '@/utils/chart';
import { formatQuantity } from '@/utils/decimal';
import { formatMoney } from '@/utils/money';

export type UsageMode = 'daily' | 'monthly';

function quantityText(quantity: string, unit: string | null): string {
  return `${formatQuantity(quantity)}${unit ? ` ${unit}` : ''}`;
}

/** The categories of the chart: every day (or month) any metric has, in order. */
function categories<P>(series: readonly MetricSeries<P>[], key: (point: P) => string): string[] {
  return [...new Set(series.flatMap((s) => s.points.map(key)))].sort();
}

/** A line per metric over the 90 days (each day is in the answer, 0 when there was no usage). */
export function dailyUsageChart(series: readonly MetricSeries<DailyPoint>[]): ChartData {
  const days = categories(series, (p) => p.day);
  const at = (s: MetricSeries<DailyPoint>, day: string) => s.points.find((p) => p.day === day);
  const option: ChartOption = {
    ...axisFrame(
      days,
      series.map((s) => days.map((day) => quantityText(at(s, day)?.quantity ?? '0', s.unit))),
      { legend: 'scroll', grid: { bottom: 40 }, edgeToEdge: true },
    ),
    dataZoom: [{ type: 'inside' }, { type: 'slider', height: 18, bottom: 4 }],
    series: series.map((s) => ({
      type: 'line' as const,
      name: s.metric_name,
      showSymbol: false,
      data: days.map((day) => chartValue(at(s, day)?.quantity)),
    })),
  };
  return {
    option,
    table: {
      columns: [
        { key: 'day', title: t('customer.analytics.day') },
        { key: 'metric', title: t('customer.analytics.metric') },
        { key: 'quantity', title: t('customer.analytics.quantity'), numeric: true },
      ],
      rows: days.flatMap((day) =>
        series.map((s) => ({
          day,
          metric: s.metric_name,
          quantity: quantityText(at(s, day)?.quantity ?? '0', s.unit),
        })),
      ),
    },
  };
}

/** Bars per metric over the 13 months; the tooltip and the table add the change against the month before. */
export function monthlyUsageChart(series: readonly MetricSeries<MonthlyPoint>[]): ChartData {
  const months = categories(series, (p) => p.month);
  const at = (s: MetricSeries<MonthlyPoint>, month: string) => s.points.find((p) => p.month === month);
  const text = (s: MetricSeries<MonthlyPoint>, month: string) => {
    const point = at(s, month);
    if (!point) return '-';
    const change = changeText(point.change);
    return change === '-'
      ? quantityText(point.quantity, s.unit)
      : `${quantityText(point.quantity, s.unit)} (${change})`;
  };
  const option: ChartOption = {
    ...axisFrame(
      months,
      series.map((s) => months.map((month) => text(s, month))),
      { legend: 'scroll' },
    ),
    series: series.map((s) => ({
      type: 'bar' as const,
      name: s.metric_name,
      barMaxWidth: 24,
      data: months.map((month) => chartValue(at(s, month)?.quantity)),
    })),
  };
  return {
    option,
    table: {
      columns: [
        { key: 'month', title: t('analytics.month') },
        { key: 'metric', title: t('customer.analytics.metric') },
        { key: 'quantity', title: t('customer.analytics.quantity'), numeric: true },
        { key: 'change', title: t('customer.analytics.change'), numeric: true },
      ],
      rows: months.flatMap((month) =>
        series.map((s) => {
          const point = at(s, month);
          return {
            month,
            metric: s.metric_name,
            quantity: point ? quantityText(point.quantity, s.unit) : '-',
            change: changeText(point?.change),
          };
        }),
      ),
    },
  };
}

/** Invoiced and paid per month, side by side. */
export function billingChart(months: readonly BillingMonth[]): ChartData {
  const labels = months.map((m) => m.month);
  const money = (value: string) => `¥ ${formatMoney(value)}`;
  const option: ChartOption = {
    ...axisFrame(labels, [months.map((m) => money(m.invoiced)), months.map((m) => money(m.paid))], {
      legend: 'plain',
    }),
    series: [
      {
        type: 'bar',
        name: t('customer.analytics.invoiced'),
        barMaxWidth: 20,
        data: months.map((m) => chartValue(m.invoiced)),
      },
      {
        type: 'bar',
        name: t('customer.analytics.paid'),
        barMaxWidth: 20,
        itemStyle: { color: '#00b42a' },
        data: months.map((m) => chartValue(m.paid)),
      },
    ],
  };
  return {
    option,
    table: {
      columns: [
        { key: 'month', title: t('analytics.month') },
        { key: 'invoiced', title: t('customer.analytics.invoiced'), numeric: true },
        { key: 'paid', title: t('customer.analytics.paid'), numeric: true },
      ],
      rows: months.map((m) => ({
        month: m.month,
        invoiced: formatMoney(m.invoiced),
        paid: formatMoney(m.paid),
      })),
    },
  };
}

export interface BehaviourFact {
  key: string;
  label: string;
  value: string;
}

/** The payment behaviour's facts in the chosen language ('-' for a ratio without invoices due). */
export function behaviourFacts(behaviour: PaymentBehaviour): BehaviourFact[] {
  const days = (value: string | number | null) =>
    value === null || value === undefined ? '-' : t('analytics.unit.days', { days: value });
  const facts = [
    { key: 'invoicesDue', value: String(behaviour.invoices_due) },
    { key: 'onTime', value: String(behaviour.on_time) },
    { key: 'onTimeRatio', value: behaviour.on_time_ratio === null ? '-' : `${behaviour.on_time_ratio}%` },
    { key: 'averageDaysLate', value: days(behaviour.average_days_late) },
    { key: 'longestOverdue', value: days(behaviour.longest_overdue_days) },
    { key: 'overdueAmount', value: `¥ ${formatMoney(behaviour.overdue_amount)}` },
  ];
  return facts.map((fact) => ({ ...fact, label: t(`customer.analytics.${fact.key}`) }));
}

/** A churn reason as the page lists it: its words and its points. */
export interface ReasonLine {
  code: string;
  text: string;
  points: number;
}

export function reasonLines(score: Pick<CustomerScore, 'churn'>): ReasonLine[] {
  return score.churn.reasons.map((reason) => ({
    code: reason.code,
    text: churnReasonText(reason),
    points: reason.points,
  }));
}

/** A credit factor as the page draws it: label, what it measured, points of max and the bar's length. */
export interface FactorLine {
  code: string;
  label: string;
  value: string;
  points: string;
  percent: number;
}

export function factorLines(factors: readonly CreditFactor[]): FactorLine[] {
  return factors.map((factor) => ({
    code: factor.code,
    label: creditFactorLabel(factor.code),
    value: creditFactorValue(factor),
    points: t('customer.analytics.points', { points: factor.points, max: factor.max_points }),
    percent: factorPercent(factor),
  }));
}

/** The change of the last month against the one before, per metric (for the monthly view's figures). */
export function lastMonthChanges(
  series: readonly MetricSeries<MonthlyPoint>[],
): { metric: string; month: string; quantity: string; change: string; direction: ChangeDirection | null }[] {
  return series
    .filter((s) => s.points.length > 0)
    .map((s) => {
      const last = s.points[s.points.length - 1];
      return {
        metric: s.metric_name,
        month: last.month,
        quantity: quantityText(last.quantity, s.unit),
        change: changeText(last.change),
        direction: changeDirection(last.change),
      };
    });
}
