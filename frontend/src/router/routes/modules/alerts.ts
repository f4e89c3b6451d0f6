import type { RouteRecordRaw } from 'vue-router';
import { menuRoute } from '../base';

/**
 * Alert rules and their firings: admins edit them (`alerts:write`), auditors read them
 * (`alerts:read`); other roles do not see the page.
 */
const alerts: RouteRecordRaw[] = [
  menuRoute(
    'alert-rules',
    () => import('@/views/alerts/list.vue'),
    'icon-exclamation-circle',
    73,
    ['admin', 'auditor'],
    'system-audit',
  ),
];

export default alerts;
