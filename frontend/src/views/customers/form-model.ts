/** The customer form's model and its mapping to the API bodies (create: all given; update: only changes). */
import type { CustomerCreate, CustomerPublic, CustomerStatus, CustomerUpdate } from '@/api/customers';
import { normalizeMoneyInput } from '@/utils/money';
import { textOrNull } from '@/utils/text';

export interface CustomerFormModel {
  customer_code: string;
  company_name: string;
  short_name: string;
  credit_code: string;
  industry: string | undefined;
  level: string | undefined;
  status: CustomerStatus;
  owner_id: number | null | undefined;
  contact_name: string;
  contact_phone: string;
  contact_email: string;
  province: string;
  city: string;
  address: string;
  signed_at: string | undefined;
  contract_end_at: string | undefined;
  payment_terms_days: number | undefined;
  /** a decimal string, never a number */
  credit_limit: string;
  remark: string;
}

const TEXT_FIELDS = [
  'short_name',
  'credit_code',
  'contact_name',
  'contact_phone',
  'contact_email',
  'province',
  'city',
  'address',
  'remark',
] as const;
const CHOICE_FIELDS = ['industry', 'level', 'signed_at', 'contract_end_at'] as const;

export function emptyModel(): CustomerFormModel {
  return {
    customer_code: '',
    company_name: '',
    short_name: '',
    credit_code: '',
    industry: undefined,
    level: undefined,
    status: 'prospect',
    owner_id: undefined,
    contact_name: '',
    contact_phone: '',
    contact_email: '',
    province: '',
    city: '',
    address: '',
    signed_at: undefined,
    contract_end_at: undefined,
    payment_terms_days: 30,
    credit_limit: '0',
    remark: '',
  };
}

export function modelFromCustomer(customer: CustomerPublic): CustomerFormModel {
  return {
    customer_code: customer.customer_code,
    company_name: customer.company_name,
    short_name: customer.short_name ?? '',
    credit_code: customer.credit_code ?? '',
    industry: customer.industry ?? undefined,
    level: customer.level ?? undefined,
    status: customer.status,
    owner_id: customer.owner_id ?? undefined,
    contact_name: customer.contact_name ?? '',
    contact_phone: customer.contact_phone ?? '',
    contact_email: customer.contact_email ?? '',
    province: customer.province ?? '',
    city: customer.city ?? '',
    address: customer.address ?? '',
    signed_at: customer.signed_at ?? undefined,
    contract_end_at: customer.contract_end_at ?? undefined,
    payment_terms_days: customer.payment_terms_days,
    credit_limit: customer.credit_limit ?? '0',
    remark: customer.remark ?? '',
  };
}

/** `POST /customers` body: blank optional fields are left out (the backend's defaults apply). */
export function toCreateBody(model: CustomerFormModel): CustomerCreate {
  const body: CustomerCreate = {
    customer_code: model.customer_code.trim(),
    company_name: model.company_name.trim(),
    status: model.status,
    payment_terms_days: model.payment_terms_days ?? 30,
    credit_limit: normalizeMoneyInput(model.credit_limit) || '0',
  };
  for (const field of TEXT_FIELDS) {
    const value = textOrNull(model[field]);
    if (value !== null) body[field] = value;
  }
  for (const field of CHOICE_FIELDS) {
    const value = model[field];
    if (value) body[field] = value;
  }
  if (model.owner_id) body.owner_id = model.owner_id;
  return body;
}

/** `PATCH /customers/{id}` body: only what differs from `original`; a cleared field is sent as null. */
export function toUpdateBody(model: CustomerFormModel, original: CustomerPublic): CustomerUpdate {
  const body: CustomerUpdate = {};
  const code = model.customer_code.trim();
  if (code !== original.customer_code) body.customer_code = code;
  const name = model.company_name.trim();
  if (name !== original.company_name) body.company_name = name;
  for (const field of TEXT_FIELDS) {
    const value = textOrNull(model[field]);
    if (value !== (original[field] ?? null)) body[field] = value;
  }
  for (const field of CHOICE_FIELDS) {
    const value = model[field] || null;
    if (value !== (original[field] ?? null)) body[field] = value;
  }
  const owner = model.owner_id || null;
  if (owner !== (original.owner_id ?? null)) body.owner_id = owner;
  if (model.payment_terms_days !== undefined && model.payment_terms_days !== original.payment_terms_days) {
    body.payment_terms_days = model.payment_terms_days;
  }
  const limit = normalizeMoneyInput(model.credit_limit);
  // compare as decimal strings: "50000" and "50000.00" are the same amount
  if (limit && !sameAmount(limit, original.credit_limit)) body.credit_limit = limit;
  return body;
}

/** Equal decimal strings, ignoring leading zeros and trailing fractional zeros. */
export function sameAmount(a: string, b: string): boolean {
  const canon = (v: string) => {
    const [int, frac = ''] = v.trim().split('.');
    return `${int.replace(/^0+(?=\d)/, '')}.${frac.replace(/0+$/, '')}`;
  };
  return canon(a) === canon(b);
}
