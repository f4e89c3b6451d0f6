import type { Pinia } from 'pinia';
import type { RouteLocationNormalized, RouteRecordRaw, Router } from 'vue-router';
import type { Role } from '@/api/auth';
import { isApiError } from '@/api/errors';
import { useAuthStore } from '@/store/auth';
import { t } from '@/locale';

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
  key: string; // full path
  name?: string;
  title: string;
  icon?: string;
  children?: MenuItem[];
}

function joinPath(parent: string, path: string): string {
  if (path.startsWith('/')) return path;
  const base = parent.endsWith('/') ? parent : `${parent}/`;
  return `${base}${path}`;
}

/**
 * Menu entries for `role` from route records (normally the layout's children): drops
 * `hideInMenu` routes, routes whose `meta.roles` exclude the role, and groups left empty.
 */
export function buildMenu(
  records: readonly RouteRecordRaw[],
  role: Role | null | undefined,
  parentPath = '/',
): MenuItem[] {
  const items: MenuItem[] = [];
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
      const children = buildMenu(record.children, role, key);
      if (children.length === 0) continue;
      item.children = children;
    }
    items.push(item);
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
