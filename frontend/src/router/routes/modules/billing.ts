import type { RouteRecordRaw } from 'vue-router';
import { ROLES } from '@/api/auth';

/**
 * Invoices, invoice runs and payments. `billing:read` and `payments:read` are held by every role
 * (admin, finance, operator, auditor), so every role may open these pages; running, voiding and
 * crediting (`billing:run`, `billing:credit`), recording payments (`payments:write`) and
 * allocating (`payments:allocate`) are admin and finance only, checked in the pages with `useCan`.
 */
const billing: RouteRecordRaw[] = [
  {
    path: 'invoices',
    name: 'invoices',
    component: () => import('@/views/invoices/list.vue'),
    meta: { title: 'menu.invoices', icon: 'icon-file', roles: [...ROLES], order: 50 },
  },
  {
    path: 'invoices/:id(\\d+)',
    name: 'invoice-detail',
    component: () => import('@/views/invoices/detail.vue'),
    meta: { title: 'invoice.detail.title', roles: [...ROLES], hideInMenu: true, activeMenu: '/invoices' },
  },
  {
    path: 'invoice-runs',
    name: 'invoice-runs',
    component: () => import('@/views/invoices/runs.vue'),
    meta: { title: 'menu.invoiceRuns', icon: 'icon-schedule', roles: [...ROLES], order: 51 },
  },
  {
    path: 'payments',
    name: 'payments',
    component: () => import('@/views/payments/list.vue'),
    meta: { title: 'menu.payments', icon: 'icon-safe', roles: [...ROLES], order: 52 },
  },
  {
    path: 'payments/:id(\\d+)',
    name: 'payment-detail',
    component: () => import('@/views/payments/detail.vue'),
    meta: { title: 'payment.detail.title', roles: [...ROLES], hideInMenu: true, activeMenu: '/payments' },
  },
];

export default billing;
