import { beforeEach, describe, expect, it } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import { useAuthStore } from '@/store/auth';
import { setLocale } from '@/locale';
import DashboardPage from '@/views/dashboard/index.vue';
import { envelope, mockTheApi } from '../helpers/mock-adapter';
import { userWithRole } from '../helpers/fixtures';
import { dashboardAnswer } from '../helpers/analytics-fixtures';
import { CHART_STUB, mountedViews } from '../helpers/mount-view';

// as the matrix gives them: finance sees every owner's customers, an operator only their own
const ANALYTICS_PERMISSIONS = {
  finance: ['analytics:read', 'analytics:all_owners'],
  operator: ['analytics:read'],
};

const mock = mockTheApi();
const { mountView } = mountedViews();

beforeEach(() => {
  mock.on('GET', '/users/owners', { status: 200, data: { items: [] } });
  mock.on('GET', '/dictionaries/level', { status: 200, data: { items: [] } });
  mock.on('GET', '/dictionaries/industry', { status: 200, data: { items: [] } });
});

async function mountBoard(role: 'finance' | 'operator' = 'finance') {
  useAuthStore().user = userWithRole(role, { id: 5, permissions: ANALYTICS_PERMISSIONS[role] });
  return mountView(DashboardPage, {
    routes: { any: '/:p(.*)*', customers: '/customers', 'customer-detail': '/customers/:id' },
    stubs: CHART_STUB,
  });
}

describe('dashboard', () => {
  it('asks for this month to date for all owners, and shows each figure with its previous value and change', async () => {
    mock.on('GET', '/analytics/dashboard', { status: 200, data: dashboardAnswer() });
    const w = await mountBoard();
    const params = mock.callsTo('GET', '/analytics/dashboard')[0].params as Record<string, string>;
    expect(params.owner).toBe('all');
    expect(params.from).toMatch(/^\d{4}-\d{2}-01$/);
    expect(params.to.slice(0, 7)).toBe(params.from.slice(0, 7));

    expect(w.get('[data-testid="dashboard-figure-invoiced-value"]').text()).toBe('¥ 1,000.00');
    expect(w.get('[data-testid="dashboard-figure-invoiced-previous"]').text()).toBe('上期 ¥ 800.00');
    const up = w.get('[data-testid="dashboard-figure-invoiced-change"]');
    expect(up.text()).toBe('↑ 25.0%');
    expect(up.classes()).toContain('good');
    const down = w.get('[data-testid="dashboard-figure-collected-change"]');
    expect(down.text()).toBe('↓ 25.0%');
    expect(down.classes()).toContain('bad');
    // more days to collect is bad news
    expect(w.get('[data-testid="dashboard-figure-dso-change"]').classes()).toContain('bad');
    expect(w.get('[data-testid="dashboard-figure-dso-value"]').text()).toBe('34.5 天');
    expect(w.get('[data-testid="dashboard-figure-overdue-count"]').text()).toBe('3 张发票');
    expect(w.get('[data-testid="dashboard-figure-collection-rate-value"]').text()).toBe('87.5%');
    expect(w.get('[data-testid="dashboard-figure-collection-rate-change"]').text()).toBe('-');
    for (const block of ['aging', 'trend', 'movements', 'usage', 'customers', 'top-customers']) {
      expect(w.find(`[data-testid="dashboard-block-${block}"]`).exists()).toBe(true);
    }
    expect(w.find('[data-testid^="dashboard-block-unavailable-"]').exists()).toBe(false);
    expect(w.get('[data-testid="dashboard-high-churn-count"]').text()).toBe('7');
    expect(w.get('[data-testid="dashboard-high-churn"]').attributes('href')).toBe(
      '/customers?churn_level=high',
    );
  });

  it('shows a failed block as unavailable with its message while the other blocks render', async () => {
    mock.on('GET', '/analytics/dashboard', {
      status: 200,
      data: dashboardAnswer({
        movements: null,
        figures: null,
        errors: [
          { figure: 'movements', message: '收入变动计算超时' },
          { figure: 'figures', message: 'figures failed' },
        ],
      }),
    });
    const w = await mountBoard();
    const movements = w.get('[data-testid="dashboard-block-movements"]');
    const placeholder = movements.get('[data-testid="dashboard-block-unavailable-movements"]');
    expect(placeholder.text()).toContain('暂不可用');
    expect(placeholder.text()).toContain('收入变动计算超时');
    expect(movements.find('.chart-stub').exists()).toBe(false);
    expect(w.get('[data-testid="dashboard-block-unavailable-figures"]').text()).toContain('figures failed');
    expect(w.find('[data-testid="dashboard-figure-invoiced"]').exists()).toBe(false);
    // the others still draw their charts
    expect(w.get('[data-testid="dashboard-block-aging"]').find('.chart-stub').exists()).toBe(true);
    expect(w.get('[data-testid="dashboard-block-trend"]').find('.chart-stub').exists()).toBe(true);
    expect(w.find('[data-testid="dashboard-block-unavailable-aging"]').exists()).toBe(false);
    expect(w.get('[data-testid="dashboard-top-customers-table"]').text()).toContain('C001');
  });

  it('shows a chart block as a table of the exact amounts', async () => {
    mock.on('GET', '/analytics/dashboard', { status: 200, data: dashboardAnswer() });
    const w = await mountBoard();
    const radios = w.get('[data-testid="dashboard-block-aging-view"]').findAll('input[type="radio"]');
    await radios[1].setValue(true);
    await flushPromises();
    const table = w.get('[data-testid="dashboard-block-aging-table"]');
    expect(table.text()).toContain('逾期 1–30 天');
    expect(table.text()).toContain('4,000.00');
  });

  it('holds an operator to their own customers and says in English when a block is unavailable', async () => {
    setLocale('en-US');
    mock.on('GET', '/analytics/dashboard', {
      status: 200,
      data: dashboardAnswer({ owner_id: 5, aging: null, errors: [{ figure: 'aging', message: 'timeout' }] }),
    });
    const w = await mountBoard('operator');
    expect((mock.callsTo('GET', '/analytics/dashboard')[0].params as Record<string, string>).owner).toBe(
      'me',
    );
    expect(w.get('[data-testid="dashboard-block-unavailable-aging"]').text()).toContain('Unavailable');
    expect(w.get('[data-testid="dashboard-high-churn"]').attributes('href')).toBe(
      '/customers?churn_level=high&owner_id=5',
    );
  });

  it('shows the error of a refused board', async () => {
    mock.on('GET', '/analytics/dashboard', {
      status: 422,
      data: envelope('validation_error', '统计区间不能超过 3 年'),
    });
    const w = await mountBoard();
    expect(w.get('[data-testid="dashboard-error"]').text()).toContain('统计区间不能超过 3 年');
  });
});
