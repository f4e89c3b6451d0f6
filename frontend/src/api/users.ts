/**
 * Users and roles (`/users…`, `/permissions`) and one's own account (`/auth/password`,
 * `/auth/sessions`). The types mirror backend/opcms/auth/schemas.py.
 *
 * An admin's password reset is one-time: without a password the backend generates one and answers
 * it this once (`one_time_password`); the user must choose their own at next sign-in, and until then
 * every route but `/auth/me`, `/auth/password` and `/auth/logout` answers 403
 * `password_change_required`.
 */
import { collection, deleteData, getData, getQuery, postData } from './http';
import type { CurrentUser, Role } from './auth';
import type { IsoDateTime, Page } from './types';
import type { PageParams } from './params';

/** Schema `OwnerOption`: who can own a customer (enough to pick one). */
export interface OwnerOption {
  id: number;
  username: string;
  display_name: string;
  role: Role;
}

/** Schema `OwnerOptions`. */
export interface OwnerOptions {
  items: OwnerOption[];
}

/** Active users a customer can be assigned to (`customers:read`: every role). */
export function listOwnerOptions(): Promise<OwnerOptions> {
  return getData('/users/owners');
}

// --- users (admin) -----------------------------------------------------------------------------------------
/** Schema `UserPublic`. */
export interface UserPublic {
  id: number;
  username: string;
  display_name: string;
  role: Role;
  is_active: boolean;
  email: string | null;
  wecom_userid: string | null;
  last_login_at: IsoDateTime | null;
  /** signed in with a one-time password not yet replaced */
  must_change_password: boolean;
  created_at: IsoDateTime;
  updated_at: IsoDateTime;
  is_deleted: boolean;
}

/** Schema `UserCreate` (the password meets the rule: ≥ 10 characters, letters with digits or symbols, not common). */
export interface UserCreate {
  username: string;
  display_name?: string;
  role: Role;
  password: string;
  email?: string | null;
  wecom_userid?: string | null;
}

/** Schema `UserUpdate`: only what is sent changes; "" clears an address. */
export interface UserUpdate {
  display_name?: string;
  role?: Role;
  is_active?: boolean;
  email?: string;
  wecom_userid?: string;
}

/** Query of `GET /users`. */
export interface UserFilters extends PageParams {
  /** username or display name contains */
  keyword?: string;
  role?: Role;
  is_active?: boolean;
  include_deleted?: boolean;
}

/** Schema `PasswordResetAnswer`: the user, and the generated password shown this once (null when one was given). */
export interface PasswordResetAnswer extends UserPublic {
  one_time_password: string | null;
}

/** Schema `SessionsRevoked`. */
export interface SessionsRevoked {
  revoked: number;
}

/** Schema `PermissionRow`. */
export interface PermissionRow {
  permission: string;
  /** the backend's English description */
  description: string;
  roles: Role[];
}

/** Schema `PermissionMatrix`: the role → permission matrix (read-only; every signed-in user). */
export interface PermissionMatrix {
  roles: Role[];
  permissions: PermissionRow[];
}

const users = collection<UserPublic, UserCreate, UserUpdate>('/users');

export function listUsers(params: UserFilters = {}): Promise<Page<UserPublic>> {
  return getQuery('/users', params);
}

export const createUser = users.create;
/** Role, display name, active flag, addresses; the last active admin cannot be disabled or demoted (409 `last_admin`). */
export const updateUser = users.update;
/** Soft delete (409 `last_admin` for the last active admin). */
export const deleteUser = (id: number): Promise<UserPublic> => users.remove(id);

export function restoreUser(id: number): Promise<UserPublic> {
  return postData(`/users/${id}/restore`);
}

/** A one-time password: `password` given, or generated and answered once when left out. */
export function resetPassword(id: number, password?: string): Promise<PasswordResetAnswer> {
  return postData(`/users/${id}/password`, password ? { password } : {});
}

/** Ends every session of the user; answers how many. */
export function revokeUserSessions(id: number): Promise<SessionsRevoked> {
  return postData(`/users/${id}/sessions/revoke`);
}

export function getPermissionMatrix(): Promise<PermissionMatrix> {
  return getData('/permissions');
}

// --- my account --------------------------------------------------------------------------------------------
/** Schema `SessionPublic`: one sign-in of one's own. */
export interface SessionPublic {
  id: string;
  created_at: IsoDateTime;
  /** when its latest token pair was issued (sign-in or refresh) */
  last_used_at: IsoDateTime;
  expires_at: IsoDateTime;
  /** the session of this browser */
  current: boolean;
}

/** Schema `SessionList`. */
export interface SessionList {
  items: SessionPublic[];
}

/** Schema `PasswordChange`. */
export interface PasswordChange {
  current_password: string;
  new_password: string;
}

/** Changes one's own password (422 `current_password_wrong`, `password_unchanged`); other sessions end. */
export function changeOwnPassword(body: PasswordChange): Promise<CurrentUser> {
  return postData('/auth/password', body);
}

export function listMySessions(): Promise<SessionList> {
  return getData('/auth/sessions');
}

export async function revokeMySession(id: string): Promise<void> {
  await deleteData(`/auth/sessions/${id}`);
}
