/**
 * The range a pricing tier covers, as people say it. A tier covers (from, up_to]: the first from
 * 0, the last without an upper bound. With whole bounds the range is counted in whole units, the
 * start being the first unit past the previous bound: "0 – 10,000", "10,001 – 50,000", "50,001 and
 * above" ("50,001 及以上"). A fractional bound cannot be counted that way and says "over": "over
 * 10,000.5 to 20,000", "over 10,000.5". Exact decimal text throughout, grouped by thousands; never
 * a float.
 */
import { t } from '@/locale';
import {
  compareDecimal,
  formatQuantity,
  isDecimal,
  normalizeDecimalInput,
  plainDecimal,
  sumDecimals,
} from './decimal';

function readable(value: string | null | undefined): string | null {
  const clean = normalizeDecimalInput(value);
  return clean !== '' && isDecimal(clean) ? plainDecimal(clean) : null;
}

function whole(value: string): boolean {
  return !value.includes('.');
}

/**
 * "0 – 10,000" / "10,001 and above" for the tier after `from` (the previous tier's bound; blank or
 * 0 for the first) up to `upTo` (blank or null: no upper bound). Text that is not a number is
 * shown as typed.
 */
export function tierRange(from: string | null | undefined, upTo: string | null | undefined): string {
  const start = readable(from) ?? (normalizeDecimalInput(from) === '' ? '0' : (from as string));
  const openEnded = normalizeDecimalInput(upTo) === '';
  const end = openEnded ? null : (readable(upTo) ?? (upTo as string));
  const to = end === null ? '' : formatQuantity(end);
  if (!isDecimal(start)) {
    return openEnded ? t('tier.range.open', { from: start }) : t('tier.range.closed', { from: start, to });
  }
  if (compareDecimal(start, '0') <= 0) {
    return openEnded ? t('tier.range.open', { from: '0' }) : t('tier.range.closed', { from: '0', to });
  }
  if (whole(start) && (end === null || whole(end))) {
    const first = formatQuantity(sumDecimals([start, '1']));
    return openEnded ? t('tier.range.open', { from: first }) : t('tier.range.closed', { from: first, to });
  }
  const over = formatQuantity(start);
  return openEnded ? t('tier.range.over', { from: over }) : t('tier.range.overTo', { from: over, to });
}

/** The ranges of a list of tiers (each `up_to` the bound of the next one's range). */
export function tierRanges(tiers: readonly { up_to: string | null }[]): string[] {
  return tiers.map((tier, index) => tierRange(index === 0 ? '0' : tiers[index - 1].up_to, tier.up_to));
}
