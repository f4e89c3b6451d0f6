import { createRouter, createWebHistory } from 'vue-router';
import type { Pinia } from 'pinia';
import { routes } from './routes';
import { setupRouterGuard } from './guard';

export function createAppRouter(pinia?: Pinia) {
  const router = createRouter({
    history: createWebHistory(import.meta.env.BASE_URL),
    routes,
    scrollBehavior: () => ({ top: 0 }),
  });
  setupRouterGuard(router, pinia);
  return router;
}

export { appRoutes, routes } from './routes';
