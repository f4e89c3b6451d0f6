import { afterEach, describe, expect, it } from 'vitest';
import { setLocale } from '@/locale';
import { tierRange, tierRanges } from '@/utils/tier-range';

afterEach(() => setLocale('zh-CN'));

describe('tier ranges as people say them', () => {
  it('counts whole bounds from the first unit past the previous bound, with separators', () => {
    setLocale('en-US');
    expect(tierRange('0', '10000')).toBe('0 – 10,000');
    expect(tierRange('10000', '50000')).toBe('10,001 – 50,000');
    expect(tierRange('10000', null)).toBe('10,001 and above');
    expect(tierRange(null, null)).toBe('0 and above');
    setLocale('zh-CN');
    expect(tierRange('10000', null)).toBe('10,001 及以上');
    expect(tierRange('0', '10000.0000')).toBe('0 – 10,000');
  });

  it('keeps every digit: no float on the way', () => {
    setLocale('en-US');
    expect(tierRange('9999999999999999', null)).toBe('10,000,000,000,000,000 and above');
    expect(tierRange('12345678901234567', '99999999999999999')).toBe(
      '12,345,678,901,234,568 – 99,999,999,999,999,999',
    );
  });

  it('says "over" when a bound is fractional', () => {
    setLocale('en-US');
    expect(tierRange('10000.5', '20000')).toBe('over 10,000.5 to 20,000');
    expect(tierRange('100', '100.5')).toBe('over 100 to 100.5');
    expect(tierRange('0.25', null)).toBe('over 0.25');
    setLocale('zh-CN');
    expect(tierRange('10000.5', null)).toBe('超过 10,000.5');
  });

  it('shows what is not a number as typed (the editor while typing)', () => {
    setLocale('en-US');
    expect(tierRange('abc', '')).toBe('abc and above');
    expect(tierRange('0', '1e3')).toBe('0 – 1e3');
  });

  it('reads a plan version’s tiers one after the other', () => {
    setLocale('zh-CN');
    const tiers = [{ up_to: '10000' }, { up_to: '50000' }, { up_to: null }];
    expect(tierRanges(tiers)).toEqual(['0 – 10,000', '10,001 – 50,000', '50,001 及以上']);
  });
});
