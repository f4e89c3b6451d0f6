import type { Pinia } from 'pinia';
import type { RouteLocationNormalized, RouteRecordRaw, Router } from 'vue-router';
import type { Role } from '@/api/auth';
import type { MenuGroup } from '@/types/router';
import { isApiError } from '@/api/errors';
import { useAuthStore } from '@/store/auth';
import { t } from '@/locale';

/** the page where one changes one's own password (route module `users.ts`) */
export const ACCOUNT_ROUTE_NAME = 'account';

type WithMatchedMeta = Pick<RouteLocationNormalized, 'matched'>;

/** Roles on a record are inherited: every matched record must admit the role. */
export function canAccess(route: WithMatchedMeta, role: Role | null | undefined): boolean {
  return route.matched.every((record) => {
    const roles = record.meta?.roles;
    if (!roles || roles.length === 0) return true;
    return role != null && roles.includes(role);
  });
}

export function isRecordVisibleTo(record: RouteRecordRaw, role: Role | null | undefined): boolean {
  const roles = record.meta?.roles;
  if (!roles || roles.length === 0) return true;
  return role != null && roles.includes(role);
}

export interface MenuItem {
  key: string; // full path, or `group:<group>` for a menu group
  name?: string;
  title: string;
  icon?: string;
  children?: MenuItem[];
}

/** The sider's groups in their order, each with its title (a locale key) and icon. */
export const MENU_GROUPS: readonly { group: MenuGroup; title: string; icon: string }[] = [
  { group: 'customers', title: 'menu.group.customers', icon: 'icon-user-group' },
  { group: 'pricing-usage', title: 'menu.group.pricingUsage', icon: 'icon-bar-chart' },
  { group: 'invoices-payments', title: 'menu.group.invoicesPayments', icon: 'icon-file' },
  { group: 'system-audit', title: 'menu.group.systemAudit', icon: 'icon-settings' },
];

/** The menu key of a group's sub-menu. */
export function groupKey(group: MenuGroup): string {
  return `group:${group}`;
}

function joinPath(parent: string, path: string): string {
  if (path.startsWith('/')) return path;
  const base = parent.endsWith('/') ? parent : `${parent}/`;
  return `${base}${path}`;
}

/** The entries of `records` the role may open, as they come (nested routes as nested entries). */
function menuEntries(
  records: readonly RouteRecordRaw[],
  role: Role | null | undefined,
  parentPath: string,
): { item: MenuItem; group?: MenuGroup }[] {
  const entries: { item: MenuItem; group?: MenuGroup }[] = [];
  for (const record of records) {
    if (record.meta?.hideInMenu || !isRecordVisibleTo(record, role)) continue;
    const key = joinPath(parentPath, record.path);
    const item: MenuItem = {
      key,
      name: typeof record.name === 'string' ? record.name : undefined,
      title: record.meta?.title ?? String(record.name ?? record.path),
      icon: record.meta?.icon,
    };
    if (record.children && record.children.length > 0) {
      const children = menuEntries(record.children, role, key).map((entry) => entry.item);
      if (children.length === 0) continue;
      item.children = children;
    }
    entries.push({ item, group: record.meta?.group });
  }
  return entries;
}

/**
 * Menu entries for `role` from route records (normally the layout's children): drops
 * `hideInMenu` routes and routes whose `meta.roles` exclude the role. Pages without a
 * `meta.group` stand alone first (the dashboard), in the records' order; then one sub-menu per
 * group (`MENU_GROUPS`' order) holding its pages in the records' order. A group, or a parent
 * route, with no page left for the role is not shown.
 */
export function buildMenu(
  records: readonly RouteRecordRaw[],
  role: Role | null | undefined,
  parentPath = '/',
): MenuItem[] {
  const entries = menuEntries(records, role, parentPath);
  const items = entries.filter((entry) => !entry.group).map((entry) => entry.item);
  for (const { group, title, icon } of MENU_GROUPS) {
    const children = entries.filter((entry) => entry.group === group).map((entry) => entry.item);
    if (children.length > 0) items.push({ key: groupKey(group), name: group, title, icon, children });
  }
  return items;
}

/** Only same-app absolute paths are accepted as post-login redirects. */
export function safeRedirect(value: unknown, fallback = '/'): string {
  const target = Array.isArray(value) ? value[0] : value;
  if (
    typeof target !== 'string' ||
    !target.startsWith('/') ||
    target.startsWith('//') ||
    target.startsWith('/\\')
  ) {
    return fallback;
  }
  if (target === '/login' || target.startsWith('/login?') || target.startsWith('/login/')) return fallback;
  return target;
}

export function setupRouterGuard(router: Router, pinia?: Pinia): void {
  router.beforeEach(async (to) => {
    const auth = useAuthStore(pinia);

    if (to.name === 'login') {
      // Already logged in (valid tokens) -> skip the form.
      if (auth.isAuthenticated) {
        try {
          if (!auth.user) await auth.loadMe();
          return safeRedirect(to.query.redirect);
        } catch {
          return true;
        }
      }
      return true;
    }

    if (to.matched.some((record) => record.meta.public)) return true;

    if (!auth.isAuthenticated) {
      return { name: 'login', query: { redirect: to.fullPath } };
    }

    if (!auth.user) {
      try {
        await auth.loadMe();
      } catch (error) {
        if (isApiError(error) && error.status === 401) auth.clearSession();
        return { name: 'login', query: { redirect: to.fullPath } };
      }
    }

    // signed in with a one-time password: nothing but the account page until it is changed
    if (auth.mustChangePassword && to.name !== ACCOUNT_ROUTE_NAME) {
      return { name: ACCOUNT_ROUTE_NAME, query: { forced: '1' } };
    }

    if (!canAccess(to, auth.role)) {
      return { name: 'forbidden', query: { from: to.fullPath } };
    }
    return true;
  });

  router.afterEach((to) => {
    if (typeof document === 'undefined') return;
    const title = to.meta.title ? t(to.meta.title) : '';
    document.title = title ? `${title} - OP-CMS` : 'OP-CMS';
  });
}
