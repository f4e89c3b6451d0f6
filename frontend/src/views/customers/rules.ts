/**
 * Client-side hints that mirror the backend's field rules (backend `customers/rules.py` and
 * `schemas.py`). The backend stays the judge: these only catch mistakes before a round trip.
 * Each check returns an i18n message key, or null when the value is fine (blank optional → fine).
 */
import { isValidMoney, normalizeMoneyInput } from '@/utils/money';

/** Full-width → half-width (NFKC), trimmed, inner white space runs made one space. */
export function fold(value: string): string {
  return value.normalize('NFKC').replace(/\s+/g, ' ').trim();
}

const CODE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;

export function checkCustomerCode(value: string | null | undefined): string | null {
  const code = fold(value ?? '');
  if (!code) return 'customer.rule.required';
  return CODE.test(code) ? null : 'customer.rule.code';
}

export function checkCompanyName(value: string | null | undefined): string | null {
  const name = (value ?? '').split(/\s+/).filter(Boolean).join(' ');
  if (!name) return 'customer.rule.required';
  return name.length > 200 ? 'customer.rule.nameLength' : null;
}

// GB 32100-2015 unified social credit code
export const CREDIT_CODE_CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const CREDIT_CODE_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
const CREDIT_CODE = new RegExp(`^[${CREDIT_CODE_CHARSET}]{18}$`);

export function creditCodeCheckChar(first17: string): string {
  let total = 0;
  for (let i = 0; i < 17; i += 1) total += CREDIT_CODE_CHARSET.indexOf(first17[i]) * CREDIT_CODE_WEIGHTS[i];
  return CREDIT_CODE_CHARSET[(31 - (total % 31)) % 31];
}

export function checkCreditCode(value: string | null | undefined): string | null {
  const code = fold(value ?? '')
    .toUpperCase()
    .replace(/ /g, '');
  if (!code) return null;
  if (!CREDIT_CODE.test(code)) return 'customer.rule.creditCodeFormat';
  return creditCodeCheckChar(code.slice(0, 17)) === code[17] ? null : 'customer.rule.creditCodeCheck';
}

const PHONE_SEPARATORS = /[\s\-()（）.]/g;
const MOBILE = /^1[3-9]\d{9}$/;
const LANDLINE = /^0\d{2,3}\d{7,8}$/;

/** The phone as the backend stores it (digits only, +86 and separators stripped), or null if invalid. */
export function normalizePhone(value: string): string | null {
  let digits = fold(value).replace(PHONE_SEPARATORS, '');
  for (const prefix of ['+86', '0086']) {
    if (digits.startsWith(prefix)) digits = digits.slice(prefix.length);
  }
  if (digits.startsWith('86') && digits.length === 13) digits = digits.slice(2);
  return MOBILE.test(digits) || LANDLINE.test(digits) ? digits : null;
}

export function checkPhone(value: string | null | undefined): string | null {
  if (!(value ?? '').trim()) return null;
  return normalizePhone(value as string) ? null : 'customer.rule.phone';
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function checkEmail(value: string | null | undefined): string | null {
  const email = fold(value ?? '');
  if (!email) return null;
  return EMAIL.test(email) ? null : 'customer.rule.email';
}

/** `contract_end_at` must not be before `signed_at` (ISO dates compare as strings). */
export function checkContractDates(
  signedAt: string | null | undefined,
  endsAt: string | null | undefined,
): string | null {
  if (!signedAt || !endsAt) return null;
  return endsAt < signedAt ? 'customer.rule.contractEnd' : null;
}

export function checkPaymentTerms(value: number | string | null | undefined): string | null {
  if (value === null || value === undefined || value === '') return 'customer.rule.required';
  const text = String(value).trim();
  if (!/^\d+$/.test(text)) return 'customer.rule.paymentTerms';
  return Number(text) <= 3650 ? null : 'customer.rule.paymentTerms';
}

export function checkCreditLimit(value: string | null | undefined): string | null {
  const clean = normalizeMoneyInput(value);
  if (!clean) return 'customer.rule.required';
  if (clean.startsWith('-')) return 'customer.rule.moneyNegative';
  return isValidMoney(clean) ? null : 'customer.rule.money';
}

export function checkMaxLength(max: number) {
  return (value: string | null | undefined): string | null =>
    (value ?? '').trim().length > max ? 'customer.rule.maxLength' : null;
}
