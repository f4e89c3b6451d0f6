import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { createMemoryHistory, createRouter, type RouteRecordRaw, type Router } from 'vue-router';
import { defineComponent } from 'vue';
import type { AxiosAdapter } from 'axios';
import http, { bindSession } from '@/api/http';
import type { Role } from '@/api/auth';
import { AUTH_STORAGE_KEY, useAuthStore } from '@/store/auth';
import { connectHttpSession } from '@/store/session';
import { buildMenu, canAccess, MENU_GROUPS, safeRedirect, setupRouterGuard } from '@/router/guard';
import { setLocale, t } from '@/locale';
import { appRoutes, routes as appRouteTable } from '@/router';
import { createMockAdapter, envelope } from '../helpers/mock-adapter';
import { userWithRole } from '../helpers/fixtures';

const Page = defineComponent({ render: () => null });

/** A route table shaped like the app's: public login, a layout whose children are modules. */
const layoutChildren: RouteRecordRaw[] = [
  { path: 'dashboard', name: 'dashboard', component: Page, meta: { title: 'Dashboard' } },
  { path: 'users', name: 'users', component: Page, meta: { title: 'Users', roles: ['admin'] } },
  {
    path: 'billing',
    name: 'billing',
    component: Page,
    meta: { title: 'Billing', roles: ['admin', 'finance'] },
    children: [
      { path: 'invoices', name: 'invoices', component: Page, meta: { title: 'Invoices' } },
      { path: 'refunds', name: 'refunds', component: Page, meta: { title: 'Refunds', roles: ['finance'] } },
      {
        path: 'invoices/:id',
        name: 'invoice-detail',
        component: Page,
        meta: { title: 'Invoice', hideInMenu: true },
      },
    ],
  },
  { path: '403', name: 'forbidden', component: Page, meta: { hideInMenu: true } },
];
const testRoutes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: Page, meta: { public: true } },
  { path: '/', component: Page, redirect: '/dashboard', children: layoutChildren },
  { path: '/:pathMatch(.*)*', name: 'not-found', component: Page, meta: { public: true } },
];

const originalAdapter = http.defaults.adapter;
let mock: ReturnType<typeof createMockAdapter>;
let pinia: Pinia;

function makeRouter(table: RouteRecordRaw[] = testRoutes): Router {
  const router = createRouter({ history: createMemoryHistory(), routes: table });
  setupRouterGuard(router, pinia);
  connectHttpSession(pinia, router);
  return router;
}

function loginAs(role: Role, { loaded = true } = {}) {
  localStorage.setItem(
    AUTH_STORAGE_KEY,
    JSON.stringify({ accessToken: 'acc', refreshToken: 'ref', expiresAt: null }),
  );
  pinia = createPinia();
  setActivePinia(pinia);
  const auth = useAuthStore();
  if (loaded) auth.user = userWithRole(role);
  mock.on('GET', '/auth/me', { status: 200, data: userWithRole(role) });
  return auth;
}

beforeEach(() => {
  localStorage.clear();
  mock = createMockAdapter();
  http.defaults.adapter = mock.adapter as AxiosAdapter;
  pinia = createPinia();
  setActivePinia(pinia);
});

afterEach(() => {
  http.defaults.adapter = originalAdapter;
  bindSession(null);
});

