import type { RouteRecordRaw } from 'vue-router';
import { menuRoute } from '../base';

/**
 * Data sources: configuring vendor adapters, their settings and secrets needs
 * `data_sources:write`, which only administrators hold.
 */
const dataSources: RouteRecordRaw = menuRoute(
  'data-sources',
  () => import('@/views/data-sources/index.vue'),
  'icon-storage',
  45,
  ['admin'],
  'pricing-usage',
);

export default dataSources;
