/**
 * A view mounted as the app runs it, for the analytics views' tests: a fresh store and the Chinese
 * texts before each test and the view unmounted after it; Arco, and a memory router with the
 * routes the view links to (at the view's own address when given).
 */
import { afterEach, beforeEach } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { createMemoryHistory, createRouter } from 'vue-router';
import ArcoVue from '@arco-design/web-vue';
import ArcoVueIcon from '@arco-design/web-vue/es/icon';
import type { Component, Plugin } from 'vue';
import { setLocale } from '@/locale';

/** The canvas is not drawn in happy-dom: the chart stands in as its option. */
export const CHART_STUB = { AnalyticsChart: { props: ['option'], template: '<div class="chart-stub" />' } };

export interface ViewOptions {
  props?: Record<string, unknown>;
  /** route name → path; no router when not given */
  routes?: Record<string, string>;
  /** where the router is before the view mounts */
  at?: string;
  stubs?: Record<string, Component>;
}

export function mountedViews() {
  let pinia: Pinia;
  let wrapper: VueWrapper | undefined;

  beforeEach(() => {
    localStorage.clear();
    setLocale('zh-CN');
    pinia = createPinia();
    setActivePinia(pinia);
  });

  afterEach(() => {
    wrapper?.unmount();
    wrapper = undefined;
    setLocale('zh-CN');
    document.body.innerHTML = '';
  });

  /** The view mounted into the page, its first requests answered. */
  async function mountView(component: Component, options: ViewOptions = {}): Promise<VueWrapper> {
    const plugins: Plugin[] = [pinia];
    if (options.routes) {
      const router = createRouter({
        history: createMemoryHistory(),
        routes: Object.entries(options.routes).map(([name, path]) => ({
          path,
          name,
          component: { template: '<div />' },
        })),
      });
      if (options.at) await router.push(options.at);
      plugins.push(router);
    }
    wrapper = mount(component, {
      props: options.props,
      global: { plugins: [...plugins, ArcoVue, ArcoVueIcon], stubs: options.stubs },
      attachTo: document.body,
    });
    for (let i = 0; i < 3; i += 1) await flushPromises();
    return wrapper;
  }

  return { mountView };
}