describe('route guard', () => {
  it('sends unauthenticated users to /login with the target as redirect', async () => {
    const router = makeRouter();
    await router.push('/billing/invoices?status=open');
    expect(router.currentRoute.value.name).toBe('login');
    expect(router.currentRoute.value.query.redirect).toBe('/billing/invoices?status=open');
    expect(mock.calls).toHaveLength(0);
  });

  it('lets anyone open public routes', async () => {
    const router = makeRouter();
    await router.push('/no/such/page');
    expect(router.currentRoute.value.name).toBe('not-found');
  });

  it('loads the current user once when only tokens are known, then allows the route', async () => {
    const auth = loginAs('finance', { loaded: false });
    const router = makeRouter();
    await router.push('/billing/invoices');
    expect(router.currentRoute.value.name).toBe('invoices');
    expect(auth.user?.role).toBe('finance');
    await router.push('/dashboard');
    expect(mock.callsTo('GET', '/auth/me')).toHaveLength(1);
  });

  it('routes to the 403 page when meta.roles excludes the role', async () => {
    loginAs('operator');
    const router = makeRouter();
    await router.push('/users');
    expect(router.currentRoute.value.name).toBe('forbidden');
    expect(router.currentRoute.value.query.from).toBe('/users');
    await router.push('/dashboard');
    expect(router.currentRoute.value.name).toBe('dashboard');
  });

  it('applies roles of parent records to their children', async () => {
    loginAs('operator');
    const router = makeRouter();
    await router.push('/billing/invoices');
    expect(router.currentRoute.value.name).toBe('forbidden');
  });

  it('combines parent and child roles', async () => {
    loginAs('admin');
    const router = makeRouter();
    await router.push('/billing/invoices');
    expect(router.currentRoute.value.name).toBe('invoices');
    await router.push('/billing/refunds'); // child restricts to finance only
    expect(router.currentRoute.value.name).toBe('forbidden');
    await router.push('/users');
    expect(router.currentRoute.value.name).toBe('users');
  });

  it('skips the login page for a logged-in user, honouring a safe redirect', async () => {
    loginAs('admin');
    const router = makeRouter();
    await router.push('/login?redirect=/users');
    expect(router.currentRoute.value.fullPath).toBe('/users');
    await router.push('/login?redirect=//evil.example.com');
    expect(router.currentRoute.value.fullPath).toBe('/dashboard');
  });

  it('clears a dead session and goes to /login when /auth/me and the refresh both fail', async () => {
    loginAs('admin', { loaded: false });
    mock.on('GET', '/auth/me', { status: 401, data: envelope('token_expired', 'expired') });
    mock.on('POST', '/auth/refresh', { status: 401, data: envelope('invalid_refresh_token', 'reused') });
    const router = makeRouter();
    await router.push('/users');
    expect(router.currentRoute.value.name).toBe('login');
    expect(router.currentRoute.value.query.redirect).toBe('/users');
    expect(useAuthStore().isAuthenticated).toBe(false);
    expect(localStorage.getItem(AUTH_STORAGE_KEY)).toBeNull();
  });
});

describe('canAccess', () => {
  const matched = (...roles: (Role[] | undefined)[]) =>
    ({
      matched: roles.map((r) => ({ meta: r ? { roles: r } : {} })),
    }) as unknown as Parameters<typeof canAccess>[0];

  it('requires every matched record to admit the role', () => {
    expect(canAccess(matched(undefined, ['admin']), 'admin')).toBe(true);
    expect(canAccess(matched(undefined, ['admin']), 'auditor')).toBe(false);
    expect(canAccess(matched(['admin', 'finance'], ['finance']), 'finance')).toBe(true);
    expect(canAccess(matched(['admin', 'finance'], ['finance']), 'admin')).toBe(false);
    expect(canAccess(matched(undefined, []), 'auditor')).toBe(true);
    expect(canAccess(matched(['admin']), null)).toBe(false);
  });
});

describe('buildMenu', () => {
  it('shows each role only what it may open', () => {
    const keys = (role: Role) =>
      buildMenu(layoutChildren, role).map((item) => [item.key, item.children?.map((c) => c.key) ?? []]);

    expect(keys('admin')).toEqual([
      ['/dashboard', []],
      ['/users', []],
      ['/billing', ['/billing/invoices']],
    ]);
    expect(keys('finance')).toEqual([
      ['/dashboard', []],
      ['/billing', ['/billing/invoices', '/billing/refunds']],
    ]);
    expect(keys('operator')).toEqual([['/dashboard', []]]);
  });

  it('drops groups whose children are all hidden for the role', () => {
    const records: RouteRecordRaw[] = [
      {
        path: 'system',
        component: Page,
        meta: { title: 'System' },
        children: [{ path: 'audit', component: Page, meta: { title: 'Audit', roles: ['auditor'] } }],
      },
    ];
    expect(buildMenu(records, 'operator')).toEqual([]);
    expect(buildMenu(records, 'auditor')[0].children?.[0]).toMatchObject({
      key: '/system/audit',
      title: 'Audit',
    });
  });
});

