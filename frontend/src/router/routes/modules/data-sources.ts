import type { RouteRecordRaw } from 'vue-router';

/**
 * Data sources: configuring vendor adapters, their settings and secrets needs
 * `data_sources:write`, which only administrators hold.
 */
const dataSources: RouteRecordRaw = {
  path: 'data-sources',
  name: 'data-sources',
  component: () => import('@/views/data-sources/index.vue'),
  meta: {
    title: 'menu.dataSources',
    icon: 'icon-storage',
    roles: ['admin'],
    order: 45,
  },
};

export default dataSources;
