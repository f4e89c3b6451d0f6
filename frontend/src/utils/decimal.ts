/**
 * Decimal strings for pricing: quantities (DECIMAL(20,4)), unit prices (DECIMAL(18,6)), amounts
 * (DECIMAL(18,2)) and percentages (DECIMAL(5,2)) stay strings end to end. Every helper here works
 * on the text (digits compared and re-grouped, zeros trimmed); no value ever becomes a JS number,
 * so "0.1" + nothing stays "0.1" and "12345678901234.5678" keeps all of its digits.
 */
import { formatMoney } from '@/utils/money';
import type { FieldMessage } from './form-errors';

/** The digits a kind of decimal may have (the backend's `max_digits - decimal_places` and `decimal_places`). */
export interface DecimalRule {
  integerDigits: number;
  fractionDigits: number;
}

export const QUANTITY_RULE: DecimalRule = { integerDigits: 16, fractionDigits: 4 };
export const UNIT_PRICE_RULE: DecimalRule = { integerDigits: 12, fractionDigits: 6 };
export const AMOUNT_RULE: DecimalRule = { integerDigits: 16, fractionDigits: 2 };
export const PERCENT_RULE: DecimalRule = { integerDigits: 3, fractionDigits: 2 };

/** Why a decimal string is refused (null: fine). */
export type DecimalProblem = 'invalid' | 'negative' | 'integer' | 'fraction' | 'range';

const DECIMAL = /^(-?)(\d*)(?:\.(\d*))?$/;

/** Trims, folds full-width digits (NFKC), drops thousands separators, spaces and a leading '+'. */
export function normalizeDecimalInput(value: string | null | undefined): string {
  return (value ?? '')
    .normalize('NFKC')
    .replace(/[,，\s]/g, '')
    .replace(/^\+/, '');
}

function parts(value: string): { negative: boolean; integer: string; fraction: string } | null {
  const match = DECIMAL.exec(value);
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) return null;
  return { negative: match[1] === '-', integer: match[2] || '0', fraction: match[3] ?? '' };
}

/** Whether `value` (already normalised) is a decimal number. */
export function isDecimal(value: string): boolean {
  return parts(value) !== null;
}

/**
 * What is wrong with a non-negative decimal under `rule` (the checks pydantic makes on the
 * backend: a number, ≥ 0, at most so many digits before and after the point), or null.
 * A blank value is not judged here: whether it is required is the caller's business.
 */
export function decimalProblem(raw: string | null | undefined, rule: DecimalRule): DecimalProblem | null {
  const value = normalizeDecimalInput(raw);
  const p = parts(value);
  if (!p) return 'invalid';
  if (p.negative && !/^0*$/.test(p.integer + p.fraction)) return 'negative';
  if (p.fraction.replace(/0+$/, '').length > rule.fractionDigits) return 'fraction';
  if (p.integer.replace(/^0+/, '').length > rule.integerDigits) return 'integer';
  return null;
}

/** The decimal as finance writes it, like the backend's `plain()`: "010.500" → "10.5", "0.000" → "0". */
export function plainDecimal(raw: string): string {
  const value = normalizeDecimalInput(raw);
  const p = parts(value);
  if (!p) return value;
  const integer = p.integer.replace(/^0+(?=\d)/, '');
  const fraction = p.fraction.replace(/0+$/, '');
  const text = fraction ? `${integer}.${fraction}` : integer;
  return p.negative && text !== '0' ? `-${text}` : text;
}

