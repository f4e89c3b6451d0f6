import { beforeEach, describe, expect, it } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import { resetCustomerOptions } from '@/composables/useCustomerOptions';
import { setLocale } from '@/locale';
import { useAuthStore } from '@/store/auth';
import AnalyticsSection from '@/views/customers/components/analytics-section.vue';
import CustomerList from '@/views/customers/list.vue';
import {
  behaviourFacts,
  billingChart,
  dailyUsageChart,
  factorLines,
  lastMonthChanges,
  monthlyUsageChart,
  reasonLines,
} from '@/views/customers/analytics-data';
import { creditScoreRangeProblem, filtersFromQuery, scoreColumns } from '@/views/customers/data';
import { mockTheApi } from '../helpers/mock-adapter';
import { customer, userWithRole } from '../helpers/fixtures';
import { customerAnalyticsAnswer } from '../helpers/analytics-fixtures';
import { CHART_STUB, mountedViews } from '../helpers/mount-view';

const mock = mockTheApi();
const { mountView } = mountedViews();

beforeEach(() => {
  resetCustomerOptions();
});

type Series = { type: string; name: string; data: unknown[] };
const seriesOf = (option: unknown) => (option as { series: Series[] }).series;

describe('customer analytics helpers', () => {
  const answer = customerAnalyticsAnswer();

  it('draws the daily usage as a line per metric and the monthly one with its changes', () => {
    const daily = dailyUsageChart(answer.usage_daily);
    expect(seriesOf(daily.option)[0]).toMatchObject({ type: 'line', name: 'API 调用', data: [10, 0, 4.5] });
    expect(daily.table.rows[2]).toEqual({ day: '2026-12-02', metric: 'API 调用', quantity: '4.5 次' });
    const monthly = monthlyUsageChart(answer.usage_monthly);
    expect(seriesOf(monthly.option)[0].type).toBe('bar');
    expect(monthly.table.rows.map((r) => r.change)).toEqual(['-', '↑ 12.5%', '↓ 87.1%']);
    expect(lastMonthChanges(answer.usage_monthly)).toEqual([
      { metric: 'API 调用', month: '2026-12', quantity: '14.5 次', change: '↓ 87.1%', direction: 'down' },
    ]);
  });

  it('lists invoiced and paid per month and the payment behaviour facts', () => {
    const billing = billingChart(answer.billing_monthly);
    expect(seriesOf(billing.option).map((s) => s.data)).toEqual([
      [1000, 1125],
      [1000, 0],
    ]);
    expect(billing.table.rows[1]).toEqual({ month: '2026-11', invoiced: '1,125.00', paid: '0.00' });
    expect(behaviourFacts(answer.payment_behaviour).map((f) => `${f.label}=${f.value}`)).toEqual([
      '已到期发票=12',
      '按时付款=10',
      '按时付款率=83.3%',
      '平均逾期天数=3.5 天',
      '最长逾期天数=35 天',
      '当前逾期金额=¥ 1,125.00',
    ]);
    const none = behaviourFacts({
      ...answer.payment_behaviour,
      on_time_ratio: null,
      average_days_late: null,
    });
    expect(none[2].value).toBe('-');
    expect(none[3].value).toBe('-');
  });

  it('words the churn reasons and the credit factors in the chosen language', () => {
    expect(reasonLines(answer.score!).map((r) => r.text)).toEqual([
      '用量较近 3 个月均值下降 62%',
      '近 14 天无用量',
      '1 张发票逾期 35 天',
    ]);
    setLocale('en-US');
    expect(reasonLines(answer.score!)[0].text).toBe('usage −62% vs 3-month average');
    const factors = factorLines(answer.score!.credit.factors);
    expect(factors[0]).toEqual({
      code: 'on_time',
      label: 'On-time payments',
      value: '83.3%',
      points: '30 / 35 points',
      percent: 86,
    });
    expect(factors.map((f) => f.code)).toEqual(['on_time', 'days_late', 'overdue', 'limit_use', 'tenure']);
  });
});

