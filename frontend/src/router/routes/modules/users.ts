import type { RouteRecordRaw } from 'vue-router';
import { ROLES } from '@/api/auth';
import { menuRoute } from '../base';

/**
 * Users and roles (admins: `users:write`), and one's own account (every role, not in the menu:
 * opened from the user's name in the header; the only page open while a one-time password is in
 * use, see the router guard).
 */
const users: RouteRecordRaw[] = [
  menuRoute('users', () => import('@/views/users/list.vue'), 'icon-user', 92, ['admin'], 'system-audit'),
  {
    path: 'account',
    name: 'account',
    component: () => import('@/views/account/index.vue'),
    meta: { title: 'menu.account', roles: [...ROLES], hideInMenu: true },
  },
];

export default users;
