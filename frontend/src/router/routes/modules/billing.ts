import type { RouteRecordRaw } from 'vue-router';
import { menuRoute, recordRoute } from '../base';

/**
 * Invoices, invoice runs and payments. `billing:read` and `payments:read` are held by every role
 * (admin, finance, operator, auditor), so every role may open these pages; running, voiding and
 * crediting (`billing:run`, `billing:credit`), recording payments (`payments:write`) and
 * allocating (`payments:allocate`) are admin and finance only, checked in the pages with `useCan`.
 */
const billing: RouteRecordRaw[] = [
  menuRoute(
    'invoices',
    () => import('@/views/invoices/list.vue'),
    'icon-file',
    50,
    undefined,
    'invoices-payments',
  ),
  recordRoute('invoice', 'invoices', () => import('@/views/invoices/detail.vue')),
  menuRoute(
    'invoice-runs',
    () => import('@/views/invoices/runs.vue'),
    'icon-schedule',
    51,
    undefined,
    'invoices-payments',
  ),
  menuRoute(
    'payments',
    () => import('@/views/payments/list.vue'),
    'icon-safe',
    52,
    undefined,
    'invoices-payments',
  ),
  recordRoute('payment', 'payments', () => import('@/views/payments/detail.vue')),
];

export default billing;
