import type { RouteRecordRaw } from 'vue-router';
import { menuRoute, recordRoute } from '../base';

/**
 * Customers. `customers:read` is held by every role (backend permission matrix), so every role
 * may open these pages; write actions inside are shown by permission (`useCan`).
 */
const customers: RouteRecordRaw[] = [
  menuRoute(
    'customers',
    () => import('@/views/customers/list.vue'),
    'icon-user-group',
    10,
    undefined,
    'customers',
  ),
  recordRoute('customer', 'customers', () => import('@/views/customers/detail.vue')),
];

export default customers;
