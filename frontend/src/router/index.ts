import { createRouter, createWebHistory } from 'vue-router';
import type { Pinia } from 'pinia';
import { routes } from './routes/base';
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

export { routes } from './routes/base';
export { appRoutes } from './routes';
