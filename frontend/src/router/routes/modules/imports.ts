import type { RouteRecordRaw } from 'vue-router';
import { ROLES } from '@/api/auth';

/**
 * Excel import of customers. `imports:read` is held by every role; uploading needs
 * `imports:write` (admin, finance, operator), checked in the page with `useCan`.
 */
const imports: RouteRecordRaw = {
  path: 'imports',
  name: 'imports',
  component: () => import('@/views/imports/index.vue'),
  meta: {
    title: 'menu.imports',
    icon: 'icon-import',
    roles: [...ROLES],
    order: 20,
  },
};

export default imports;
