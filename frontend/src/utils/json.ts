import type { MessageKey } from '@/locale';

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

export function settingsText(settings: Record<string, unknown>): string {
  return JSON.stringify(settings, null, 2);
}

export type SettingsResult =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; key: MessageKey; params: Record<string, string | number> };

/** The settings text as a JSON object (blank = `{}`); otherwise why not. */
export function parseSettings(text: string): SettingsResult {
  if (!text.trim()) return { ok: true, value: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      key: 'dataSource.settings.invalidJson',
      params: { error: error instanceof Error ? error.message : String(error) },
    };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, key: 'dataSource.settings.notObject', params: {} };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

/**
 * The parameters as one line ("period=2026-10, customer_id=7"), '-' when none; `label` names a
 * parameter in the UI's language ("账期=2026-10").
 */
export function parametersText(
  parameters: Record<string, unknown> | null | undefined,
  label: (name: string) => string = (name) => name,
): string {
  const entries = Object.entries(parameters ?? {}).filter(
    ([, value]) => value !== null && value !== undefined && value !== '',
  );
  if (!entries.length) return '-';
  return entries
    .map(
      ([key, value]) => `${label(key)}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`,
    )
    .join(', ');
}
