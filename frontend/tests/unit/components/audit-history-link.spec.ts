import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { createMemoryHistory, createRouter } from 'vue-router';
import ArcoVue from '@arco-design/web-vue';
import ArcoVueIcon from '@arco-design/web-vue/es/icon';
import { useAuthStore } from '@/store/auth';
import AuditHistoryLink from '@/components/audit-history-link.vue';
import { userWithRole } from '../helpers/fixtures';

let pinia: Pinia;
let wrapper: VueWrapper | undefined;

beforeEach(() => {
  pinia = createPinia();
  setActivePinia(pinia);
});

afterEach(() => {
  wrapper?.unmount();
  wrapper = undefined;
});

async function mounted(permissions: string[]) {
  useAuthStore().user = userWithRole('auditor', { permissions });
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/audit-log', name: 'audit-log', component: { template: '<div />' } },
      { path: '/:p(.*)*', name: 'any', component: { template: '<div />' } },
    ],
  });
  await router.push('/invoices/12');
  wrapper = mount(AuditHistoryLink, {
    props: { entityType: 'invoice', entityId: 12, testid: 'invoice-history' },
    global: { plugins: [pinia, router, ArcoVue, ArcoVueIcon] },
  });
  await flushPromises();
  return router;
}

describe('audit history link', () => {
  it('goes to the audit log filtered to the record for those who read the log', async () => {
    const router = await mounted(['audit:read']);
    await wrapper!.get('[data-testid="invoice-history"]').trigger('click');
    await flushPromises();
    expect(router.currentRoute.value.fullPath).toBe('/audit-log?entity_type=invoice&entity_id=12');
  });

  it('is not shown to anyone else', async () => {
    await mounted(['billing:read']);
    expect(wrapper!.find('[data-testid="invoice-history"]').exists()).toBe(false);
  });
});
