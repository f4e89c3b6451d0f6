import http from './http';
import type { Role } from './auth';
import type { Page } from './customers';

/** Schema `UserPublic`. */
export interface UserPublic {
  id: number;
  username: string;
  display_name: string;
  role: Role;
  is_active: boolean;
  last_login_at?: string | null;
  created_at: string;
  updated_at: string;
  is_deleted?: boolean;
}

export interface UserListParams {
  page?: number;
  page_size?: number;
  keyword?: string;
  role?: Role;
  is_active?: boolean;
}

/** `users:read` (admin, auditor). */
export async function listUsers(params: UserListParams = {}): Promise<Page<UserPublic>> {
  const { data } = await http.get<Page<UserPublic>>('/users', { params });
  return data;
}
