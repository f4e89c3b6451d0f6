import { describe, expect, it } from 'vitest';
import { ApiError } from '@/api/errors';
import {
  agingQuery,
  exportAging,
  getAging,
  getAgingInvoices,
  getCustomerAnalytics,
  getDashboard,
} from '@/api/analytics';
import { listCustomers } from '@/api/customers';
import { envelope, mockTheApi } from '../helpers/mock-adapter';
import { customerAnalyticsAnswer, dashboardAnswer } from '../helpers/analytics-fixtures';

const mock = mockTheApi();

describe('analytics requests', () => {
  it('asks for the board of a range and owner, leaving blanks to the backend, and keeps amounts as strings', async () => {
    mock.on('GET', '/analytics/dashboard', { status: 200, data: dashboardAnswer() });
    const board = await getDashboard({ from: '2026-12-01', to: '2026-12-02', owner: 'me' });
    expect(mock.callsTo('GET', '/analytics/dashboard')[0].params).toEqual({
      from: '2026-12-01',
      to: '2026-12-02',
      owner: 'me',
    });
    expect(board.figures?.invoiced.value).toBe('1000.00');
    await getDashboard({ from: '', to: null, owner: 3 });
    expect(mock.callsTo('GET', '/analytics/dashboard')[1].params).toEqual({ owner: 3 });
    await getDashboard();
    expect(mock.callsTo('GET', '/analytics/dashboard')[2].params).toEqual({});
  });

  it('turns a refused board into an ApiError with the backend message', async () => {
    mock.on('GET', '/analytics/dashboard', {
      status: 403,
      data: envelope('forbidden', 'operators may only see their own customers'),
    });
    const error = await getDashboard({ owner: 'all' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(403);
    expect((error as ApiError).message).toBe('operators may only see their own customers');
  });

  it('pages and sorts the aging report with the known parameters only', async () => {
    mock.on('GET', '/analytics/aging', {
      status: 200,
      data: { as_of: '2026-12-02', buckets: [], totals: {}, items: [], total: 0, page: 2, page_size: 50 },
    });
    await getAging({
      as_of: '2026-12-02',
      owner: 'all',
      customer_id: null,
      sort: '-d90_plus',
      page: 2,
      page_size: 50,
      ...({ unknown: 'x' } as object),
    });
    expect(mock.callsTo('GET', '/analytics/aging')[0].params).toEqual({
      as_of: '2026-12-02',
      owner: 'all',
      sort: '-d90_plus',
      page: 2,
      page_size: 50,
    });
    expect(agingQuery({ owner: 4, customer_id: 7, sort: 'total', page: 1 }, false)).toEqual({
      owner: 4,
      customer_id: 7,
    });
  });

  it('downloads aging.xlsx with the same filters and no paging or sort', async () => {
    mock.on('GET', '/analytics/aging.xlsx', {
      status: 200,
      data: new Blob(['x']),
      headers: { 'content-disposition': 'attachment; filename="aging-2026-12-02.xlsx"' },
    });
    const file = await exportAging({ as_of: '2026-12-02', owner: 'me', customer_id: 7 });
    expect(file.filename).toBe('aging-2026-12-02.xlsx');
    const call = mock.callsTo('GET', '/analytics/aging.xlsx')[0];
    expect(call.params).toEqual({ as_of: '2026-12-02', owner: 'me', customer_id: 7 });
    expect(call.responseType).toBe('blob');
    mock.on('GET', '/analytics/aging.xlsx', { status: 200, data: new Blob(['x']) });
    expect((await exportAging({ as_of: '2026-11-30' })).filename).toBe('aging-2026-11-30.xlsx');
  });

  it('drills into one customer on the report day and reads a customer analytics', async () => {
    mock.on('GET', '/analytics/aging/customers/7/invoices', {
      status: 200,
      data: { as_of: '2026-12-02', customer_id: 7, customer_code: 'C007', company_name: 'x', items: [] },
    });
    await getAgingInvoices(7, '2026-12-02');
    expect(mock.callsTo('GET', '/analytics/aging/customers/7/invoices')[0].params).toEqual({
      as_of: '2026-12-02',
    });
    await getAgingInvoices(7, null);
    expect(mock.callsTo('GET', '/analytics/aging/customers/7/invoices')[1].params).toEqual({});

    mock.on('GET', '/customers/7/analytics', { status: 200, data: customerAnalyticsAnswer() });
    const analytics = await getCustomerAnalytics(7);
    expect(analytics.score?.churn.level).toBe('high');
    expect(analytics.usage_monthly[0].points[1].change).toBe('12.5');
  });

  it('filters and sorts the customer list by the scores', async () => {
    mock.on('GET', '/customers', { status: 200, data: { items: [], total: 0, page: 1, page_size: 20 } });
    const byScores = {
      churn_level: 'high',
      value_tier: 'S',
      lifecycle: 'declining',
      credit_score_min: 0,
      credit_score_max: 60,
      sort: '-churn_score',
    } as const;
    await listCustomers(byScores);
    // sent as given: nothing dropped, renamed or turned into text
    expect(mock.callsTo('GET', '/customers')[0].params).toEqual(byScores);
  });
});
