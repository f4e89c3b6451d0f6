import { afterEach, describe, expect, it } from 'vitest';
import { setLocale } from '@/locale';
import {
  agingChart,
  blockFailure,
  blockTestid,
  customerCharts,
  figureCards,
  highChurnQuery,
  monthToDate,
  movementsChart,
  trendChart,
  usageChart,
} from '@/views/dashboard/data';
import { dashboardAnswer } from '../helpers/analytics-fixtures';

afterEach(() => setLocale('zh-CN'));

type Series = { type: string; name: string; stack?: string; data: unknown[] };
const seriesOf = (option: unknown) => (option as { series: Series[] }).series;

describe('dashboard filters and blocks', () => {
  it('defaults to this month up to today and links the high churn customers of the board owner', () => {
    expect(monthToDate('2026-12-02')).toEqual(['2026-12-01', '2026-12-02']);
    expect(monthToDate('2027-01-31')).toEqual(['2027-01-01', '2027-01-31']);
    expect(highChurnQuery({ owner_id: null })).toEqual({ churn_level: 'high' });
    expect(highChurnQuery({ owner_id: 3 })).toEqual({ churn_level: 'high', owner_id: '3' });
  });

  it('tells a failed block by its null and its error message', () => {
    const board = dashboardAnswer({
      usage: null,
      top_customers: null,
      errors: [{ figure: 'usage', message: 'usage query timed out' }],
    });
    expect(blockFailure(board, 'usage')).toBe('usage query timed out');
    // null without a named error is unavailable all the same
    expect(blockFailure(board, 'top_customers')).toBe('');
    expect(blockFailure(board, 'aging')).toBeNull();
    expect(blockTestid('top_customers')).toBe('top-customers');
  });
});

describe('headline figures', () => {
  it('shows value, previous value and change, and whether the change is good news', () => {
    const cards = figureCards(dashboardAnswer().figures!);
    expect(cards.map((c) => c.name)).toEqual([
      'invoiced',
      'collected',
      'receivable',
      'overdue',
      'credit',
      'dso',
      'collection_rate',
    ]);
    const byName = Object.fromEntries(cards.map((c) => [c.name, c]));
    expect(byName.invoiced).toMatchObject({
      testid: 'dashboard-figure-invoiced',
      value: '¥ 1,000.00',
      previous: '上期 ¥ 800.00',
      change: '↑ 25.0%',
      tone: 'good',
      count: null,
    });
    expect(byName.collected).toMatchObject({ change: '↓ 25.0%', tone: 'bad' });
    // receivable and credit going up is neither good nor bad news
    expect(byName.receivable.tone).toBeNull();
    expect(byName.overdue).toMatchObject({
      value: '¥ 120.00',
      count: '3 张发票',
      previous: '上期 ¥ 0.00',
      change: '-',
      tone: null,
    });
    expect(byName.dso).toMatchObject({ value: '34.5 天', tone: 'bad', change: '↑ 15.0%' });
    expect(byName.collection_rate).toMatchObject({
      testid: 'dashboard-figure-collection-rate',
      value: '87.5%',
      previous: '上期 -',
    });
  });

  it('adds the previous range overdue invoices when the answer gives them', () => {
    const figures = dashboardAnswer().figures!;
    figures.overdue = { ...figures.overdue, previous: '40.00', previous_count: 1, change: '200.0' };
    const overdue = figureCards(figures).find((c) => c.name === 'overdue')!;
    expect(overdue).toMatchObject({ previous: '上期 ¥ 40.00 · 1 张发票', change: '↑ 200.0%', tone: 'bad' });
  });

  it('words the cards in English', () => {
    setLocale('en-US');
    const figures = dashboardAnswer().figures!;
    figures.collection_rate = { value: null, previous: null, change: null };
    const cards = figureCards(figures);
    expect(cards[0]).toMatchObject({ label: 'Invoiced', previous: 'previous ¥ 800.00' });
    expect(cards[3].count).toBe('3 invoices');
    expect(cards[5].value).toBe('34.5 days');
    expect(cards[6].value).toBe('-');
  });
});

describe('charts', () => {
  it('draws the five buckets in order, a missing one as 0, with the exact amounts in its table', () => {
    const { option, table } = agingChart([
      { bucket: '90+', amount: '100.00', count: 1 },
      { bucket: 'current', amount: '12345678901234.56', count: 4 },
    ]);
    expect((option as { xAxis: { data: string[] } }).xAxis.data).toEqual([
      '未到期',
      '逾期 1–30 天',
      '逾期 31–60 天',
      '逾期 61–90 天',
      '逾期 90 天以上',
    ]);
    expect(table.rows.map((r) => r.amount)).toEqual([
      '12,345,678,901,234.56',
      '0.00',
      '0.00',
      '0.00',
      '100.00',
    ]);
    expect(table.rows.map((r) => r.count)).toEqual([4, 0, 0, 0, 1]);
  });

  it('draws invoiced and collected as lines and the overdue at month end as bars', () => {
    const { option, table } = trendChart(dashboardAnswer().trend!);
    expect(seriesOf(option).map((s) => s.type)).toEqual(['line', 'line', 'bar']);
    expect(seriesOf(option)[2].data[11]).toBe(110);
    expect(table.rows).toHaveLength(12);
    expect(table.rows[0]).toEqual({
      month: '2026-01',
      invoiced: '1,000.00',
      collected: '900.00',
      overdue_at_month_end: '0.00',
    });
  });

  it('stacks gains above zero and losses below it, with the net as a line', () => {
    const { option, table } = movementsChart(dashboardAnswer().movements!);
    const series = seriesOf(option);
    expect(series.map((s) => s.name)).toEqual(['新增', '扩张', '回流', '收缩', '流失', '净变化']);
    expect(series.slice(0, 5).every((s) => s.stack === 'movement' && s.type === 'bar')).toBe(true);
    expect(series[3].data[0]).toBe(-80);
    expect(series[4].data[0]).toBe(-50);
    expect(series[5]).toMatchObject({ type: 'line' });
    expect(table.rows[0]).toMatchObject({ contraction: '-80.00 (2)', churned: '-50.00 (1)', net: '290.50' });
  });

  it('stacks the usage amount per metric and lists every quantity with its unit', () => {
    const { option, table } = usageChart(dashboardAnswer().usage!);
    expect((option as { xAxis: { data: string[] } }).xAxis.data).toEqual(['2026-11', '2026-12']);
    expect(seriesOf(option)).toHaveLength(1);
    expect(seriesOf(option)[0].data).toEqual([456, 40]);
    expect(table.rows[1]).toEqual({
      month: '2026-12',
      metric: 'API 调用',
      quantity: '10.5 次',
      amount: '40.00',
    });
  });

  it('counts the customers per status, level, tier and lifecycle with their labels', () => {
    const { pies, table } = customerCharts(dashboardAnswer().customers!, (code) => `${code}级`);
    expect(pies.map((p) => p.title)).toEqual(['按账号状态', '按客户等级', '按价值分层', '按生命周期']);
    const names = (i: number) =>
      (seriesOf(pies[i].option)[0].data as { name: string; value: number }[]).map(
        (d) => `${d.name}:${d.value}`,
      );
    expect(names(0)).toEqual(['正常:150', '试用:50']);
    expect(names(1)).toEqual(['A级:10', '未设置:190']);
    expect(names(2)).toEqual(['S 档:1', 'C 档:199']);
    expect(names(3)).toEqual(['新客户:20', '下滑:180']);
    expect(table.rows).toHaveLength(8);
  });
});
