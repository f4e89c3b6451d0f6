import { beforeEach, describe, expect, it } from 'vitest';
import { nextTick } from 'vue';
import { setLocale } from '@/locale';
import { resetCustomerOptions } from '@/composables/useCustomerOptions';
import RunSummary from '@/views/invoices/components/run-summary.vue';
import { mockTheApi } from '../helpers/mock-adapter';
import { mountedViews } from '../helpers/mount-view';

const mock = mockTheApi();
const { mountView } = mountedViews();

const SUMMARY = {
  execution_id: 7,
  status: 'success',
  period: '2026-03',
  invoices: 2,
  receivable_total: '300.00',
  skipped: 0,
  failed: 0,
  no_charge: 0,
  by_level: [{ level: 'A', invoices: 1, total: '100.00' }],
  by_industry: [
    { industry: 'healthcare', invoices: 1, total: '100.00' },
    { industry: null, invoices: 1, total: '200.00' },
  ],
};

describe("an invoice run's summary", () => {
  beforeEach(() => {
    resetCustomerOptions();
    mock.on('GET', '/dictionaries/level', { status: 500, data: {} });
    mock.on('GET', '/dictionaries/industry', { status: 500, data: {} });
    mock.on('GET', '/users/owners', { status: 200, data: { items: [] } });
  });

  it('names levels and industries by their label in the chosen language', async () => {
    const wrapper = await mountView(RunSummary, { props: { summary: SUMMARY } });
    expect(wrapper.text()).toContain('A级');
    expect(wrapper.text()).toContain('医疗');
    expect(wrapper.text()).not.toContain('healthcare');
    setLocale('en-US');
    await nextTick();
    expect(wrapper.text()).toContain('Level A');
    expect(wrapper.text()).toContain('Healthcare');
  });
});
