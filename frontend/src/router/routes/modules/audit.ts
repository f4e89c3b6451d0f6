import type { RouteRecordRaw } from 'vue-router';
import { menuRoute } from '../base';

/**
 * The audit log: auditors and admins (`audit:read`). Its filters are in the URL, so a record's
 * page links to the record's history: `/audit-log?entity_type=invoice&entity_id=12`.
 */
const audit: RouteRecordRaw[] = [
  menuRoute(
    'audit-log',
    () => import('@/views/audit/list.vue'),
    'icon-file',
    90,
    ['auditor', 'admin'],
    'system-audit',
  ),
];

export default audit;
