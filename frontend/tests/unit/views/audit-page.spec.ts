import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { createMemoryHistory, createRouter, type Router } from 'vue-router';
import ArcoVue from '@arco-design/web-vue';
import ArcoVueIcon from '@arco-design/web-vue/es/icon';
import { useAuthStore } from '@/store/auth';
import type { AuditEntry } from '@/api/audit';
import AuditPage from '@/views/audit/list.vue';
import { mockTheApi } from '../helpers/mock-adapter';
import { userWithRole } from '../helpers/fixtures';

const mock = mockTheApi();
let pinia: Pinia;
let wrapper: VueWrapper | undefined;

beforeEach(() => {
  localStorage.clear();
  pinia = createPinia();
  setActivePinia(pinia);
});

afterEach(() => {
  wrapper?.unmount();
  wrapper = undefined;
  document.body.innerHTML = '';
});

function el(testid: string): HTMLElement | null {
  return document.body.querySelector(`[data-testid="${testid}"]`);
}

function entry(id: number, overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    id,
    occurred_at: '2026-03-01T08:05:00Z',
    actor: 'bob',
    actor_user_id: 2,
    action: 'allocate',
    entity_type: 'invoice',
    entity_id: '12',
    before: { outstanding: '1100.00', paid_amount: '0.00', total: '1100.00' },
    after: { outstanding: '100.00', paid_amount: '1000.00', total: '1100.00' },
    message: 'allocation 1',
    request_id: 'req-1',
    client_ip: '10.0.0.1',
    ...overrides,
  };
}

async function mountAt(path: string): Promise<Router> {
  useAuthStore().user = userWithRole('auditor', { permissions: ['audit:read'] });
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/audit-log', name: 'audit-log', component: AuditPage },
      { path: '/invoices/:id', name: 'invoice-detail', component: { template: '<div />' } },
      { path: '/:p(.*)*', name: 'any', component: { template: '<div />' } },
    ],
  });
  await router.push(path);
  wrapper = mount(
    { template: '<router-view />' },
    { global: { plugins: [pinia, router, ArcoVue, ArcoVueIcon] }, attachTo: document.body },
  );
  await flushPromises();
  return router;
}

describe('audit log page', () => {
  it('reads the filters a link names, and pages on with the cursor', async () => {
    mock.on('GET', '/audit-log/entity-types', { status: 200, data: { items: ['invoice', 'customer'] } });
    mock.on('GET', '/audit-log', (request) =>
      request.params?.cursor
        ? { status: 200, data: { items: [entry(3)], page_size: 50, next_cursor: null } }
        : { status: 200, data: { items: [entry(9), entry(5)], page_size: 50, next_cursor: 'abc' } },
    );

    await mountAt('/audit-log?entity_type=invoice&entity_id=12');

    const [first] = mock.callsTo('GET', '/audit-log');
    expect(first.params).toEqual({ entity_type: 'invoice', entity_id: '12', page_size: 50 });
    expect((el('audit-filter-entity-id') as HTMLInputElement).value).toBe('12');
    expect(document.body.querySelectorAll('[data-testid="audit-table"] tbody tr')).toHaveLength(2);

    // load more asks for the page after the cursor and appends it
    el('audit-load-more')!.click();
    await flushPromises();
    const [, second] = mock.callsTo('GET', '/audit-log');
    expect(second.params).toEqual({ entity_type: 'invoice', entity_id: '12', page_size: 50, cursor: 'abc' });
    expect(document.body.querySelectorAll('[data-testid="audit-table"] tbody tr')).toHaveLength(3);
    expect(el('audit-load-more')).toBeNull();
    expect(el('audit-end')).not.toBeNull();
  });

  it('opens the diff of an entry: changed fields only, amounts formatted, secrets masked', async () => {
    mock.on('GET', '/audit-log/entity-types', { status: 200, data: { items: [] } });
    mock.on('GET', '/audit-log', {
      status: 200,
      data: {
        items: [
          entry(9),
          entry(8, {
            action: 'update',
            entity_type: 'data_source',
            before: { secrets: '***' },
            after: { secrets: '***' },
          }),
        ],
        page_size: 50,
        next_cursor: null,
      },
    });
    await mountAt('/audit-log');

    el('audit-open-9')!.click();
    await flushPromises();
    expect(el('audit-diff-row-outstanding')!.textContent).toMatch(/1,100\.00\s*100\.00/);
    expect(el('audit-diff-row-paid_amount')!.textContent).toMatch(/0\.00\s*1,000\.00/);
    expect(el('audit-diff-row-total')).toBeNull();

    el('audit-open-8')!.click();
    await flushPromises();
    expect(el('audit-diff-row-secrets')!.textContent).not.toContain('***');
    expect(el('audit-diff-row-secrets')!.querySelectorAll('.arco-tag')).toHaveLength(2);
  });
});
