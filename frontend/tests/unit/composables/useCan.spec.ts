import { beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { ref } from 'vue';
import { useCan, usePermissions } from '@/composables/useCan';
import { useAuthStore } from '@/store/auth';
import { userWithRole } from '../helpers/fixtures';

beforeEach(() => {
  localStorage.clear();
  setActivePinia(createPinia());
});

describe('useCan', () => {
  it('follows the permissions of /auth/me, not the role name', () => {
    const auth = useAuthStore();
    const canWrite = useCan('customers:write');
    const canRead = useCan('customers:read');
    expect(canWrite.value).toBe(false); // nobody signed in

    // an operator holds customers:write, an auditor only reads
    auth.user = userWithRole('operator', { permissions: ['customers:read', 'customers:write'] });
    expect(canWrite.value).toBe(true);
    expect(canRead.value).toBe(true);

    auth.user = userWithRole('auditor', { permissions: ['customers:read', 'customers_deleted:read'] });
    expect(canWrite.value).toBe(false);
    expect(canRead.value).toBe(true);

    // a role is not a permission: an admin without the permission in the list cannot
    auth.user = userWithRole('admin', { permissions: ['users:read'] });
    expect(canWrite.value).toBe(false);
  });

  it('accepts a reactive permission and offers a can() helper', () => {
    const auth = useAuthStore();
    auth.user = userWithRole('finance', { permissions: ['imports:write', 'customers:read'] });
    const permission = ref('customers:write');
    const can = useCan(permission);
    expect(can.value).toBe(false);
    permission.value = 'imports:write';
    expect(can.value).toBe(true);
    const { can: canFn } = usePermissions();
    expect(canFn('customers:read')).toBe(true);
    expect(canFn('customers:restore')).toBe(false);
  });
});
