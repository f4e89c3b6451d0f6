import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { createMemoryHistory, createRouter, type RouteRecordRaw } from 'vue-router';
import { defineComponent } from 'vue';
import type { UserPublic } from '@/api/users';
import { setLocale } from '@/locale';
import { ACCOUNT_ROUTE_NAME, setupRouterGuard } from '@/router/guard';
import { AUTH_STORAGE_KEY, useAuthStore } from '@/store/auth';
import {
  emptyUserFilters,
  matrixRows,
  permissionText,
  toUserCreate,
  toUserUpdate,
  userFilterParams,
  userFormModel,
} from '@/views/users/data';
import { userWithRole } from '../helpers/fixtures';

const Page = defineComponent({ render: () => null });
const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: Page, meta: { public: true } },
  {
    path: '/',
    component: Page,
    redirect: '/dashboard',
    children: [
      { path: 'dashboard', name: 'dashboard', component: Page },
      { path: 'customers', name: 'customers', component: Page },
      { path: 'account', name: ACCOUNT_ROUTE_NAME, component: Page, meta: { hideInMenu: true } },
    ],
  },
];

function user(overrides: Partial<UserPublic> = {}): UserPublic {
  return {
    id: 3,
    username: 'ops',
    display_name: '运营',
    role: 'operator',
    is_active: true,
    email: 'ops@example.com',
    wecom_userid: null,
    last_login_at: null,
    must_change_password: false,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    is_deleted: false,
    ...overrides,
  };
}

let pinia: Pinia;
beforeEach(() => {
  localStorage.clear();
  pinia = createPinia();
  setActivePinia(pinia);
  setLocale('zh-CN');
});
afterEach(() => localStorage.clear());

describe('the one-time password holds the user on My account', () => {
  function signedIn(mustChange: boolean) {
    localStorage.setItem(
      AUTH_STORAGE_KEY,
      JSON.stringify({ accessToken: 'a', refreshToken: 'r', expiresAt: null }),
    );
    pinia = createPinia();
    setActivePinia(pinia);
    const auth = useAuthStore();
    auth.user = userWithRole('operator', { must_change_password: mustChange });
    const router = createRouter({ history: createMemoryHistory(), routes });
    setupRouterGuard(router, pinia);
    return { auth, router };
  }

  it('sends every page to the account page, with the notice asked for', async () => {
    const { router } = signedIn(true);
    await router.push('/customers');
    expect(router.currentRoute.value.name).toBe(ACCOUNT_ROUTE_NAME);
    expect(router.currentRoute.value.query.forced).toBe('1');
    await router.push('/dashboard');
    expect(router.currentRoute.value.name).toBe(ACCOUNT_ROUTE_NAME);
  });

  it('opens everything again once the password is changed', async () => {
    const { auth, router } = signedIn(true);
    await router.push('/customers');
    auth.user = userWithRole('operator', { must_change_password: false });
    await router.push('/customers');
    expect(router.currentRoute.value.name).toBe('customers');
  });

  it('lets a user without a one-time password go anywhere', async () => {
    const { router } = signedIn(false);
    await router.push('/customers');
    expect(router.currentRoute.value.name).toBe('customers');
  });
});

describe('users page helpers', () => {
  it('sends the filters the list takes, the status as a boolean', () => {
    expect(userFilterParams(emptyUserFilters())).toEqual({
      keyword: '',
      role: undefined,
      is_active: undefined,
    });
    expect(userFilterParams({ keyword: 'an', role: 'finance', is_active: 'false' })).toEqual({
      keyword: 'an',
      role: 'finance',
      is_active: false,
    });
  });

  it('creates with blank addresses as null and edits only what changed', () => {
    const created = toUserCreate({ ...userFormModel(null), username: ' neo ', password: 'Secret-1234' });
    expect(created).toEqual({
      username: 'neo',
      display_name: '',
      role: 'operator',
      password: 'Secret-1234',
      email: null,
      wecom_userid: null,
    });
    const existing = user();
    expect(toUserUpdate(userFormModel(existing), existing)).toEqual({});
    const model = { ...userFormModel(existing), role: 'auditor' as const, email: '' };
    expect(toUserUpdate(model, existing)).toEqual({ role: 'auditor', email: '' });
  });

  it('draws the matrix with a tick per role and the permission in the chosen language', () => {
    const rows = matrixRows({
      roles: ['admin', 'finance', 'operator', 'auditor'],
      permissions: [
        { permission: 'users:write', description: 'create users', roles: ['admin'] },
        { permission: 'brand:new', description: 'something new', roles: ['admin', 'auditor'] },
      ],
    });
    expect(rows[0].roles).toEqual({ admin: true, finance: false, operator: false, auditor: false });
    expect(rows[0].text).toBe(permissionText('users:write', 'x'));
    expect(rows[0].text).not.toBe('x');
    // a permission the locale does not know yet shows the backend's description
    expect(rows[1].text).toBe('something new');
  });
});
