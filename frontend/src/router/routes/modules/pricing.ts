import type { RouteRecordRaw } from 'vue-router';
import { ROLES } from '@/api/auth';

/**
 * Pricing plans and subscriptions. `pricing:read` is held by every role (backend permission
 * matrix), so every role may open these pages; writing needs `pricing:write` (admin, finance) and
 * a price preview `pricing:preview` (not auditors), checked in the pages with `useCan`.
 */
const pricing: RouteRecordRaw[] = [
  {
    path: 'pricing-plans',
    name: 'pricing-plans',
    component: () => import('@/views/pricing/index.vue'),
    meta: {
      title: 'menu.pricingPlans',
      icon: 'icon-tags',
      roles: [...ROLES],
      order: 30,
    },
  },
  {
    path: 'subscriptions',
    name: 'subscriptions',
    component: () => import('@/views/subscriptions/index.vue'),
    meta: {
      title: 'menu.subscriptions',
      icon: 'icon-calendar',
      roles: [...ROLES],
      order: 31,
    },
  },
];

export default pricing;
