/**
 * The data source form: settings typed as JSON text (checked to be a JSON object before sending),
 * secrets as name/value rows that are write-only: a stored secret shows its name only; leaving its
 * value blank keeps it, typing a value replaces it, removing the row deletes it (null).
 */
import {
  type DataSourceCreate,
  type DataSourcePublic,
  type DataSourceUpdate,
  MAX_SECRETS,
} from '@/api/data-sources';
import type { ApiError } from '@/api/errors';
import { cleanMessage, type FormErrors } from '@/utils/form-errors';
import type { MessageKey } from '@/locale';
import { sameJson, settingsText } from '@/utils/json';
import { textOrNull } from '@/utils/text';

export interface SecretRow {
  /** stable row key for the editor */
  key: number;
  name: string;
  /** blank on a stored secret = keep it */
  value: string;
  /** the secret is stored on the server (its name cannot change, its value is never shown) */
  stored: boolean;
}

export interface SourceFormModel {
  name: string;
  adapter: string;
  /** the adapter's settings as JSON text */
  settingsText: string;
  secrets: SecretRow[];
  /** stored secrets the user removed (sent as null) */
  removedSecrets: string[];
  is_enabled: boolean;
  timeout_seconds: number | undefined;
  remark: string;
}

/** A starting point for the settings of each built-in adapter (backend `usage/adapters`). */
export const SETTINGS_TEMPLATES: Record<string, Record<string, unknown>> = {
  demo: { metrics: ['api_calls', 'sms'], base: 1000 },
  // no directory: the backend keeps the uploads in usage-uploads/<id> under its var dir
  file: {},
  http_json: {
    base_url: 'https://vendor.example.com/api',
    path: '/usage',
    auth: 'bearer',
    paging: 'none',
    items_path: 'data',
  },
};

/** The secrets an adapter needs for its settings (http_json: `token` for bearer, `hmac_secret` for hmac). */
export function neededSecret(adapter: string, settings: Record<string, unknown> | null): string | null {
  if (adapter !== 'http_json' || !settings) return null;
  return ({ bearer: 'token', hmac: 'hmac_secret' } as Record<string, string>)[String(settings.auth)] ?? null;
}

let nextKey = 1;
export function secretRow(values: Partial<Omit<SecretRow, 'key'>> = {}): SecretRow {
  nextKey += 1;
  return { key: nextKey, name: values.name ?? '', value: values.value ?? '', stored: values.stored ?? false };
}

export function emptySourceModel(adapter = 'demo'): SourceFormModel {
  return {
    name: '',
    adapter,
    settingsText: settingsText(SETTINGS_TEMPLATES[adapter] ?? {}),
    secrets: [],
    removedSecrets: [],
    is_enabled: true,
    timeout_seconds: 30,
    remark: '',
  };
}

export function modelFromSource(source: DataSourcePublic): SourceFormModel {
  return {
    name: source.name,
    adapter: source.adapter,
    settingsText: settingsText(source.settings ?? {}),
    secrets: source.secret_names.map((name) => secretRow({ name, stored: true })),
    removedSecrets: [],
    is_enabled: source.is_enabled,
    timeout_seconds: source.timeout_seconds,
    remark: source.remark ?? '',
  };
}

export interface SecretProblem {
  /** the row key, or null for the whole list */
  row: number | null;
  key: MessageKey;
  params: Record<string, string | number>;
}

/** Rows the backend would refuse: a new secret needs a name and a value, names are unique and short. */
export function secretProblems(rows: readonly SecretRow[]): SecretProblem[] {
  const problems: SecretProblem[] = [];
  const seen = new Map<string, number>();
  for (const row of rows) {
    const name = row.name.trim();
    if (!row.stored && !name && !row.value) continue; // an empty new row is ignored
    if (!name) problems.push({ row: row.key, key: 'dataSource.secrets.needName', params: {} });
    else if (name.length > 64)
      problems.push({ row: row.key, key: 'pricing.rule.maxLength', params: { max: 64 } });
    else if (seen.has(name))
      problems.push({ row: row.key, key: 'dataSource.secrets.duplicate', params: { name } });
    if (name) seen.set(name, row.key);
    if (!row.stored && name && !row.value)
      problems.push({ row: row.key, key: 'dataSource.secrets.needValue', params: { name } });
    if (row.value.length > 4000)
      problems.push({ row: row.key, key: 'pricing.rule.maxLength', params: { max: 4000 } });
  }
  if (seen.size > MAX_SECRETS)
    problems.push({ row: null, key: 'dataSource.secrets.tooMany', params: { max: MAX_SECRETS } });
  return problems;
}

/** `POST /data-sources` (the settings already parsed). */
export function toSourceCreateBody(
  model: SourceFormModel,
  settings: Record<string, unknown>,
): DataSourceCreate {
  const secrets: Record<string, string> = {};
  for (const row of model.secrets) {
    const name = row.name.trim();
    if (name && row.value) secrets[name] = row.value;
  }
  const body: DataSourceCreate = {
    name: model.name.trim(),
    adapter: model.adapter.trim(),
    settings,
    secrets,
    is_enabled: model.is_enabled,
    timeout_seconds: model.timeout_seconds ?? 30,
  };
  const remark = textOrNull(model.remark);
  if (remark) body.remark = remark;
  return body;
}

/**
 * `PATCH /data-sources/{id}`: only what changed. Secrets per key: a typed value sets it, a
 * removed stored secret is null, a stored secret left blank is not sent (kept).
 */
export function toSourceUpdateBody(
  model: SourceFormModel,
  original: DataSourcePublic,
  settings: Record<string, unknown>,
): DataSourceUpdate {
  const body: DataSourceUpdate = {};
  if (!sameJson(settings, original.settings ?? {})) body.settings = settings;
  const secrets: Record<string, string | null> = {};
  for (const name of model.removedSecrets) secrets[name] = null;
  for (const row of model.secrets) {
    const name = row.name.trim();
    if (name && row.value) secrets[name] = row.value;
  }
  if (Object.keys(secrets).length) body.secrets = secrets;
  if (model.is_enabled !== original.is_enabled) body.is_enabled = model.is_enabled;
  if (model.timeout_seconds !== undefined && model.timeout_seconds !== original.timeout_seconds)
    body.timeout_seconds = model.timeout_seconds;
  const remark = textOrNull(model.remark);
  if (remark !== (original.remark ?? null)) body.remark = remark;
  return body;
}

const FORM_FIELDS = ['name', 'adapter', 'settings', 'secrets', 'is_enabled', 'timeout_seconds', 'remark'];

/**
 * A 422/409 on the fields of the form: "settings.base_url" goes under the settings as
 * "base_url: …", "secrets.token" under the secrets; the rest (or the message alone) above the form.
 */
export function mapSourceError(error: Pick<ApiError, 'message' | 'details'>): FormErrors {
  const fields: Record<string, string> = {};
  const general: string[] = [];
  for (const detail of error.details) {
    const path = (detail.field ?? '').replace(/^body\./, '');
    const [head, ...rest] = path.split('.');
    const message = cleanMessage(detail.message);
    if (head && FORM_FIELDS.includes(head)) {
      const text = rest.length ? `${rest.join('.')}: ${message}` : message;
      fields[head] = fields[head] ? `${fields[head]}; ${text}` : text;
    } else {
      general.push(path ? `${path}: ${message}` : message);
    }
  }
  if (!Object.keys(fields).length && !general.length) general.push(error.message);
  return { fields, general };
}
