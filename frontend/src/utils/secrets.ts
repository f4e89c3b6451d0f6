/**
 * Write-only secrets, as data sources and notification channels take them (backend
 * `core/secrets.py`): an answer names the stored ones (`secret_names`), never their values; a
 * create sends `secrets` {name: value}; a PATCH merges key by key: a value sets it, null removes
 * it, a name not sent is kept.
 *
 * The editor holds one entry per secret: a stored one shows its name only (blank keeps it, a
 * value replaces it, `remove` deletes it), a new one is sent when it has a value.
 */
import type { MessageKey } from '@/locale';

/** `MAX_SECRETS` of the backend, and the longest name and value it takes. */
export const MAX_SECRETS = 32;
export const MAX_SECRET_NAME = 64;
export const MAX_SECRET_VALUE = 4000;

export interface SecretEntry {
  /** stable row key for the editor (a new entry's name may still change) */
  key: number;
  name: string;
  /** blank: keep the stored one (or set none) */
  value: string;
  /** stored on the server: its name cannot change, its value is never shown */
  stored: boolean;
  /** delete the stored one (sent as null) */
  remove: boolean;
}

let lastKey = 0;
export function secretEntry(values: Partial<Omit<SecretEntry, 'key'>> = {}): SecretEntry {
  lastKey += 1;
  return {
    key: lastKey,
    name: values.name ?? '',
    value: values.value ?? '',
    stored: values.stored ?? false,
    remove: values.remove ?? false,
  };
}

/** The entries of a record: the expected names first (a channel kind's), then the other stored ones. */
export function secretEntries(stored: readonly string[], expected: readonly string[] = []): SecretEntry[] {
  return [...new Set([...expected, ...stored])].map((name) =>
    secretEntry({ name, stored: stored.includes(name) }),
  );
}

/** A create's `secrets`: every named entry with a value. */
export function secretsToCreate(entries: readonly SecretEntry[]): Record<string, string> {
  const secrets: Record<string, string> = {};
  for (const entry of entries) {
    const name = entry.name.trim();
    if (name && entry.value && !entry.remove) secrets[name] = entry.value;
  }
  return secrets;
}

/**
 * A PATCH's `secrets`: a removed stored secret is null, a typed value replaces (or adds) one, a
 * stored one left blank is not sent (kept). Undefined when nothing changes.
 */
export function secretsToPatch(entries: readonly SecretEntry[]): Record<string, string | null> | undefined {
  const secrets: Record<string, string | null> = {};
  for (const entry of entries) {
    const name = entry.name.trim();
    if (!name) continue;
    if (entry.stored && entry.remove) secrets[name] = null;
    else if (entry.value) secrets[name] = entry.value;
  }
  return Object.keys(secrets).length ? secrets : undefined;
}

export interface SecretProblem {
  /** the entry's key, or null for the whole list */
  row: number | null;
  key: MessageKey;
  params: Record<string, string | number>;
}

/**
 * Entries the backend would refuse: names are given, unique and short, values short, at most
 * MAX_SECRETS. A new entry typed by name (a free row) needs a value; a fixed name left blank is
 * simply not set.
 */
export function secretProblems(entries: readonly SecretEntry[], freeNames = true): SecretProblem[] {
  const problems: SecretProblem[] = [];
  const seen = new Set<string>();
  const kept = new Set<string>(); // the names stored after the save
  for (const entry of entries) {
    const name = entry.name.trim();
    if (!entry.stored && !name && !entry.value) continue; // an empty new row is ignored
    if (!name) problems.push({ row: entry.key, key: 'secrets.needName', params: {} });
    else if (name.length > MAX_SECRET_NAME)
      problems.push({ row: entry.key, key: 'pricing.rule.maxLength', params: { max: MAX_SECRET_NAME } });
    else if (seen.has(name)) problems.push({ row: entry.key, key: 'secrets.duplicate', params: { name } });
    if (name) seen.add(name);
    if (name && ((entry.stored && !entry.remove) || entry.value)) kept.add(name);
    if (freeNames && !entry.stored && name && !entry.value)
      problems.push({ row: entry.key, key: 'secrets.needValue', params: { name } });
    if (entry.value.length > MAX_SECRET_VALUE)
      problems.push({ row: entry.key, key: 'pricing.rule.maxLength', params: { max: MAX_SECRET_VALUE } });
  }
  if (kept.size > MAX_SECRETS)
    problems.push({ row: null, key: 'secrets.tooMany', params: { max: MAX_SECRETS } });
  return problems;
}
