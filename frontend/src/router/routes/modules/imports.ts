import type { RouteRecordRaw } from 'vue-router';
import { menuRoute } from '../base';

/**
 * Excel import of customers. `imports:read` is held by every role; uploading needs
 * `imports:write` (admin, finance, operator), checked in the page with `useCan`.
 */
const imports: RouteRecordRaw = menuRoute(
  'imports',
  () => import('@/views/imports/index.vue'),
  'icon-import',
  20,
  undefined,
  'customers',
);

export default imports;
