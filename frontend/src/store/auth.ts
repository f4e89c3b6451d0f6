import { computed, ref } from 'vue';
import { defineStore } from 'pinia';
import * as authApi from '@/api/auth';
import type { CurrentUser, Role, TokenPair } from '@/api/auth';
import { ApiError } from '@/api/errors';
import { t } from '@/locale';

/** localStorage key holding the token pair (shared by all tabs of the app). */
export const AUTH_STORAGE_KEY = 'opcms.auth';

interface PersistedTokens {
  accessToken: string;
  refreshToken: string;
  /** epoch milliseconds when the access token expires (informational). */
  expiresAt: number | null;
}

function readTokens(): PersistedTokens | null {
  try {
    const raw = globalThis.localStorage?.getItem(AUTH_STORAGE_KEY);
    if (!raw) return null;
    const parsed = JSON.parse(raw) as Partial<PersistedTokens>;
    if (typeof parsed.accessToken !== 'string' || typeof parsed.refreshToken !== 'string') return null;
    return {
      accessToken: parsed.accessToken,
      refreshToken: parsed.refreshToken,
      expiresAt: typeof parsed.expiresAt === 'number' ? parsed.expiresAt : null,
    };
  } catch {
    return null;
  }
}

function writeTokens(tokens: PersistedTokens | null): void {
  try {
    if (tokens) globalThis.localStorage?.setItem(AUTH_STORAGE_KEY, JSON.stringify(tokens));
    else globalThis.localStorage?.removeItem(AUTH_STORAGE_KEY);
  } catch {
    // storage unavailable: the session then only lives in memory
  }
}

export const useAuthStore = defineStore('auth', () => {
  const initial = readTokens();
  const accessToken = ref<string | null>(initial?.accessToken ?? null);
  const refreshToken = ref<string | null>(initial?.refreshToken ?? null);
  const expiresAt = ref<number | null>(initial?.expiresAt ?? null);
  const user = ref<CurrentUser | null>(null);

  const isAuthenticated = computed(() => Boolean(accessToken.value));
  const role = computed<Role | null>(() => user.value?.role ?? null);
  const displayName = computed(() => user.value?.display_name || user.value?.username || '');
  const permissions = computed(() => user.value?.permissions ?? []);
  /** a one-time password is in use: the router opens nothing but the account page */
  const mustChangePassword = computed(() => Boolean(user.value?.must_change_password));

  function adopt(tokens: PersistedTokens | null): void {
    accessToken.value = tokens?.accessToken ?? null;
    refreshToken.value = tokens?.refreshToken ?? null;
    expiresAt.value = tokens?.expiresAt ?? null;
  }

  function setTokens(pair: TokenPair): void {
    const tokens: PersistedTokens = {
      accessToken: pair.access_token,
      refreshToken: pair.refresh_token,
      expiresAt: Number.isFinite(pair.expires_in) ? Date.now() + pair.expires_in * 1000 : null,
    };
    adopt(tokens);
    writeTokens(tokens);
  }

  /** Forgets tokens and user locally (no backend call). */
  function clearSession(): void {
    adopt(null);
    user.value = null;
    writeTokens(null);
  }

  async function loadMe(): Promise<CurrentUser> {
    const current = await authApi.me();
    user.value = current;
    return current;
  }

  async function login(username: string, password: string): Promise<CurrentUser> {
    const pair = await authApi.login(username, password);
    setTokens(pair);
    try {
      return await loadMe();
    } catch (error) {
      clearSession();
      throw error;
    }
  }

  /**
   * Rotates the token pair. Refresh tokens are single-use, so if another tab already rotated
   * them (localStorage holds a different pair) adopt that pair instead of replaying ours.
   */
  async function refresh(): Promise<void> {
    const stored = readTokens();
    if (stored && stored.refreshToken !== refreshToken.value) {
      adopt(stored);
      return;
    }
    if (!refreshToken.value) {
      throw new ApiError({ status: 401, code: 'not_authenticated', message: t('error.sessionExpired') });
    }
    const pair = await authApi.refresh(refreshToken.value);
    setTokens(pair);
  }

  /** Revokes the refresh token on the backend (best effort) and clears the local session. */
  async function logout(): Promise<void> {
    const token = refreshToken.value;
    try {
      if (accessToken.value) await authApi.logout(token);
    } catch {
      // an already-expired session is still logged out locally
    } finally {
      clearSession();
    }
  }

  function hasRole(...roles: Role[]): boolean {
    return role.value !== null && roles.includes(role.value);
  }

  function hasPermission(permission: string): boolean {
    return permissions.value.includes(permission);
  }

  /** Keeps tabs in sync: another tab logged in/out or rotated the tokens. */
  function syncFromStorage(event: StorageEvent): void {
    if (event.key !== AUTH_STORAGE_KEY && event.key !== null) return;
    const stored = readTokens();
    if (!stored) {
      clearSession();
    } else if (stored.accessToken !== accessToken.value) {
      adopt(stored);
    }
  }
  if (typeof window !== 'undefined') window.addEventListener('storage', syncFromStorage);

  return {
    accessToken,
    refreshToken,
    expiresAt,
    user,
    isAuthenticated,
    role,
    displayName,
    permissions,
    mustChangePassword,
    setTokens,
    clearSession,
    loadMe,
    login,
    refresh,
    logout,
    hasRole,
    hasPermission,
  };
});
