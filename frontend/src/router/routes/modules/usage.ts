import type { RouteRecordRaw } from 'vue-router';
import { menuRoute } from '../base';

/**
 * Usage records, pulls and anomalies. `usage:read` is held by every role; running a pull needs
 * `usage:ingest` (admin, finance, operator) and reviewing anomalies `usage:review` (admin,
 * operator), checked in the pages with `useCan`.
 */
const usage: RouteRecordRaw[] = [
  menuRoute(
    'usage',
    () => import('@/views/usage/index.vue'),
    'icon-bar-chart',
    40,
    undefined,
    'pricing-usage',
  ),
  menuRoute(
    'usage-anomalies',
    () => import('@/views/usage/anomalies.vue'),
    'icon-exclamation-circle',
    41,
    undefined,
    'pricing-usage',
  ),
];

export default usage;