/** Compares two decimal strings exactly: -1, 0 or 1 (NaN-free: unparsable text sorts as 0). */
export function compareDecimal(a: string, b: string): number {
  const pa = parts(plainDecimal(a)) ?? { negative: false, integer: '0', fraction: '' };
  const pb = parts(plainDecimal(b)) ?? { negative: false, integer: '0', fraction: '' };
  if (pa.negative !== pb.negative) return pa.negative ? -1 : 1;
  const sign = pa.negative ? -1 : 1;
  const ia = pa.integer.replace(/^0+(?=\d)/, '');
  const ib = pb.integer.replace(/^0+(?=\d)/, '');
  if (ia.length !== ib.length) return ia.length < ib.length ? -sign : sign;
  if (ia !== ib) return ia < ib ? -sign : sign;
  const width = Math.max(pa.fraction.length, pb.fraction.length);
  const fa = pa.fraction.padEnd(width, '0');
  const fb = pb.fraction.padEnd(width, '0');
  if (fa === fb) return 0;
  return fa < fb ? -sign : sign;
}

/**
 * The exact sum of decimal strings, written plainly ("1234.5000" + "0.5" → "1235"; [] → "0"),
 * on scaled BigInts: no sum ever goes through a binary float. Text that is not a decimal (after
 * trimming) is a RangeError.
 */
export function sumDecimals(values: Iterable<string>): string {
  let units = 0n;
  let scale = 0;
  for (const value of values) {
    const p = parts(value.trim());
    if (!p) throw new RangeError(`not a decimal: ${JSON.stringify(value)}`);
    const next = BigInt(p.integer + p.fraction) * (p.negative ? -1n : 1n);
    const common = Math.max(scale, p.fraction.length);
    units = units * 10n ** BigInt(common - scale) + next * 10n ** BigInt(common - p.fraction.length);
    scale = common;
  }
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const integer = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale);
  return plainDecimal(`${negative ? '-' : ''}${integer}${fraction ? `.${fraction}` : ''}`);
}

/** Whether the decimal is greater than zero. */
export function isPositive(raw: string): boolean {
  return compareDecimal(raw, '0') > 0;
}

/** A quantity for display: grouped, trailing zeros dropped ("12000.5000" → "12,000.5"); null/'' → '-'. */
export function formatQuantity(value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '-';
  return isDecimal(normalizeDecimalInput(value)) ? formatMoney(plainDecimal(value), 0) : value;
}

/** A unit price for display: at least 2 decimals, no trailing zeros beyond ("0.010000" → "0.01", "0.0085" stays). */
export function formatPrice(value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '-';
  return isDecimal(normalizeDecimalInput(value)) ? formatMoney(plainDecimal(value), 2) : value;
}

/** An amount for display, exactly as the API rounded it, grouped: "1234567.5" → "1,234,567.50". */
export function formatAmount(value: string | null | undefined): string {
  return formatMoney(value, 2);
}

/** A percentage for display: "10.00" → "10%", "12.50" → "12.5%". */
export function formatPercent(value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '-';
  return isDecimal(normalizeDecimalInput(value)) ? `${plainDecimal(value)}%` : value;
}

/** A percentage in 0..100 with at most 2 decimals (the backend's `Percent`). */
export function percentProblem(raw: string | null | undefined): DecimalProblem | null {
  const problem = decimalProblem(raw, PERCENT_RULE);
  if (problem) return problem;
  return compareDecimal(normalizeDecimalInput(raw), '100') > 0 ? 'range' : null;
}

/** The message of a value that pydantic refuses, as the backend words it. */
export function decimalMessage(problem: DecimalProblem, rule: DecimalRule): FieldMessage {
  switch (problem) {
    case 'negative':
      return { key: 'pricing.decimal.negative', params: {} };
    case 'fraction':
      return { key: 'pricing.decimal.fraction', params: { n: rule.fractionDigits } };
    case 'integer':
      return { key: 'pricing.decimal.integer', params: { n: rule.integerDigits } };
    case 'range':
      return { key: 'pricing.decimal.percentRange', params: {} };
    default:
      return { key: 'pricing.decimal.invalid', params: {} };
  }
}

/** The message of a percentage the backend's `Percent` refuses (blank: no discount, fine), or null. */
export function percentMessage(raw: string | null | undefined): FieldMessage | null {
  if (normalizeDecimalInput(raw) === '') return null;
  const problem = percentProblem(raw);
  return problem ? decimalMessage(problem, PERCENT_RULE) : null;
}
