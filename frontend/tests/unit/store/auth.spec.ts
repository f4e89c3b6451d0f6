import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { createMemoryHistory, createRouter } from 'vue-router';
import { defineComponent } from 'vue';
import type { AxiosAdapter } from 'axios';
import http, { bindSession } from '@/api/http';
import { me } from '@/api/auth';
import { ApiError } from '@/api/errors';
import { AUTH_STORAGE_KEY, useAuthStore } from '@/store/auth';
import { connectHttpSession } from '@/store/session';
import { createMockAdapter, delay, envelope } from '../helpers/mock-adapter';
import { tokenPair, userWithRole } from '../helpers/fixtures';

const originalAdapter = http.defaults.adapter;
let mock: ReturnType<typeof createMockAdapter>;
let pinia: Pinia;

function stored() {
  const raw = localStorage.getItem(AUTH_STORAGE_KEY);
  return raw ? JSON.parse(raw) : null;
}

function seedTokens(n: number | string) {
  localStorage.setItem(
    AUTH_STORAGE_KEY,
    JSON.stringify({ accessToken: `access-${n}`, refreshToken: `refresh-${n}`, expiresAt: null }),
  );
}

/** /auth/me that only accepts `access-<n>` for the given n. */
function meAccepting(valid: () => string) {
  return (req: { headers: { get(name: string): unknown } }) =>
    req.headers.get('Authorization') === `Bearer ${valid()}`
      ? { status: 200, data: userWithRole('finance') }
      : { status: 401, data: envelope('token_expired', 'expired') };
}

beforeEach(() => {
  localStorage.clear();
  mock = createMockAdapter();
  http.defaults.adapter = mock.adapter as AxiosAdapter;
  pinia = createPinia();
  setActivePinia(pinia);
  connectHttpSession(pinia);
});

afterEach(() => {
  http.defaults.adapter = originalAdapter;
  bindSession(null);
});

describe('auth store: login / loadMe / hasRole', () => {
  it('logs in, persists the tokens and loads the current user with the new access token', async () => {
    mock.on('POST', '/auth/login', { status: 200, data: tokenPair(1) });
    mock.on(
      'GET',
      '/auth/me',
      meAccepting(() => 'access-1'),
    );
    const auth = useAuthStore();

    const user = await auth.login('alice', 's3cret');

    expect(mock.callsTo('POST', '/auth/login')[0].body).toEqual({ username: 'alice', password: 's3cret' });
    expect(user.role).toBe('finance');
    expect(auth.isAuthenticated).toBe(true);
    expect(auth.displayName).toBe('finance 用户');
    expect(stored()).toMatchObject({ accessToken: 'access-1', refreshToken: 'refresh-1' });
    expect(stored().expiresAt).toBeGreaterThan(Date.now());
    expect(auth.hasRole('finance')).toBe(true);
    expect(auth.hasRole('admin', 'finance')).toBe(true);
    expect(auth.hasRole('admin', 'auditor')).toBe(false);
    expect(auth.hasPermission('customers:read')).toBe(true);
    expect(auth.hasPermission('users:write')).toBe(false);
  });

  it('stays logged out and rethrows the backend error on wrong credentials', async () => {
    mock.on('POST', '/auth/login', {
      status: 401,
      data: envelope('invalid_credentials', '用户名或密码错误'),
    });
    const auth = useAuthStore();
    const err = await auth.login('alice', 'bad').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('invalid_credentials');
    expect(auth.isAuthenticated).toBe(false);
    expect(auth.user).toBeNull();
    expect(stored()).toBeNull();
    expect(mock.callsTo('POST', '/auth/refresh')).toHaveLength(0);
  });

  it('clears the half-made session when /auth/me fails after login', async () => {
    mock.on('POST', '/auth/login', { status: 200, data: tokenPair(1) });
    mock.on('GET', '/auth/me', { status: 500, data: envelope('internal_error', 'boom') });
    const auth = useAuthStore();
    await expect(auth.login('alice', 'pw')).rejects.toMatchObject({ status: 500 });
    expect(auth.isAuthenticated).toBe(false);
    expect(stored()).toBeNull();
  });

  it('hasRole is false for everything before the user is loaded', () => {
    expect(useAuthStore().hasRole('admin', 'finance', 'operator', 'auditor')).toBe(false);
  });

  it('restores the tokens from localStorage in a new store', () => {
    seedTokens(7);
    setActivePinia(createPinia());
    const auth = useAuthStore();
    expect(auth.isAuthenticated).toBe(true);
    expect(auth.accessToken).toBe('access-7');
    expect(auth.refreshToken).toBe('refresh-7');
  });

  it('ignores a corrupt localStorage entry', () => {
    localStorage.setItem(AUTH_STORAGE_KEY, '{not json');
    setActivePinia(createPinia());
    expect(useAuthStore().isAuthenticated).toBe(false);
  });
});

