import type { Pinia } from 'pinia';
import type { Router } from 'vue-router';
import { bindSession } from '@/api/http';
import { useAuthStore } from './auth';

/** Where to send the user when the session cannot be refreshed any more. */
export function redirectToLogin(router: Router): void {
  const current = router.currentRoute.value;
  // Before the first navigation settles the route guard handles the redirect itself.
  if (current.matched.length === 0 || current.meta.public) return;
  void router.replace({ name: 'login', query: { redirect: current.fullPath } });
}

/** Wires the HTTP client to the auth store (token source, refresh, expiry). */
export function connectHttpSession(pinia: Pinia, router?: Router): void {
  const auth = useAuthStore(pinia);
  bindSession({
    getAccessToken: () => auth.accessToken,
    refresh: () => auth.refresh(),
    onSessionExpired: () => {
      auth.clearSession();
      if (router) redirectToLogin(router);
    },
  });
}
