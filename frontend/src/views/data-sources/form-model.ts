/**
 * The data source form: settings typed as JSON text (checked to be a JSON object before sending),
 * secrets as write-only name/value rows (`@/utils/secrets`): a stored secret shows its name only;
 * leaving its value blank keeps it, typing a value replaces it, removing it deletes it (null).
 */
import type { DataSourceCreate, DataSourcePublic, DataSourceUpdate } from '@/api/data-sources';
import type { ApiError } from '@/api/errors';
import { mapFieldErrors, type FormErrors } from '@/utils/form-errors';
import { sameJson, settingsText } from '@/utils/json';
import { secretEntries, secretsToCreate, secretsToPatch, type SecretEntry } from '@/utils/secrets';
import { textOrNull } from '@/utils/text';

export interface SourceFormModel {
  name: string;
  adapter: string;
  /** the adapter's settings as JSON text */
  settingsText: string;
  secrets: SecretEntry[];
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

export function emptySourceModel(adapter = 'demo'): SourceFormModel {
  return {
    name: '',
    adapter,
    settingsText: settingsText(SETTINGS_TEMPLATES[adapter] ?? {}),
    secrets: [],
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
    secrets: secretEntries(source.secret_names),
    is_enabled: source.is_enabled,
    timeout_seconds: source.timeout_seconds,
    remark: source.remark ?? '',
  };
}

/** `POST /data-sources` (the settings already parsed). */
export function toSourceCreateBody(
  model: SourceFormModel,
  settings: Record<string, unknown>,
): DataSourceCreate {
  const body: DataSourceCreate = {
    name: model.name.trim(),
    adapter: model.adapter.trim(),
    settings,
    secrets: secretsToCreate(model.secrets),
    is_enabled: model.is_enabled,
    timeout_seconds: model.timeout_seconds ?? 30,
  };
  const remark = textOrNull(model.remark);
  if (remark) body.remark = remark;
  return body;
}

/**
 * `PATCH /data-sources/{id}`: only what changed; secrets per key (`secretsToPatch`).
 */
export function toSourceUpdateBody(
  model: SourceFormModel,
  original: DataSourcePublic,
  settings: Record<string, unknown>,
): DataSourceUpdate {
  const body: DataSourceUpdate = {};
  if (!sameJson(settings, original.settings ?? {})) body.settings = settings;
  const secrets = secretsToPatch(model.secrets);
  if (secrets) body.secrets = secrets;
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
  return mapFieldErrors(error, FORM_FIELDS);
}
