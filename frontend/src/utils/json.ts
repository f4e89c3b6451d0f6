/** Whether two JSON values are equal whatever the order of their object keys (a PATCH sends a
 * settings or parameters object only when it really changed). */
export function sameJson(a: unknown, b: unknown): boolean {
  const canon = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(canon);
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.keys(value)
          .sort()
          .map((k) => [k, canon((value as Record<string, unknown>)[k])]),
      );
    }
    return value;
  };
  return JSON.stringify(canon(a)) === JSON.stringify(canon(b));
}
