import { beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import { useAuthStore } from '@/store/auth';
import AgingPage from '@/views/analytics/aging.vue';
import { agingSort, agingTotalRow, bucketSummary, agingFilterParams } from '@/views/analytics/data';
import type { AgingReportPage } from '@/types/analytics';
import { mockTheApi } from '../helpers/mock-adapter';
import { userWithRole } from '../helpers/fixtures';
import { mountedViews } from '../helpers/mount-view';

// as the matrix gives them: finance sees every owner's customers, an operator only their own
const ANALYTICS_PERMISSIONS = {
  finance: ['analytics:read', 'analytics:all_owners'],
  operator: ['analytics:read'],
};

const mock = mockTheApi();
const { mountView } = mountedViews();

function report(overrides: Partial<AgingReportPage> = {}): AgingReportPage {
  return {
    as_of: '2026-12-02',
    buckets: [
      { bucket: 'current', invoices: 4, outstanding: '4000.00' },
      { bucket: '1-30', invoices: 2, outstanding: '800.00' },
      { bucket: '31-60', invoices: 1, outstanding: '300.00' },
      { bucket: '61-90', invoices: 1, outstanding: '200.00' },
      { bucket: '90+', invoices: 1, outstanding: '100.00' },
    ],
    totals: {
      current: '4000.00',
      d1_30: '800.00',
      d31_60: '300.00',
      d61_90: '200.00',
      d90_plus: '100.00',
      total: '5400.00',
      customers: 57,
    },
    items: [
      {
        customer_id: 1,
        customer_code: 'C001',
        company_name: '上海示例科技',
        current: '4000.00',
        d1_30: '0.00',
        d31_60: '300.00',
        d61_90: '0.00',
        d90_plus: '100.00',
        total: '4400.00',
      },
    ],
    total: 57,
    page: 1,
    page_size: 20,
    ...overrides,
  };
}

beforeEach(() => {
  mock.on('GET', '/users/owners', { status: 200, data: { items: [] } });
  mock.on('GET', '/dictionaries/level', { status: 200, data: { items: [] } });
  mock.on('GET', '/dictionaries/industry', { status: 200, data: { items: [] } });
  mock.on('GET', '/analytics/aging', { status: 200, data: report() });
});

async function mountPage(role: 'finance' | 'operator' = 'finance') {
  useAuthStore().user = userWithRole(role, { permissions: ANALYTICS_PERMISSIONS[role] });
  return mountView(AgingPage, {
    routes: {
      'analytics-aging': '/analytics/aging',
      'customer-detail': '/customers/:id',
      'invoice-detail': '/invoices/:id',
    },
    at: '/analytics/aging',
  });
}

const byTestid = (testid: string) => document.body.querySelector(`[data-testid="${testid}"]`) as HTMLElement;

describe('aging report page', () => {
  it('asks for today, all owners, largest total first, and shows the buckets, rows and the total row', async () => {
    await mountPage();
    const params = mock.callsTo('GET', '/analytics/aging')[0].params as Record<string, unknown>;
    expect(params).toMatchObject({ owner: 'all', sort: '-total', page: 1, page_size: 20 });
    expect(params.as_of).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(byTestid('aging-bucket-31-60-amount').textContent?.trim()).toBe('¥ 300.00');
    expect(byTestid('aging-bucket-total').textContent).toContain('5,400.00');
    expect(byTestid('aging-bucket-total').textContent).toContain('57 个客户');
    expect(byTestid('aging-customer-C001').textContent).toBe('C001');
    const footer = byTestid('aging-table').querySelector('tfoot');
    expect(footer?.textContent).toContain('合计');
    expect(footer?.textContent).toContain('5,400.00');
  });

  it('holds an operator to their own customers', async () => {
    await mountPage('operator');
    expect((mock.callsTo('GET', '/analytics/aging')[0].params as Record<string, unknown>).owner).toBe('me');
  });

  it('drills into a customer on the report day, linking each invoice to its page', async () => {
    mock.on('GET', '/analytics/aging/customers/1/invoices', {
      status: 200,
      data: {
        as_of: '2026-12-02',
        customer_id: 1,
        customer_code: 'C001',
        company_name: '上海示例科技',
        items: [
          {
            id: 9,
            number: 'INV-202610-00009',
            period: '2026-10',
            issue_date: '2026-10-01',
            due_date: '2026-10-31',
            total: '300.00',
            outstanding: '300.00',
            status: 'unsettled',
            days_past_due: 33,
            bucket: '31-60',
          },
        ],
      },
    });
    await mountPage();
    byTestid('aging-drill-C001').click();
    for (let i = 0; i < 3; i += 1) await flushPromises();
    expect(mock.callsTo('GET', '/analytics/aging/customers/1/invoices')[0].params).toEqual({
      as_of: '2026-12-02',
    });
    await vi.waitFor(() => expect(byTestid('aging-invoice-INV-202610-00009')).not.toBeNull());
    expect(byTestid('aging-invoice-INV-202610-00009').getAttribute('href')).toBe('/invoices/9');
    expect(byTestid('aging-invoices-table').textContent).toContain('逾期 31–60 天');
  });

  it('exports aging.xlsx with the filters on screen', async () => {
    mock.on('GET', '/analytics/aging.xlsx', { status: 200, data: new Blob(['x']) });
    const createObjectURL = vi.fn(() => 'blob:aging');
    Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() });
    await mountPage();
    byTestid('aging-export').click();
    for (let i = 0; i < 3; i += 1) await flushPromises();
    const call = mock.callsTo('GET', '/analytics/aging.xlsx')[0];
    expect(call.params).toMatchObject({ owner: 'all' });
    expect(call.params).not.toHaveProperty('sort');
    expect(call.params).not.toHaveProperty('page');
    expect(createObjectURL).toHaveBeenCalledTimes(1);
  });
});

describe('aging helpers', () => {
  it('sorts by the columns the report knows, largest total first otherwise', () => {
    expect(agingSort('d90_plus', 'descend')).toBe('-d90_plus');
    expect(agingSort('customer_code', 'ascend')).toBe('customer_code');
    expect(agingSort('total', '')).toBe('-total');
    expect(agingSort('owner', 'ascend')).toBe('-total');
  });

  it('sums up every bucket, a missing one from the totals, then the total with its customers', () => {
    const summary = bucketSummary(report({ buckets: report().buckets.slice(0, 4) }));
    expect(summary.map((b) => b.key)).toEqual(['current', '1-30', '31-60', '61-90', '90+', 'total']);
    expect(summary[4]).toMatchObject({ outstanding: '100.00', detail: '0 张发票' });
    expect(summary[5]).toMatchObject({ label: '合计', outstanding: '5,400.00', detail: '57 个客户' });
    expect(agingTotalRow(null)).toEqual([]);
    expect(agingTotalRow(report())[0]).toMatchObject({ total: '5400.00', summary: true });
    expect(agingFilterParams({ as_of: '', owner: 3, customer_id: null })).toEqual({
      as_of: null,
      owner: 3,
      customer_id: null,
    });
  });
});
