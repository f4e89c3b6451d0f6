import http, { getData, postData } from './http';

export const ROLES = ['admin', 'finance', 'operator', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

/** Body of `POST /auth/login` and `POST /auth/refresh`. */
export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: string; // "bearer"
  expires_in: number; // seconds
}

/** Body of `GET /auth/me`. */
export interface CurrentUser {
  id: number | string;
  username: string;
  display_name: string;
  role: Role;
  permissions: string[];
  is_active: boolean;
  /** signed in with a one-time password: only the account page opens until it is changed */
  must_change_password?: boolean;
}

export function login(username: string, password: string): Promise<TokenPair> {
  return postData('/auth/login', { username, password });
}

export function refresh(refresh_token: string): Promise<TokenPair> {
  return postData('/auth/refresh', { refresh_token });
}

export async function logout(refresh_token?: string | null): Promise<void> {
  await http.post('/auth/logout', refresh_token ? { refresh_token } : {});
}

export function me(): Promise<CurrentUser> {
  return getData('/auth/me');
}
