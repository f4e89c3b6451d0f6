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