describe('buildMenu groups', () => {
  const grouped: RouteRecordRaw[] = [
    { path: 'dashboard', name: 'dashboard', component: Page, meta: { title: 'Dashboard' } },
    { path: 'customers', name: 'customers', component: Page, meta: { title: 'C', group: 'customers' } },
    { path: 'plans', name: 'plans', component: Page, meta: { title: 'P', group: 'pricing-usage' } },
    {
      path: 'jobs',
      name: 'jobs',
      component: Page,
      meta: { title: 'J', group: 'system-audit', roles: ['admin', 'auditor'] },
    },
    {
      path: 'users',
      name: 'users',
      component: Page,
      meta: { title: 'U', group: 'system-audit', roles: ['admin'] },
    },
    { path: 'invoices', name: 'invoices', component: Page, meta: { title: 'I', group: 'invoices-payments' } },
    { path: 'imports', name: 'imports', component: Page, meta: { title: 'M', group: 'customers' } },
  ];
  const shape = (role: Role) =>
    buildMenu(grouped, role).map((item) => [item.key, item.children?.map((c) => c.key) ?? []]);

  it('puts the dashboard first on its own, then the groups in their order', () => {
    // given pages of every group, declared in no particular order; when the admin's menu is built
    expect(shape('admin')).toEqual([
      ['/dashboard', []],
      ['group:customers', ['/customers', '/imports']],
      ['group:pricing-usage', ['/plans']],
      ['group:invoices-payments', ['/invoices']],
      ['group:system-audit', ['/jobs', '/users']],
    ]);
    const titles = buildMenu(grouped, 'admin').map((item) => item.title);
    expect(titles.slice(1)).toEqual(MENU_GROUPS.map((group) => group.title));
  });

  it('drops a group with no page the role may open', () => {
    expect(shape('finance').map(([key]) => key)).toEqual([
      '/dashboard',
      'group:customers',
      'group:pricing-usage',
      'group:invoices-payments',
    ]);
    expect(shape('auditor').at(-1)).toEqual(['group:system-audit', ['/jobs']]);
  });

  it('groups every page of the app, the dashboard alone first, titles in both languages', () => {
    const admin = buildMenu(appRoutes, 'admin');
    expect(admin[0].key).toBe('/dashboard');
    expect(admin.slice(1).every((item) => item.children?.length)).toBe(true);
    expect(admin.slice(1).map((item) => item.name)).toEqual(MENU_GROUPS.map((group) => group.group));
    for (const record of appRoutes.filter((r) => !r.meta?.hideInMenu && r.name !== 'dashboard')) {
      expect(record.meta?.group, `route ${String(record.name)}`).toBeTruthy();
    }
    setLocale('zh-CN');
    expect(MENU_GROUPS.map((group) => t(group.title))).toEqual([
      '客户',
      '计费与用量',
      '账单与收款',
      '系统与审计',
    ]);
    setLocale('en-US');
    expect(MENU_GROUPS.map((group) => t(group.title))).toEqual([
      'Customers',
      'Pricing & usage',
      'Invoices & payments',
      'System & audit',
    ]);
    setLocale('zh-CN');
  });
});

describe('safeRedirect', () => {
  it('accepts only same-app absolute paths', () => {
    expect(safeRedirect('/customers?page=2')).toBe('/customers?page=2');
    expect(safeRedirect(['/users', '/x'])).toBe('/users');
    expect(safeRedirect('//evil.example.com')).toBe('/');
    expect(safeRedirect('/\\evil.example.com')).toBe('/');
    expect(safeRedirect('https://evil.example.com')).toBe('/');
    expect(safeRedirect('/login?redirect=/x')).toBe('/');
    expect(safeRedirect(undefined, '/dashboard')).toBe('/dashboard');
  });
});

describe('app route table', () => {
  it('gives every business route module a title', () => {
    expect(appRoutes.length).toBeGreaterThan(0);
    for (const record of appRoutes) {
      expect(record.meta?.title, `route ${String(record.name)}`).toBeTruthy();
    }
  });

  it('redirects / to the login page with the dashboard as target when logged out', async () => {
    const router = makeRouter(appRouteTable);
    await router.push('/');
    expect(router.currentRoute.value.name).toBe('login');
    expect(router.currentRoute.value.query.redirect).toBe('/dashboard');
  });
});
