import { describe, expect, it } from 'vitest';

import { sameJson } from '@/utils/json';

describe('sameJson', () => {
  it('ignores the order of object keys, at any depth', () => {
    expect(sameJson({ a: 1, b: { c: [1, { d: 2, e: 3 }] } }, { b: { c: [1, { e: 3, d: 2 }] }, a: 1 })).toBe(
      true,
    );
  });

  it('sees a changed value, a missing key and the order of a list', () => {
    expect(sameJson({ stages: [-3, 1] }, { stages: [1, -3] })).toBe(false);
    expect(sameJson({ a: 1 }, { a: 1, b: null })).toBe(false);
    expect(sameJson({ a: '1' }, { a: 1 })).toBe(false);
  });
});
