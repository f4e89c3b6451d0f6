import http from './http';

export type Role = 'admin' | 'finance' | 'operator' | 'auditor';
export const ROLES: readonly Role[] = ['admin', 'finance', 'operator', 'auditor'];

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
}

export async function login(username: string, password: string): Promise<TokenPair> {
  const { data } = await http.post<TokenPair>('/auth/login', { username, password });
  return data;
}

export async function refresh(refresh_token: string): Promise<TokenPair> {
  const { data } = await http.post<TokenPair>('/auth/refresh', { refresh_token });
  return data;
}

export async function logout(refresh_token?: string | null): Promise<void> {
  await http.post('/auth/logout', refresh_token ? { refresh_token } : {});
}

export async function me(): Promise<CurrentUser> {
  const { data } = await http.get<CurrentUser>('/auth/me');
  return data;
}
