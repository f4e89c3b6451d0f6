import { getData } from './http';
import type { Role } from './auth';

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