describe('customer analytics section', () => {
  async function mountSection() {
    useAuthStore().user = userWithRole('finance', { permissions: ['analytics:read'] });
    return mountView(AnalyticsSection, { props: { customerId: 7 }, stubs: CHART_STUB });
  }

  it('shows the churn warning, credit factors and segment of a scored customer', async () => {
    mock.on('GET', '/customers/7/analytics', { status: 200, data: customerAnalyticsAnswer() });
    const w = await mountSection();
    expect(mock.callsTo('GET', '/customers/7/analytics')).toHaveLength(1);
    expect(w.get('[data-testid="customer-analytics-churn-score"]').text()).toBe('66');
    const level = w.get('[data-testid="customer-analytics-churn-level"]');
    expect(level.text()).toBe('高风险');
    expect(level.attributes('data-level')).toBe('high');
    expect(w.get('[data-testid="customer-analytics-reason-usage_drop"]').text()).toContain(
      '用量较近 3 个月均值下降 62%',
    );
    expect(w.get('[data-testid="customer-analytics-reason-overdue"]').text()).toContain('1 张发票逾期 35 天');
    expect(w.get('[data-testid="customer-analytics-credit-score"]').text()).toBe('72');
    expect(w.get('[data-testid="customer-analytics-factor-on_time-points"]').text()).toBe('30 / 35 分');
    expect(w.get('[data-testid="customer-analytics-tier"]').text()).toBe('A 档');
    expect(w.get('[data-testid="customer-analytics-lifecycle"]').text()).toBe('下滑');
    expect(w.get('[data-testid="customer-analytics-computed-at"]').text()).toContain('2026-12-02');
    expect(w.find('[data-testid="customer-analytics-not-scored"]').exists()).toBe(false);
    expect(w.get('[data-testid="customer-analytics-usage"]').find('.chart-stub').exists()).toBe(true);
  });

  it('says "not scored yet" before the first scoring, and switches the usage to months with their changes', async () => {
    mock.on('GET', '/customers/7/analytics', { status: 200, data: customerAnalyticsAnswer({ score: null }) });
    const w = await mountSection();
    expect(w.get('[data-testid="customer-analytics-not-scored"]').text()).toContain('尚未评分');
    expect(w.find('[data-testid="customer-analytics-scores"]').exists()).toBe(false);
    expect(w.find('[data-testid="customer-analytics-month-changes"]').exists()).toBe(false);
    const radios = w.get('[data-testid="customer-analytics-usage-mode"]').findAll('input[type="radio"]');
    await radios[1].setValue(true);
    await flushPromises();
    expect(w.get('[data-testid="customer-analytics-month-changes"]').text()).toContain('↓ 87.1%');
  });
});

describe('customer list scores', () => {
  it('reads the filters a link gives, leaving out unknown values', () => {
    expect(filtersFromQuery({ churn_level: 'high' })).toEqual({ churn_level: 'high' });
    expect(
      filtersFromQuery({ churn_level: 'extreme', value_tier: 'S', lifecycle: 'dormant', owner_id: '3' }),
    ).toEqual({ value_tier: 'S', lifecycle: 'dormant', owner_id: 3 });
    expect(filtersFromQuery({ owner_id: 'x' })).toEqual({});
  });

  it('checks a credit score range', () => {
    expect(creditScoreRangeProblem(undefined, 60)).toBeNull();
    expect(creditScoreRangeProblem(70, 60)).toBe('order');
    expect(creditScoreRangeProblem(-1, null)).toBe('range');
    expect(creditScoreRangeProblem(0, 100)).toBeNull();
  });

  it('has tier, lifecycle, churn and credit columns, churn and credit sorted by their scores', () => {
    const columns = scoreColumns();
    expect(columns.map((c) => c.title)).toEqual(['价值分层', '生命周期', '流失风险', '信用评分']);
    expect(columns.filter((c) => c.sortable).map((c) => c.dataIndex)).toEqual([
      'churn_score',
      'credit_score',
    ]);
  });

  it('opens filtered to ?churn_level=high and shows each row churn level as a coloured tag', async () => {
    mock.on('GET', '/users/owners', { status: 200, data: { items: [] } });
    mock.on('GET', '/dictionaries/level', { status: 200, data: { items: [] } });
    mock.on('GET', '/dictionaries/industry', { status: 200, data: { items: [] } });
    mock.on('GET', '/customers', {
      status: 200,
      data: {
        items: [
          customer({
            churn_level: 'high',
            churn_score: 66,
            credit_score: 41,
            value_tier: 'B',
            lifecycle: 'declining',
          }),
        ],
        total: 1,
        page: 1,
        page_size: 20,
      },
    });
    useAuthStore().user = userWithRole('finance', { permissions: ['customers:read'] });
    const wrapper = await mountView(CustomerList, {
      routes: { customers: '/customers', 'customer-detail': '/customers/:id' },
      at: '/customers?churn_level=high',
    });
    expect(mock.callsTo('GET', '/customers')[0].params).toMatchObject({ churn_level: 'high' });
    const tag = wrapper.get('[data-testid="customer-churn-C007"]');
    expect(tag.text()).toBe('高风险 · 66');
    expect(tag.attributes('data-level')).toBe('high');
    // the filter is shown with the value the link gave
    expect(wrapper.find('[data-testid="filter-churn-level"]').exists()).toBe(true);
  });
});