describe('auth store: logout', () => {
  it('revokes the refresh token on the backend and clears everything', async () => {
    seedTokens(3);
    setActivePinia((pinia = createPinia()));
    connectHttpSession(pinia);
    mock.on('POST', '/auth/logout', { status: 204 });
    const auth = useAuthStore();

    await auth.logout();

    const [call] = mock.callsTo('POST', '/auth/logout');
    expect(call.body).toEqual({ refresh_token: 'refresh-3' });
    expect(call.headers.get('Authorization')).toBe('Bearer access-3');
    expect(auth.isAuthenticated).toBe(false);
    expect(stored()).toBeNull();
  });

  it('clears the local session even when the backend call fails', async () => {
    seedTokens(3);
    setActivePinia((pinia = createPinia()));
    connectHttpSession(pinia);
    mock.on('POST', '/auth/logout', { status: 401, data: envelope('token_expired', 'expired') });
    const auth = useAuthStore();
    await auth.logout();
    expect(auth.isAuthenticated).toBe(false);
    expect(stored()).toBeNull();
    expect(mock.callsTo('POST', '/auth/refresh')).toHaveLength(0); // logout is an auth route
  });
});

describe('auth store + http client: refresh', () => {
  it('refreshes an expired access token once for concurrent requests and persists the rotated pair', async () => {
    seedTokens(1);
    setActivePinia((pinia = createPinia()));
    connectHttpSession(pinia);
    mock.on('POST', '/auth/refresh', async (req) => {
      await delay(10);
      return (req.body as { refresh_token: string }).refresh_token === 'refresh-1'
        ? { status: 200, data: tokenPair(2) }
        : { status: 401, data: envelope('invalid_refresh_token', 'invalid') };
    });
    mock.on(
      'GET',
      '/auth/me',
      meAccepting(() => 'access-2'),
    );

    const users = await Promise.all([me(), me(), me()]);

    expect(users.every((u) => u.role === 'finance')).toBe(true);
    expect(mock.callsTo('POST', '/auth/refresh')).toHaveLength(1);
    expect(mock.callsTo('GET', '/auth/me')).toHaveLength(6); // 3 x (401 + retry)
    expect(useAuthStore().accessToken).toBe('access-2');
    expect(stored()).toMatchObject({ accessToken: 'access-2', refreshToken: 'refresh-2' });
  });

  it('clears the session and routes to /login?redirect=... when the refresh token is rejected', async () => {
    seedTokens(1);
    setActivePinia((pinia = createPinia()));
    const Page = defineComponent({ render: () => null });
    const router = createRouter({
      history: createMemoryHistory(),
      routes: [
        { path: '/login', name: 'login', component: Page, meta: { public: true } },
        { path: '/customers', name: 'customers', component: Page },
      ],
    });
    await router.push('/customers?page=2');
    connectHttpSession(pinia, router);
    mock.on('POST', '/auth/refresh', { status: 401, data: envelope('invalid_refresh_token', 'reused') });
    mock.on(
      'GET',
      '/auth/me',
      meAccepting(() => 'never'),
    );

    const err = await me().catch((e: unknown) => e);
    await router.isReady();
    // the redirect to the login page is a navigation started by the expiry: wait for it to land
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe('login'));

    expect((err as ApiError).status).toBe(401);
    expect(useAuthStore().isAuthenticated).toBe(false);
    expect(stored()).toBeNull();
    expect(router.currentRoute.value.name).toBe('login');
    expect(router.currentRoute.value.query.redirect).toBe('/customers?page=2');
  });

  it('adopts tokens another tab already rotated instead of replaying a used refresh token', async () => {
    seedTokens(1);
    setActivePinia((pinia = createPinia()));
    connectHttpSession(pinia);
    const auth = useAuthStore();
    seedTokens(9); // another tab refreshed meanwhile

    await auth.refresh();

    expect(mock.callsTo('POST', '/auth/refresh')).toHaveLength(0);
    expect(auth.accessToken).toBe('access-9');
    expect(auth.refreshToken).toBe('refresh-9');
  });

  it('refuses to refresh without a refresh token', async () => {
    await expect(useAuthStore().refresh()).rejects.toMatchObject({ status: 401 });
    expect(mock.calls).toHaveLength(0);
  });
});
