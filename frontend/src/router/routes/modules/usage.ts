import type { RouteRecordRaw } from 'vue-router';
import { ROLES } from '@/api/auth';

/**
 * Usage records, pulls and anomalies. `usage:read` is held by every role; running a pull needs
 * `usage:ingest` (admin, finance, operator) and reviewing anomalies `usage:review` (admin,
 * operator), checked in the pages with `useCan`.
 */
const usage: RouteRecordRaw[] = [
  {
    path: 'usage',
    name: 'usage',
    component: () => import('@/views/usage/index.vue'),
    meta: {
      title: 'menu.usage',
      icon: 'icon-bar-chart',
      roles: [...ROLES],
      order: 40,
    },
  },
  {
    path: 'usage-anomalies',
    name: 'usage-anomalies',
    component: () => import('@/views/usage/anomalies.vue'),
    meta: {
      title: 'menu.usageAnomalies',
      icon: 'icon-exclamation-circle',
      roles: [...ROLES],
      order: 41,
    },
  },
];

export default usage;
