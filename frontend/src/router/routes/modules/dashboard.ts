import type { RouteRecordRaw } from 'vue-router';

const dashboard: RouteRecordRaw = {
  path: 'dashboard',
  name: 'dashboard',
  component: () => import('@/views/dashboard/index.vue'),
  meta: {
    title: 'menu.dashboard',
    icon: 'icon-dashboard',
    order: 0,
  },
};

export default dashboard;
