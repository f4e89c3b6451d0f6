/**
 * Users and roles: role and status labels, the list's filters as `GET /users` parameters, the
 * columns, the user form's model (what it sends on create and on edit), and the permission matrix
 * as table rows (a permission's text from the locale, else the backend's English description).
 */
import type { TableColumnData } from '@arco-design/web-vue';
import { ROLES, type Role } from '@/api/auth';
import type { PermissionMatrix, UserCreate, UserFilters, UserPublic, UserUpdate } from '@/api/users';
import { t } from '@/locale';
import type { Option } from '@/types/option';
import { actionsColumn, slotColumn, timeColumn } from '@/utils/columns';

export const ROLE_COLORS: Record<Role, string> = {
  admin: 'red',
  finance: 'orangered',
  operator: 'arcoblue',
  auditor: 'purple',
};

export function roleLabel(role: Role | string): string {
  return t(`role.${role}`);
}

export function roleOptions(): Option<Role>[] {
  return ROLES.map((value) => ({ value, label: roleLabel(value) }));
}

export function activeOptions(): Option<string>[] {
  return [
    { value: 'true', label: t('user.status.active') },
    { value: 'false', label: t('user.status.disabled') },
  ];
}

// --- list ------------------------------------------------------------------------------------------------
export interface UserFilterModel {
  keyword: string;
  role: Role | undefined;
  /** 'true' | 'false' | undefined (a select's values are strings) */
  is_active: string | undefined;
}

export function emptyUserFilters(): UserFilterModel {
  return { keyword: '', role: undefined, is_active: undefined };
}

export function userFilterParams(model: UserFilterModel): UserFilters {
  return {
    keyword: model.keyword,
    role: model.role,
    is_active: model.is_active === undefined ? undefined : model.is_active === 'true',
  };
}

export function userColumns(): TableColumnData[] {
  return [
    slotColumn('user.field.username', 'username', 200, { fixed: 'left' }),
    slotColumn('user.field.role', 'role', 110),
    slotColumn('user.field.status', 'status', 190),
    timeColumn('user.field.lastLogin', 'lastLogin', 'last_login_at'),
    slotColumn('user.field.contact', 'contact', 220),
    timeColumn('user.field.createdAt', 'createdAt', 'created_at'),
    actionsColumn(330),
  ];
}

// --- the user form -----------------------------------------------------------------------------------------
export interface UserFormModel {
  username: string;
  display_name: string;
  role: Role;
  password: string;
  email: string;
  wecom_userid: string;
}

export const USER_FORM_FIELDS = ['username', 'display_name', 'role', 'password', 'email', 'wecom_userid'];

export function userFormModel(user: UserPublic | null): UserFormModel {
  return {
    username: user?.username ?? '',
    display_name: user?.display_name ?? '',
    role: user?.role ?? 'operator',
    password: '',
    email: user?.email ?? '',
    wecom_userid: user?.wecom_userid ?? '',
  };
}

export function toUserCreate(model: UserFormModel): UserCreate {
  return {
    username: model.username.trim(),
    display_name: model.display_name.trim(),
    role: model.role,
    password: model.password,
    email: model.email.trim() || null,
    wecom_userid: model.wecom_userid.trim() || null,
  };
}

/** only what changed ("" clears an address) */
export function toUserUpdate(model: UserFormModel, user: UserPublic): UserUpdate {
  const body: UserUpdate = {};
  const name = model.display_name.trim();
  if (name && name !== user.display_name) body.display_name = name;
  if (model.role !== user.role) body.role = model.role;
  if (model.email.trim() !== (user.email ?? '')) body.email = model.email.trim();
  if (model.wecom_userid.trim() !== (user.wecom_userid ?? '')) body.wecom_userid = model.wecom_userid.trim();
  return body;
}

// --- the permission matrix -----------------------------------------------------------------------------------
export interface PermissionMatrixRow {
  id: number;
  permission: string;
  text: string;
  roles: Record<string, boolean>;
}

/** the permission's text in the chosen language (the backend's English description when the locale has none) */
export function permissionText(permission: string, description: string): string {
  const key = `permission.${permission}`;
  const text = t(key);
  return text === key ? description : text;
}

export function matrixRows(matrix: PermissionMatrix): PermissionMatrixRow[] {
  return matrix.permissions.map((row, index) => ({
    id: index + 1,
    permission: row.permission,
    text: permissionText(row.permission, row.description),
    roles: Object.fromEntries(matrix.roles.map((role) => [role, row.roles.includes(role)])),
  }));
}
