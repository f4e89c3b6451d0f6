import type { RouteRecordRaw } from 'vue-router';
import { DEFAULT_LAYOUT, FORBIDDEN_ROUTE, LOGIN_ROUTE, NOT_FOUND_ROUTE } from './base';

/**
 * Business route modules: every `./modules/*.ts` default-exports one route record (or an array).
 * Paths are relative: they are mounted as children of the default layout at `/`.
 * Each record carries `meta: { title, roles?, icon?, order? }`.
 */
const modules = import.meta.glob<{ default: RouteRecordRaw | RouteRecordRaw[] }>('./modules/*.ts', {
  eager: true,
});

export function collectRoutes(
  mods: Record<string, { default: RouteRecordRaw | RouteRecordRaw[] }>,
): RouteRecordRaw[] {
  return Object.keys(mods)
    .sort()
    .flatMap((key) => mods[key].default)
    .sort((a, b) => (a.meta?.order ?? 100) - (b.meta?.order ?? 100));
}

export const appRoutes: RouteRecordRaw[] = collectRoutes(modules);

export const HOME_PATH = '/dashboard';

/** The layout route whose children form the sider menu. */
export const ROOT_ROUTE: RouteRecordRaw = {
  path: '/',
  name: 'root',
  component: DEFAULT_LAYOUT,
  redirect: HOME_PATH,
  children: [...appRoutes, FORBIDDEN_ROUTE],
};

export const routes: RouteRecordRaw[] = [LOGIN_ROUTE, ROOT_ROUTE, NOT_FOUND_ROUTE];
