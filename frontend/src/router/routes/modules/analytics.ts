import type { RouteRecordRaw } from 'vue-router';

/**
 * Analytics pages beside invoices and payments (the dashboard is the home page). `analytics:read`
 * is held by every role (admin, finance, operator, auditor); operators see their own customers
 * only, which the page and the backend both hold to.
 */
const analytics: RouteRecordRaw[] = [
  {
    path: 'analytics/aging',
    name: 'analytics-aging',
    component: () => import('@/views/analytics/aging.vue'),
    meta: {
      title: 'menu.analyticsAging',
      icon: 'icon-calendar-clock',
      order: 53,
      roles: ['admin', 'finance', 'operator', 'auditor'],
      group: 'invoices-payments',
    },
  },
];

export default analytics;
