import { computed, toValue, type ComputedRef, type MaybeRefOrGetter } from 'vue';
import { useAuthStore } from '@/store/auth';

/**
 * Whether the signed-in user holds `permission` (from the `permissions` of `/auth/me`, which
 * mirror the backend's role matrix). Views use this to hide actions instead of naming roles.
 */
export function useCan(permission: MaybeRefOrGetter<string>): ComputedRef<boolean> {
  const auth = useAuthStore();
  return computed(() => auth.hasPermission(toValue(permission)));
}

/** A `can(permission)` function for templates that check several permissions. */
export function usePermissions() {
  const auth = useAuthStore();
  return { can: (permission: string) => auth.hasPermission(permission) };
}
