import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { createMemoryHistory, createRouter, RouterView, type Router } from 'vue-router';
import ArcoVue from '@arco-design/web-vue';
import ArcoVueIcon from '@arco-design/web-vue/es/icon';
import type { AxiosAdapter } from 'axios';
import http, { bindSession } from '@/api/http';
import { AUTH_STORAGE_KEY, useAuthStore } from '@/store/auth';
import { connectHttpSession } from '@/store/session';
import { routes } from '@/router';
import { setupRouterGuard } from '@/router/guard';
import { createMockAdapter } from '../helpers/mock-adapter';
import { userWithRole } from '../helpers/fixtures';

const originalAdapter = http.defaults.adapter;
let mock: ReturnType<typeof createMockAdapter>;
let pinia: Pinia;
let router: Router;
let wrapper: VueWrapper | undefined;

async function mountApp(path: string) {
  router = createRouter({ history: createMemoryHistory(), routes });
  setupRouterGuard(router, pinia);
  connectHttpSession(pinia, router);
  await router.push(path);
  await router.isReady();
  wrapper = mount(RouterView, {
    global: { plugins: [pinia, router, ArcoVue, ArcoVueIcon] },
    attachTo: document.body,
  });
  for (let i = 0; i < 3; i += 1) await flushPromises();
  return wrapper;
}

beforeEach(() => {
  localStorage.clear();
  localStorage.setItem(
    AUTH_STORAGE_KEY,
    JSON.stringify({ accessToken: 'acc-1', refreshToken: 'ref-1', expiresAt: null }),
  );
  mock = createMockAdapter();
  http.defaults.adapter = mock.adapter as AxiosAdapter;
  mock.on('GET', '/auth/me', { status: 200, data: userWithRole('finance', { display_name: '财务小王' }) });
  pinia = createPinia();
  setActivePinia(pinia);
});

afterEach(() => {
  wrapper?.unmount();
  wrapper = undefined;
  http.defaults.adapter = originalAdapter;
  bindSession(null);
});

describe('default layout', () => {
  it('shows the current user, role, menu and the dashboard', async () => {
    const w = await mountApp('/');
    expect(router.currentRoute.value.path).toBe('/dashboard');
    expect(w.get('[data-testid="current-user"]').text()).toBe('财务小王');
    expect(w.get('[data-testid="current-role"]').text()).toBe('财务');
    expect(w.get('[data-testid="side-menu"]').text()).toContain('工作台');
    expect(w.get('[data-testid="dashboard-title"]').text()).toBe('财务看板');
    expect(mock.callsTo('GET', '/auth/me')[0].headers.get('Authorization')).toBe('Bearer acc-1');
  });

  it('groups the menu by work, every group open, the dashboard first', async () => {
    // given a finance user; when the layout shows
    const w = await mountApp('/dashboard');
    const menu = w.get('[data-testid="side-menu"]');
    // then the groups follow the dashboard in their order, and their pages are in sight
    const groups = menu.findAll('[data-menu-group]').map((group) => group.attributes('data-menu-group'));
    expect(groups).toEqual(['customers', 'pricing-usage', 'invoices-payments', 'system-audit']);
    const titles = menu.findAll('.arco-menu-inline-header').map((header) => header.text());
    expect(titles).toEqual(['客户', '计费与用量', '账单与收款', '系统与审计']);
    expect(menu.text().indexOf('工作台')).toBeLessThan(menu.text().indexOf('客户'));
    expect(menu.get('[data-menu-group="invoices-payments"] [data-menu="invoices"]').isVisible()).toBe(true);
    // finance may not open the data sources (admin only): not listed
    expect(menu.find('[data-menu="data-sources"]').exists()).toBe(false);
  });

  it('logs out: revokes the refresh token, clears the session and shows the login page', async () => {
    mock.on('POST', '/auth/logout', { status: 204 });
    const w = await mountApp('/dashboard');
    await w.get('[data-testid="logout"]').trigger('click');
    for (let i = 0; i < 3; i += 1) await flushPromises();

    expect(mock.callsTo('POST', '/auth/logout')[0].body).toEqual({ refresh_token: 'ref-1' });
    expect(useAuthStore().isAuthenticated).toBe(false);
    expect(localStorage.getItem(AUTH_STORAGE_KEY)).toBeNull();
    // the login view is a lazily loaded chunk
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe('login'));
    await vi.waitFor(() => expect(w.find('[data-testid="login-username"]').exists()).toBe(true));
  });
});
