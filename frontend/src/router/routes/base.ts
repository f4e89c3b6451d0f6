import type { RouteRecordRaw } from 'vue-router';
import { appRoutes, HOME_PATH } from './index';

export const DEFAULT_LAYOUT = () => import('@/layout/default-layout.vue');

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

/** The layout route whose children form the sider menu. */
export const ROOT_ROUTE: RouteRecordRaw = {
  path: '/',
  name: 'root',
  component: DEFAULT_LAYOUT,
  redirect: HOME_PATH,
  children: [...appRoutes, FORBIDDEN_ROUTE],
};

export const routes: RouteRecordRaw[] = [LOGIN_ROUTE, ROOT_ROUTE, NOT_FOUND_ROUTE];
