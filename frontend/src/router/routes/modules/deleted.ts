import type { RouteRecordRaw } from 'vue-router';
import { menuRoute } from '../base';

/**
 * Deleted records of every kind. `deleted:read` is held by admins and auditors; restoring
 * (`deleted:restore`) is admin only, checked in the page with `useCan`.
 */
const deleted: RouteRecordRaw[] = [
  menuRoute(
    'deleted-records',
    () => import('@/views/deleted/list.vue'),
    'icon-delete',
    91,
    ['auditor', 'admin'],
    'system-audit',
  ),
];

export default deleted;
