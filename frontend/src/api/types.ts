/**
 * The shapes every API module shares: the scalars as the API sends them and the list envelope.
 *
 * Money, unit prices and quantities travel as decimal strings ("1234.50") and stay strings: none
 * of them is ever turned into a JS number (see `src/utils/money.ts` for display, input checks and
 * sums on BigInt cents). This module imports nothing, so any API module may import it.
 */

/** A decimal amount as the API sends it, e.g. "50000.00". */
export type Money = string;

/** A decimal as the API sends it: an amount ("118.76"), a unit price ("0.010000") or a quantity ("10000"). */
export type Decimal = string;

/** `YYYY-MM-DD`. */
export type IsoDate = string;

/** ISO 8601 date-time in UTC, e.g. "2026-01-02T03:04:05.123456Z". */
export type IsoDateTime = string;

/** `YYYY-MM`, an Asia/Shanghai month. */
export type Period = string;

/** The list envelope of every list endpoint. */
export interface Page<T> {
  items: T[];
  total: number;
  /** true (customer, invoice and payment lists of more than 2,000 matches): `total` was counted up to 5 seconds ago */
  total_is_estimate?: boolean;
  page: number;
  page_size: number;
}
