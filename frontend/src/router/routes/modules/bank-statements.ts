import type { RouteRecordRaw } from 'vue-router';
import type { Role } from '@/api/auth';
import { menuRoute, recordRoute } from '../base';

/**
 * Bank statements and their reconciliation workbench. `statements:read` is held by finance,
 * admins and auditors, so only they may open these pages (the list and a statement's
 * workbench alike); importing, accepting and undoing (`statements:write`) are finance and admin
 * only, checked in the pages with `useCan`.
 */
const ROLES: Role[] = ['admin', 'finance', 'auditor'];

const workbench = recordRoute(
  'statement',
  'bank-statements',
  () => import('@/views/bank-statements/workbench.vue'),
  'bank-statement-detail',
);

const statements: RouteRecordRaw[] = [
  menuRoute(
    'bank-statements',
    () => import('@/views/bank-statements/list.vue'),
    'icon-swap',
    53,
    ROLES,
    'invoices-payments',
  ),
  { ...workbench, meta: { ...workbench.meta, roles: ROLES } },
];

export default statements;
