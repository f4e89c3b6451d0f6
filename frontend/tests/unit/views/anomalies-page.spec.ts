import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { createMemoryHistory, createRouter } from 'vue-router';
import ArcoVue from '@arco-design/web-vue';
import ArcoVueIcon from '@arco-design/web-vue/es/icon';
import { useAuthStore } from '@/store/auth';
import AnomaliesPage from '@/views/usage/anomalies.vue';
import { resetSources } from '@/composables/useSources';
import { envelope, mockTheApi } from '../helpers/mock-adapter';
import { userWithRole } from '../helpers/fixtures';

const mock = mockTheApi();
let pinia: Pinia;
let wrapper: VueWrapper | undefined;

function anomaly(id: number, overrides: Record<string, unknown> = {}) {
  return {
    id,
    source_id: 1,
    kind: 'spike',
    status: 'open',
    external_account: `acct-${id}`,
    metric_code: 'api_calls',
    raw_day: '2026-01-05',
    raw_quantity: '99999',
    customer_id: 7,
    metric_id: 1,
    usage_day: '2026-01-05',
    quantity: '99999.0000',
    detail: 'over 10× the trailing average',
    corrected_quantity: null,
    resolution_reason: null,
    resolved_by: null,
    resolved_at: null,
    execution_id: 3,
    created_at: '2026-01-06T00:00:00Z',
    updated_at: '2026-01-06T00:00:00Z',
    ...overrides,
  };
}

beforeEach(() => {
  localStorage.clear();
  resetSources();
  mock.on('GET', '/usage-anomalies', {
    status: 200,
    data: { items: [anomaly(1), anomaly(2)], total: 2, page: 1, page_size: 20 },
  });
  mock.on('GET', '/data-sources', {
    status: 200,
    data: {
      items: [{ id: 1, name: 'vendor-a', adapter: 'http_json', is_enabled: true }],
      total: 1,
      page: 1,
      page_size: 200,
    },
  });
  pinia = createPinia();
  setActivePinia(pinia);
});

afterEach(() => {
  wrapper?.unmount();
  wrapper = undefined;
  document.body.innerHTML = '';
});

async function mountPage() {
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/customers/:id', name: 'customer-detail', component: { template: '<div />' } },
      { path: '/:p(.*)*', component: { template: '<div />' } },
    ],
  });
  await router.push('/usage-anomalies');
  wrapper = mount(AnomaliesPage, {
    global: { plugins: [pinia, router, ArcoVue, ArcoVueIcon] },
    attachTo: document.body,
  });
  await flushPromises();
  return wrapper;
}

describe('usage anomalies page', () => {
  it('lists open anomalies with their source and rejects the selected ones, showing a 409 as the backend words it', async () => {
    useAuthStore().user = userWithRole('operator', { permissions: ['usage:read', 'usage:review'] });
    const w = await mountPage();
    expect(mock.callsTo('GET', '/usage-anomalies')[0].params).toEqual({
      status: 'open',
      page: 1,
      page_size: 20,
    });
    expect(w.get('[data-testid="anomaly-table"]').text()).toContain('vendor-a');
    expect(w.get('[data-testid="anomaly-table"]').text()).toContain('99,999');

    // select every row, then reject with a reason
    await w.get('[data-testid="anomaly-table"] thead input[type="checkbox"]').setValue(true);
    await flushPromises();
    expect(w.get('[data-testid="anomaly-reject"]').attributes('disabled')).toBeUndefined();
    await w.get('[data-testid="anomaly-reject"]').trigger('click');
    await flushPromises();

    const submit = () =>
      (document.querySelector('[data-testid="review-submit"]') as HTMLButtonElement).click();
    submit(); // no reason yet: refused in the browser
    await flushPromises();
    expect(mock.callsTo('POST', '/usage-anomalies/actions')).toHaveLength(0);
    expect(document.body.textContent).toContain('请填写原因');

    mock.on('POST', '/usage-anomalies/actions', {
      status: 409,
      data: envelope('usage_anomaly_reviewed', 'already reviewed: anomaly 2'),
    });
    const reason = document.querySelector('[data-testid="review-reason"] textarea') as HTMLTextAreaElement;
    reason.value = '重复推送';
    reason.dispatchEvent(new Event('input'));
    await flushPromises();
    submit();
    await flushPromises();
    expect(mock.callsTo('POST', '/usage-anomalies/actions')[0].body).toEqual({
      ids: [1, 2],
      action: 'reject',
      reason: '重复推送',
    });
    await vi.waitFor(() =>
      expect(document.querySelector('[data-testid="review-error"]')?.textContent).toContain(
        'already reviewed: anomaly 2',
      ),
    );

    mock.on('POST', '/usage-anomalies/actions', {
      status: 200,
      data: { action: 'reject', affected: 2, written: 0 },
    });
    submit();
    await flushPromises();
    await vi.waitFor(() => expect(w.find('[data-testid="review-result"]').exists()).toBe(true));
    expect(w.get('[data-testid="review-result"]').text()).toContain('拒绝完成：2 条');
  });

  it('shows no review actions to a role without usage:review', async () => {
    useAuthStore().user = userWithRole('auditor', { permissions: ['usage:read'] });
    const w = await mountPage();
    expect(w.find('[data-testid="anomaly-accept"]').exists()).toBe(false);
    expect(w.find('[data-testid="anomaly-table"] thead input[type="checkbox"]').exists()).toBe(false);
  });
});
