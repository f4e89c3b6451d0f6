import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { createMemoryHistory, createRouter, RouterView, type Router } from 'vue-router';
import { defineComponent, h } from 'vue';
import ArcoVue from '@arco-design/web-vue';
import ArcoVueIcon from '@arco-design/web-vue/es/icon';
import type { AxiosAdapter } from 'axios';
import http, { bindSession } from '@/api/http';
import { useAuthStore } from '@/store/auth';
import { connectHttpSession } from '@/store/session';
import LoginView from '@/views/login/index.vue';
import { createMockAdapter, envelope } from '../helpers/mock-adapter';
import { tokenPair, userWithRole } from '../helpers/fixtures';

const originalAdapter = http.defaults.adapter;
let mock: ReturnType<typeof createMockAdapter>;
let pinia: Pinia;
let router: Router;
let wrapper: VueWrapper | undefined;

const Target = defineComponent({ render: () => h('div', { 'data-testid': 'target' }, 'target page') });

async function mountLogin(path = '/login?redirect=/target') {
  router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/login', name: 'login', component: LoginView },
      { path: '/target', name: 'target', component: Target },
      { path: '/', name: 'home', component: Target },
    ],
  });
  connectHttpSession(pinia, router);
  await router.push(path);
  await router.isReady();
  wrapper = mount(RouterView, {
    global: { plugins: [pinia, router, ArcoVue, ArcoVueIcon] },
    attachTo: document.body,
  });
  await flushPromises();
  return wrapper;
}

async function submit(username: string, password: string) {
  const w = wrapper!;
  await w.get('[data-testid="login-username"]').setValue(username);
  await w.get('[data-testid="login-password"]').setValue(password);
  await w.get('form').trigger('submit');
  // form validation and the request chain resolve over several ticks
  for (let i = 0; i < 5; i += 1) await flushPromises();
}

beforeEach(() => {
  localStorage.clear();
  mock = createMockAdapter();
  http.defaults.adapter = mock.adapter as AxiosAdapter;
  pinia = createPinia();
  setActivePinia(pinia);
});

afterEach(() => {
  wrapper?.unmount();
  wrapper = undefined;
  http.defaults.adapter = originalAdapter;
  bindSession(null);
  vi.useRealTimers();
});

describe('login page', () => {
  it('renders the inputs and submit button with their test ids on the real <input>/<button>', async () => {
    const w = await mountLogin();
    expect(w.get('[data-testid="login-username"]').element.tagName).toBe('INPUT');
    expect(w.get('[data-testid="login-password"]').attributes('type')).toBe('password');
    expect(w.get('[data-testid="login-submit"]').element.tagName).toBe('BUTTON');
    expect(w.find('[data-testid="login-error"]').exists()).toBe(false);
  });

  it('does not call the backend when fields are empty', async () => {
    await mountLogin();
    await submit('', '');
    expect(mock.calls).toHaveLength(0);
  });

  it('shows the backend message on wrong credentials and stays on the login page', async () => {
    mock.on('POST', '/auth/login', {
      status: 401,
      data: envelope('invalid_credentials', '用户名或密码错误'),
    });
    await mountLogin();
    await submit('alice', 'wrong');

    expect(mock.callsTo('POST', '/auth/login')[0].body).toEqual({ username: 'alice', password: 'wrong' });
    expect(wrapper!.get('[data-testid="login-error"]').text()).toContain('用户名或密码错误');
    expect(router.currentRoute.value.name).toBe('login');
    expect(useAuthStore().isAuthenticated).toBe(false);
  });

  it('shows the throttle message with the Retry-After countdown and disables submit', async () => {
    mock.on('POST', '/auth/login', {
      status: 429,
      data: envelope('too_many_attempts', '登录尝试过多，请稍后再试'),
      headers: { 'Retry-After': '30' },
    });
    await mountLogin();
    await submit('alice', 'whatever');

    const error = wrapper!.get('[data-testid="login-error"]');
    expect(error.text()).toContain('登录尝试过多，请稍后再试');
    expect(wrapper!.get('[data-testid="login-retry-after"]').text()).toContain('30');
    expect(wrapper!.get('[data-testid="login-submit"]').attributes('disabled')).toBeDefined();

    await submit('alice', 'again'); // ignored while throttled
    expect(mock.callsTo('POST', '/auth/login')).toHaveLength(1);
  });

  it('logs in and navigates to the redirect target', async () => {
    mock.on('POST', '/auth/login', { status: 200, data: tokenPair(1) });
    mock.on('GET', '/auth/me', { status: 200, data: userWithRole('admin', { display_name: 'E2E 管理员' }) });
    await mountLogin('/login?redirect=/target');
    await submit('  admin  ', 'pw');

    expect(mock.callsTo('POST', '/auth/login')[0].body).toEqual({ username: 'admin', password: 'pw' });
    expect(router.currentRoute.value.fullPath).toBe('/target');
    expect(useAuthStore().displayName).toBe('E2E 管理员');
    expect(wrapper!.find('[data-testid="target"]').exists()).toBe(true);
  });
});
