import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import ArcoVue, { Upload } from '@arco-design/web-vue';
import ArcoVueIcon from '@arco-design/web-vue/es/icon';
import type { AxiosAdapter } from 'axios';
import http, { bindSession } from '@/api/http';
import { useAuthStore } from '@/store/auth';
import ImportsPage from '@/views/imports/index.vue';
import { createMockAdapter } from '../helpers/mock-adapter';
import { userWithRole } from '../helpers/fixtures';

const originalAdapter = http.defaults.adapter;
let mock: ReturnType<typeof createMockAdapter>;
let pinia: Pinia;
let wrapper: VueWrapper | undefined;

const report = {
  total: 3,
  created: 2,
  updated: 0,
  unchanged: 0,
  skipped_blank: 0,
  failed: 1,
  errors: [{ row: 3, column: '联系电话', value: '12', reason: 'not a mainland mobile' }],
  ignored_columns: [],
};

function job(overrides: Record<string, unknown>) {
  return {
    id: 12,
    file_name: 'big.xlsx',
    file_size: 10,
    mode: 'upsert',
    status: 'pending',
    stage: 'queued',
    background: true,
    total: 3000,
    processed: 0,
    written: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    skipped_blank: 0,
    failed: 0,
    error_code: null,
    error_message: null,
    created_by: 'finance',
    created_at: '2026-01-01T00:00:00Z',
    started_at: null,
    finished_at: null,
    report: null,
    ...overrides,
  };
}

beforeEach(() => {
  localStorage.clear();
  mock = createMockAdapter();
  http.defaults.adapter = mock.adapter as AxiosAdapter;
  bindSession({ getAccessToken: () => 'acc-1', refresh: async () => {}, onSessionExpired: () => {} });
  mock.on('GET', '/imports', { status: 200, data: { items: [], total: 0, page: 1, page_size: 10 } });
  pinia = createPinia();
  setActivePinia(pinia);
});

afterEach(() => {
  wrapper?.unmount();
  wrapper = undefined;
  http.defaults.adapter = originalAdapter;
  bindSession(null);
  document.body.innerHTML = '';
});

async function mountPage() {
  wrapper = mount(ImportsPage, {
    global: { plugins: [pinia, ArcoVue, ArcoVueIcon] },
    attachTo: document.body,
  });
  await flushPromises();
  return wrapper;
}

describe('imports page', () => {
  it('uploads, follows a 202 import until it succeeds and shows its report', async () => {
    useAuthStore().user = userWithRole('finance', {
      permissions: ['customers:read', 'imports:read', 'imports:write'],
    });
    mock.on('POST', '/imports/customers', { status: 202, data: job({}) });
    const states = [
      job({ status: 'running', stage: 'reading', processed: 1500 }),
      job({ status: 'succeeded', stage: 'done', processed: 3000, ...report, total: 3, report }),
    ];
    mock.on('GET', '/imports/12', () => ({
      status: 200,
      data: states.length > 1 ? states.shift() : states[0],
    }));

    const w = await mountPage();
    const file = new File(['x'], 'big.xlsx');
    w.findComponent(Upload).vm.$emit('change', [{ uid: '1', name: 'big.xlsx', file }]);
    await flushPromises();
    expect(w.get('[data-testid="import-file"]').text()).toContain('big.xlsx');
    await w.get('[data-testid="import-mode"] [data-mode="upsert"] input').setValue(true);
    await w.get('[data-testid="import-submit"]').trigger('click');

    await vi.waitFor(() => expect(w.find('[data-testid="import-progress"]').exists()).toBe(true));
    const form = mock.callsTo('POST', '/imports/customers')[0].body as FormData;
    expect(form.get('mode')).toBe('upsert');
    await vi.waitFor(() => expect(w.get('[data-testid="import-progress"]').text()).toContain('1500 / 3000'), {
      timeout: 3000,
    });
    await vi.waitFor(() => expect(w.find('[data-testid="import-report"]').exists()).toBe(true), {
      timeout: 3000,
    });

    expect(w.find('[data-testid="import-progress"]').exists()).toBe(false);
    expect(w.get('[data-testid="report-created"]').text()).toContain('2');
    expect(w.get('[data-testid="report-failed"]').text()).toContain('1');
    expect(w.get('[data-testid="import-errors"]').text()).toContain('联系电话');
    expect(w.get('[data-testid="import-errors"]').text()).toContain('not a mainland mobile');
    expect(w.find('[data-testid="import-errors-download"]').exists()).toBe(true);
  });

  it('reports a validation as what an import would do, never as done', async () => {
    // given a finance user who validates a file of 3 new and 2 known customers
    useAuthStore().user = userWithRole('finance', {
      permissions: ['customers:read', 'imports:read', 'imports:write'],
    });
    const counts = { ...report, total: 5, created: 3, updated: 2, failed: 0, errors: [] };
    const done = job({ mode: 'validate', status: 'succeeded', stage: 'done', background: false, ...counts });
    mock.on('POST', '/imports/customers', { status: 200, data: { ...done, report: counts } });
    mock.on('GET', '/imports', { status: 200, data: { items: [done], total: 1, page: 1, page_size: 10 } });
    const w = await mountPage();
    w.findComponent(Upload).vm.$emit('change', [
      { uid: '1', name: 'list.xlsx', file: new File(['x'], 'list.xlsx') },
    ]);
    await flushPromises();
    // when it is validated (the default mode)
    await w.get('[data-testid="import-submit"]').trigger('click');
    await vi.waitFor(() => expect(w.find('[data-testid="import-report"]').exists()).toBe(true));
    await flushPromises();
    // then the report and the history say "would create 3, would update 2", and nowhere "新增 3"
    expect((mock.callsTo('POST', '/imports/customers')[0].body as FormData).get('mode')).toBe('validate');
    expect(w.get('[data-testid="report-validation"]').text()).toContain('将新增 3，将更新 2');
    expect(w.get('[data-testid="report-created"]').text()).toBe('3将新增');
    expect(w.get('[data-testid="report-updated"]').text()).toBe('2将更新');
    expect(w.get('[data-testid="import-history"]').text()).toContain('共 5，将新增 3，将更新 2，失败 0');
    expect(w.text()).not.toMatch(/(?<!将)新增 ?3/);
  });

  it('refuses a file that is not .xlsx before any upload', async () => {
    useAuthStore().user = userWithRole('operator', { permissions: ['imports:read', 'imports:write'] });
    const w = await mountPage();
    w.findComponent(Upload).vm.$emit('change', [
      { uid: '1', name: 'list.csv', file: new File(['a,b'], 'list.csv') },
    ]);
    await flushPromises();
    expect(w.get('[data-testid="import-error"]').text()).toContain('只能上传 .xlsx 文件');
    expect(w.find('[data-testid="import-file"]').exists()).toBe(false);
  });

  it('offers no upload to a role without imports:write', async () => {
    useAuthStore().user = userWithRole('auditor', { permissions: ['customers:read', 'imports:read'] });
    const w = await mountPage();
    expect(w.find('[data-testid="import-submit"]').exists()).toBe(false);
    expect(w.find('[data-testid="import-readonly"]').exists()).toBe(true);
    expect(w.find('[data-testid="import-template"]').exists()).toBe(true);
  });
});
