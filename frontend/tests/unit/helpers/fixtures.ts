import type { CurrentUser, Role, TokenPair } from '@/api/auth';
import type { CustomerPublic } from '@/api/customers';

export function tokenPair(n: number | string): TokenPair {
  return {
    access_token: `access-${n}`,
    refresh_token: `refresh-${n}`,
    token_type: 'bearer',
    expires_in: 7200,
  };
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

/** A customer as `CustomerPublic` answers it. */
export function customer(overrides: Partial<CustomerPublic> = {}): CustomerPublic {
  return {
    id: 7,
    customer_code: 'C007',
    company_name: '上海示例科技有限公司',
    short_name: null,
    credit_code: null,
    industry: 'internet',
    level: 'A',
    status: 'prospect',
    owner_id: null,
    owner_name: null,
    contact_name: null,
    contact_phone: null,
    contact_email: null,
    province: null,
    city: null,
    address: null,
    signed_at: null,
    contract_end_at: null,
    payment_terms_days: 30,
    credit_limit: '0.00',
    remark: null,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    created_by: 'admin',
    updated_by: 'admin',
    is_deleted: false,
    deleted_at: null,
    deleted_by: null,
    ...overrides,
  };
}
