import type { RouteRecordRaw, RouteRecordSingleView } from 'vue-router';
import type { MenuGroup } from '@/types/router';
import { ROLES, type Role } from '@/api/auth';

/** A page's component, imported when the page is first opened: `() => import('@/views/…')`. */
type View = RouteRecordSingleView['component'];

export const DEFAULT_LAYOUT = () => import('@/layout/default-layout.vue');

/**
 * A page of the sider menu: its path is its name, its title `menu.<name in camelCase>`
 * (`usage-anomalies` → `menu.usageAnomalies`); open to every role unless `roles` says otherwise;
 * listed under `group` in the menu.
 */
export function menuRoute(
  name: string,
  component: View,
  icon: string,
  order: number,
  roles: Role[] = [...ROLES],
  group?: MenuGroup,
): RouteRecordRaw {
  const title = `menu.${name.replace(/-(\w)/g, (_, letter: string) => letter.toUpperCase())}`;
  return { path: name, name, component, meta: { title, icon, roles, order, group } };
}

/**
 * The page of one `kind` of record (`<list>/<id>`, titled `<kind>.detail.title`, named
 * `<kind>-detail` unless `name` says otherwise), opened from its list: not in the menu, where the
 * list's entry stays lit. Open to every role.
 */
export function recordRoute(
  kind: string,
  list: string,
  component: View,
  name = `${kind}-detail`,
): RouteRecordRaw {
  const meta = { title: `${kind}.detail.title`, roles: [...ROLES], hideInMenu: true, activeMenu: `/${list}` };
  return { path: `${list}/:id(\\d+)`, name, component, meta };
}

export const LOGIN_ROUTE: RouteRecordRaw = {
  path: '/login',
  name: 'login',
  component: () => import('@/views/login/index.vue'),
  meta: { title: 'login.title', public: true, hideInMenu: true },
};

export const FORBIDDEN_ROUTE: RouteRecordRaw = {
  path: '403',
  name: 'forbidden',
  component: () => import('@/views/exception/403.vue'),
  meta: { title: 'exception.403.title', hideInMenu: true },
};

export const NOT_FOUND_ROUTE: RouteRecordRaw = {
  path: '/:pathMatch(.*)*',
  name: 'not-found',
  component: () => import('@/views/exception/404.vue'),
  meta: { title: 'exception.404.title', public: true, hideInMenu: true },
};
