import type { CustomerAnalytics, Dashboard } from '@/types/analytics';

const MONTHS = [
  '2026-01',
  '2026-02',
  '2026-03',
  '2026-04',
  '2026-05',
  '2026-06',
  '2026-07',
  '2026-08',
  '2026-09',
  '2026-10',
  '2026-11',
  '2026-12',
];

/** A board as `GET /analytics/dashboard` answers it (issue 14 contract), every block present. */
export function dashboardAnswer(overrides: Partial<Dashboard> = {}): Dashboard {
  return {
    as_of: '2026-12-02',
    from: '2026-12-01',
    to: '2026-12-02',
    previous_from: '2026-11-29',
    previous_to: '2026-11-30',
    owner_id: null,
    scores_computed_at: '2026-12-02T05:00:03+08:00',
    figures: {
      invoiced: { value: '1000.00', previous: '800.00', change: '25.0' },
      collected: { value: '600.00', previous: '800.00', change: '-25.0' },
      receivable: { value: '5400.00', previous: '5000.00', change: '8.0' },
      credit: { value: '12.50', previous: '0.00', change: null },
      overdue: { value: '120.00', previous: '0.00', change: null, count: 3 },
      dso: { value: '34.5', previous: '30.0', change: '15.0' },
      collection_rate: { value: '87.5', previous: null, change: null },
    },
    aging: [
      { bucket: 'current', amount: '4000.00', count: 4 },
      { bucket: '1-30', amount: '800.00', count: 2 },
      { bucket: '31-60', amount: '300.00', count: 1 },
      { bucket: '61-90', amount: '200.00', count: 1 },
      { bucket: '90+', amount: '100.00', count: 1 },
    ],
    trend: MONTHS.map((month, i) => ({
      month,
      invoiced: `${1000 + i}.00`,
      collected: `${900 + i}.00`,
      overdue_at_month_end: `${i * 10}.00`,
    })),
    movements: MONTHS.map((month) => ({
      month,
      new: '300.00',
      expansion: '120.50',
      contraction: '-80.00',
      churned: '-50.00',
      reactivated: '0.00',
      net: '290.50',
      counts: { new: 1, expansion: 3, contraction: 2, churned: 1, reactivated: 0 },
    })),
    usage: [
      {
        month: '2026-11',
        metric_id: 1,
        metric_code: 'api_calls',
        metric_name: 'API 调用',
        unit: '次',
        quantity: '123.0000',
        amount: '456.00',
      },
      {
        month: '2026-12',
        metric_id: 1,
        metric_code: 'api_calls',
        metric_name: 'API 调用',
        unit: '次',
        quantity: '10.5000',
        amount: '40.00',
      },
    ],
    top_customers: [
      { customer_id: 1, customer_code: 'C001', company_name: '上海示例科技', invoiced: '800.00' },
      { customer_id: 2, customer_code: 'C002', company_name: '北京样例网络', invoiced: '200.00' },
    ],
    customers: {
      total: 200,
      high_churn_risk: 7,
      by_status: [
        { key: 'active', count: 150 },
        { key: 'trial', count: 50 },
      ],
      by_level: [
        { key: 'A', count: 10 },
        { key: null, count: 190 },
      ],
      by_industry: [{ key: 'it', count: 10 }],
      by_owner: [{ key: 3, label: '运营·演示', count: 10 }],
      by_tier: [
        { key: 'S', count: 1 },
        { key: 'C', count: 199 },
      ],
      by_lifecycle: [
        { key: 'new', count: 20 },
        { key: 'declining', count: 180 },
      ],
    },
    errors: [],
    ...overrides,
  };
}

/** A customer's analytics as `GET /customers/{id}/analytics` answers it. */
export function customerAnalyticsAnswer(overrides: Partial<CustomerAnalytics> = {}): CustomerAnalytics {
  return {
    customer_id: 7,
    as_of: '2026-12-02',
    usage_daily: [
      {
        metric_id: 1,
        metric_code: 'api_calls',
        metric_name: 'API 调用',
        unit: '次',
        points: [
          { day: '2026-11-30', quantity: '10.0000' },
          { day: '2026-12-01', quantity: '0.0000' },
          { day: '2026-12-02', quantity: '4.5000' },
        ],
      },
    ],
    usage_monthly: [
      {
        metric_id: 1,
        metric_code: 'api_calls',
        metric_name: 'API 调用',
        unit: '次',
        points: [
          { month: '2026-10', quantity: '100.0000', change: null },
          { month: '2026-11', quantity: '112.5000', change: '12.5' },
          { month: '2026-12', quantity: '14.5000', change: '-87.1' },
        ],
      },
    ],
    billing_monthly: [
      { month: '2026-10', invoiced: '1000.00', paid: '1000.00' },
      { month: '2026-11', invoiced: '1125.00', paid: '0.00' },
    ],
    payment_behaviour: {
      invoices_due: 12,
      on_time: 10,
      on_time_ratio: '83.3',
      average_days_late: '3.5',
      longest_overdue_days: 35,
      overdue_amount: '1125.00',
    },
    score: {
      score_day: '2026-12-02',
      computed_at: '2026-12-01T21:00:03Z',
      value_tier: 'A',
      trailing_invoiced: '12500.00',
      lifecycle: 'declining',
      churn: {
        score: 66,
        level: 'high',
        reasons: [
          { code: 'usage_drop', points: 31, message: 'usage −62% vs 3-month average', value: '-62.0' },
          { code: 'no_usage', points: 14, message: 'no usage for 14 days', value: '14' },
          {
            code: 'overdue',
            points: 20,
            message: '1 invoice overdue, the oldest 35 days',
            value: '35',
            count: 1,
            amount: '1125.00',
          },
        ],
      },
      credit: {
        score: 72,
        factors: [
          { code: 'on_time', points: 30, max_points: 35, value: '83.3', message: 'on time 83.3%' },
          { code: 'days_late', points: 15, max_points: 20, value: '3.5', message: '3.5 days late' },
          {
            code: 'overdue',
            points: 12,
            max_points: 20,
            value: '35',
            message: 'oldest overdue invoice 35 days past due',
          },
          { code: 'limit_use', points: 9, max_points: 15, value: '40.0', message: 'limit 40%' },
          { code: 'tenure', points: 6, max_points: 10, value: '420', message: 'customer for 420 days' },
        ],
      },
    },
    ...overrides,
  };
}
