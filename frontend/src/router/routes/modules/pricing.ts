import type { RouteRecordRaw } from 'vue-router';
import { menuRoute } from '../base';

/**
 * Pricing plans and subscriptions. `pricing:read` is held by every role (backend permission
 * matrix), so every role may open these pages; writing needs `pricing:write` (admin, finance) and
 * a price preview `pricing:preview` (not auditors), checked in the pages with `useCan`.
 */
const pricing: RouteRecordRaw[] = [
  menuRoute(
    'pricing-plans',
    () => import('@/views/pricing/index.vue'),
    'icon-tags',
    30,
    undefined,
    'pricing-usage',
  ),
  menuRoute(
    'subscriptions',
    () => import('@/views/subscriptions/index.vue'),
    'icon-calendar',
    31,
    undefined,
    'pricing-usage',
  ),
];

export default pricing;
