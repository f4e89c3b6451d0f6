/**
 * Money is a decimal string end to end ("1234.50"): these helpers format and check it with
 * string operations only, so no amount ever goes through a binary float.
 */

/** What the backend accepts for `credit_limit`: ≥ 0, at most 16 integer digits and 2 decimals. */
export const MONEY_PATTERN = /^\d{1,16}(\.\d{1,2})?$/;

/** Trims and drops thousands separators; returns '' for blank input. */
export function normalizeMoneyInput(value: string | null | undefined): string {
  return (value ?? '').replace(/[,，\s]/g, '').replace(/^\+/, '');
}

export function isValidMoney(value: string | null | undefined): boolean {
  const clean = normalizeMoneyInput(value);
  return MONEY_PATTERN.test(clean);
}

/** "1234567.5" -> "1,234,567.50"; non-numeric text comes back unchanged; null/'' -> '-'. */
export function formatMoney(value: string | null | undefined, decimals = 2): string {
  if (value === null || value === undefined || value === '') return '-';
  const match = /^(-?)(\d+)(?:\.(\d*))?$/.exec(String(value).trim());
  if (!match) return String(value);
  const [, sign, intPart, fraction = ''] = match;
  const grouped = intPart.replace(/^0+(?=\d)/, '').replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  // pad to `decimals`, never round (rounding would need arithmetic on the amount)
  const digits = fraction.length >= decimals ? fraction : fraction.padEnd(decimals, '0');
  const frac = digits ? `.${digits}` : '';
  return `${sign}${grouped}${frac}`;
}

// --- exact arithmetic on amounts (BigInt cents) -------------------------------------------------------
const AMOUNT = /^(-?)(\d+)(?:\.(\d{0,2}))?$/;

/** "1234.5" -> 123450n; blank -> 0n. More than 2 decimals or not an amount: a RangeError. */
export function toCents(value: string | null | undefined): bigint {
  const text = normalizeMoneyInput(value);
  if (!text) return 0n;
  const match = AMOUNT.exec(text);
  if (!match) throw new RangeError(`not an amount: ${JSON.stringify(value)}`);
  const [, sign, integer, fraction = ''] = match;
  const cents = BigInt(integer) * 100n + BigInt(fraction.padEnd(2, '0'));
  return sign === '-' ? -cents : cents;
}

/** 123450n -> "1234.50" (always two decimals, as the API writes amounts). */
export function fromCents(cents: bigint): string {
  const negative = cents < 0n;
  const digits = (negative ? -cents : cents).toString().padStart(3, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

/** Whether the text is an amount with at most 2 decimals (blank is not). */
export function isAmount(value: string | null | undefined): boolean {
  const text = normalizeMoneyInput(value);
  return text !== '' && AMOUNT.test(text);
}

/** The exact sum of amounts: "0.10" + "0.20" is "0.30", never 0.30000000000000004. */
export function sumMoney(values: Iterable<string | null | undefined>): string {
  let cents = 0n;
  for (const value of values) cents += toCents(value);
  return fromCents(cents);
}

/** a - b, exactly. */
export function subtractMoney(a: string, b: string): string {
  return fromCents(toCents(a) - toCents(b));
}

/** -1, 0 or 1. */
export function compareMoney(a: string, b: string): number {
  const diff = toCents(a) - toCents(b);
  return diff === 0n ? 0 : diff < 0n ? -1 : 1;
}

/** The smaller of two amounts (as given). */
export function minMoney(a: string, b: string): string {
  return compareMoney(a, b) <= 0 ? a : b;
}
