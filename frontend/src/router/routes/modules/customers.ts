import type { RouteRecordRaw } from 'vue-router';
import { ROLES } from '@/api/auth';

/**
 * Customers. `customers:read` is held by every role (backend permission matrix), so every role
 * may open these pages; write actions inside are shown by permission (`useCan`).
 */
const customers: RouteRecordRaw[] = [
  {
    path: 'customers',
    name: 'customers',
    component: () => import('@/views/customers/list.vue'),
    meta: {
      title: 'menu.customers',
      icon: 'icon-user-group',
      roles: [...ROLES],
      order: 10,
    },
  },
  {
    path: 'customers/:id(\\d+)',
    name: 'customer-detail',
    component: () => import('@/views/customers/detail.vue'),
    meta: {
      title: 'customer.detail.title',
      roles: [...ROLES],
      hideInMenu: true,
      activeMenu: '/customers',
    },
  },
];

export default customers;
