import type { CurrentUser, Role, TokenPair } from '@/api/auth';

export function tokenPair(n: number | string): TokenPair {
  return { access_token: `access-${n}`, refresh_token: `refresh-${n}`, token_type: 'bearer', expires_in: 7200 };
}

export function userWithRole(role: Role, overrides: Partial<CurrentUser> = {}): CurrentUser {
  return {
    id: 1,
    username: `${role}-user`,
    display_name: `${role} 用户`,
    role,
    permissions: role === 'admin' ? ['users:read', 'users:write'] : ['customers:read'],
    is_active: true,
    ...overrides,
  };
}
