/**
 * Notifications: status, priority and channel kind labels, the list's filters as API parameters,
 * the link to what a message is about, the channel form (each kind's settings as fields, its
 * secrets write-only) and the template form (the variables its text uses must be declared, its
 * fallback chain ordered, each channel once and never the default); failover: a channel's health,
 * a message's attempts (each try, and each channel passed over with why it moved on).
 */
import type { TableColumnData } from '@arco-design/web-vue';
import type { RouteLocationRaw } from 'vue-router';
import {
  type AttemptOutcome,
  type AttemptPublic,
  type ChannelHealthStatus,
  type MoveOnReason,
  type NotificationDetail,
  CHANNEL_KINDS,
  NOTIFICATION_STATUSES,
  PRIORITIES,
  RESENDABLE_STATUSES,
  type ChannelCreate,
  type ChannelKind,
  type ChannelPublic,
  type ChannelUpdate,
  type NotificationFilters,
  type NotificationPriority,
  type NotificationPublic,
  type NotificationStatus,
  type TemplateCreate,
  type TemplatePublic,
  type VariableKind,
  type TemplateUpdate,
} from '@/api/notifications';
import { t } from '@/locale';
import { actionsColumn, idColumn, slotColumn, textColumn, timeColumn } from '@/utils/columns';
import type { Option } from '@/types/option';
import { sameJson } from '@/utils/json';
import { secretEntries, secretsToCreate, secretsToPatch, type SecretEntry } from '@/utils/secrets';
import { textOrNull } from '@/utils/text';
import { dayEnd, dayStart } from '@/utils/date';
import type { FieldMessage } from '@/utils/form-errors';

export const NOTIFICATION_STATUS_COLORS: Record<NotificationStatus, string> = {
  pending: 'gray',
  sending: 'arcoblue',
  sent: 'green',
  failed: 'orange',
  dead: 'red',
};

export const PRIORITY_COLORS: Record<NotificationPriority, string> = {
  high: 'red',
  normal: 'arcoblue',
  low: 'gray',
};

export function notificationStatusLabel(status: NotificationStatus | string | null | undefined): string {
  return status ? t(`notification.status.${status}`) : '-';
}

export function priorityLabel(priority: NotificationPriority | string | null | undefined): string {
  return priority ? t(`notification.priority.${priority}`) : '-';
}

export function channelKindLabel(kind: ChannelKind | string | null | undefined): string {
  if (!kind) return '-';
  const key = `notification.kind.${kind}`;
  const label = t(key);
  return label === key ? kind : label;
}

export function notificationStatusOptions(): Option<NotificationStatus>[] {
  return NOTIFICATION_STATUSES.map((value) => ({ value, label: notificationStatusLabel(value) }));
}

export function priorityOptions(): Option<NotificationPriority>[] {
  return PRIORITIES.map((value) => ({ value, label: priorityLabel(value) }));
}

export function channelKindOptions(): Option<ChannelKind>[] {
  return CHANNEL_KINDS.map((value) => ({ value, label: channelKindLabel(value) }));
}

export const CHANNEL_HEALTH_COLORS: Record<ChannelHealthStatus, string> = {
  healthy: 'green',
  unhealthy: 'red',
  unknown: 'gray',
};

export const ATTEMPT_OUTCOME_COLORS: Record<AttemptOutcome, string> = {
  sent: 'green',
  failed: 'orange',
  refused: 'red',
  skipped: 'gray',
};

export function channelHealthLabel(status: ChannelHealthStatus | string | null | undefined): string {
  return t(`notification.health.${status || 'unknown'}`);
}

export function attemptOutcomeLabel(outcome: AttemptOutcome | string | null | undefined): string {
  return outcome ? t(`notification.outcome.${outcome}`) : '-';
}

export function moveOnLabel(reason: MoveOnReason | string | null | undefined): string {
  return reason ? t(`notification.moveOn.${reason}`) : '';
}

/** A channel's stored health as the list's dot shows it (nothing before its first check). */
export function channelHealthResult(
  channel: Pick<ChannelPublic, 'health_status' | 'health_error' | 'health_checked_at'>,
): { ok: boolean; detail: string } | undefined {
  if (!channel.health_status || channel.health_status === 'unknown') return undefined;
  const ok = channel.health_status === 'healthy';
  return { ok, detail: channel.health_error || channelHealthLabel(channel.health_status) };
}

/** One line of a message's attempt history, as the detail's table shows it. */
export interface AttemptRow {
  id: number;
  channel: string;
  target: string;
  /** "2" — the second try on that channel; "-" when the channel was passed over */
  attempt: string;
  startedAt: string;
  outcome: AttemptOutcome;
  error: string;
  movedOn: string;
}

/** The history oldest first, each channel by name (`#id` when it is gone), what moved the message on in words. */
export function attemptRows(
  detail: Pick<NotificationDetail, 'history'>,
  channels: Pick<ChannelPublic, 'id' | 'name'>[] = [],
): AttemptRow[] {
  const names = new Map(channels.map((c) => [c.id, c.name]));
  return [...(detail.history ?? [])]
    .sort((a: AttemptPublic, b: AttemptPublic) => a.id - b.id)
    .map((a) => ({
      id: a.id,
      channel: a.channel_name ?? names.get(a.channel_id) ?? `#${a.channel_id}`,
      target: a.target || '-',
      attempt: a.outcome === 'skipped' ? '-' : String(a.attempt),
      startedAt: a.started_at,
      outcome: a.outcome,
      error: a.error ?? '',
      movedOn: moveOnLabel(a.moved_on),
    }));
}

/** The message's route in words: "ops-bot → ops-mail (a@b.cn) → ops-sms (no target)". */
export function routeText(
  detail: Pick<NotificationDetail, 'route'>,
  channels: Pick<ChannelPublic, 'id' | 'name'>[] = [],
): string {
  const names = new Map(channels.map((c) => [c.id, c.name]));
  return (detail.route ?? [])
    .map((hop) => {
      const name = hop.channel_name ?? names.get(hop.channel_id) ?? `#${hop.channel_id}`;
      if (hop.target === null) return `${name} ${t('notification.attempt.noTarget')}`;
      return hop.target ? `${name} (${hop.target})` : name;
    })
    .join(' → ');
}

/** A failed or dead message can be sent again by hand. */
export function canResend(notification: Pick<NotificationPublic, 'status'>): boolean {
  return RESENDABLE_STATUSES.includes(notification.status);
}

/** The page of what a message is about (an invoice, a customer, a payment, a job run), when we have one. */
export function subjectRoute(
  notification: Pick<NotificationPublic, 'subject_type' | 'subject_id'>,
): RouteLocationRaw | null {
  const { subject_type: type, subject_id: id } = notification;
  if (!type || id === null || id === undefined) return null;
  const names: Record<string, string> = {
    invoice: 'invoice-detail',
    customer: 'customer-detail',
    payment: 'payment-detail',
    task_execution: 'job-execution',
    execution: 'job-execution',
  };
  return names[type] ? { name: names[type], params: { id } } : null;
}

// --- list filters -------------------------------------------------------------------------------------------
export interface NotificationFilterModel {
  status: NotificationStatus | undefined;
  channel_id: number | undefined;
  template_code: string | undefined;
  target: string;
  subject_type: string;
  subject_id: string;
  /** [from, to] local days, both inclusive */
  created: string[];
}

export function emptyNotificationFilters(): NotificationFilterModel {
  return {
    status: undefined,
    channel_id: undefined,
    template_code: undefined,
    target: '',
    subject_type: '',
    subject_id: '',
    created: [],
  };
}

/** The filter form as `GET /notifications` parameters (a subject id that is not a number is left out). */
export function notificationFilterParams(model: NotificationFilterModel): NotificationFilters {
  const [from, to] = model.created ?? [];
  const subjectId = model.subject_id.trim();
  return {
    status: model.status ?? null,
    channel_id: model.channel_id ?? null,
    template_code: model.template_code ?? null,
    target: model.target.trim() || null,
    subject_type: model.subject_type.trim() || null,
    subject_id: /^\d+$/.test(subjectId) ? Number(subjectId) : null,
    created_from: from ? dayStart(from) : null,
    created_to: to ? dayEnd(to) : null,
  };
}

export function notificationColumns(): TableColumnData[] {
  return [
    idColumn(80, { fixed: 'left' }),
    slotColumn('notification.field.title', 'title', 260, { ellipsis: true, tooltip: true }),
    slotColumn('notification.field.status', 'status', 100),
    slotColumn('notification.field.priority', 'priority', 80),
    slotColumn('notification.field.channel', 'channel', 150),
    textColumn('notification.field.target', 'target', 180),
    textColumn('notification.field.template', 'template_code', 160),
    slotColumn('notification.field.attempts', 'attempts', 90),
    slotColumn('notification.field.subject', 'subject', 130),
    timeColumn('notification.field.createdAt', 'createdAt', 'created_at'),
    actionsColumn(130),
  ];
}

// --- channel form --------------------------------------------------------------------------------------------
export type SettingType = 'text' | 'number' | 'boolean' | 'select';

export interface SettingField {
  name: string;
  type: SettingType;
  required?: boolean;
  default?: string | number | boolean;
  /** a number with decimals (a timeout in seconds) */
  decimal?: boolean;
  /** the choices of a select */
  options?: string[];
}

/**
 * Each kind's settings, as the backend's channel models declare them (notifications/channels/*:
 * unknown keys are refused there); a blank optional one is left out so its default applies.
 */
export const KIND_SETTINGS: Record<ChannelKind, SettingField[]> = {
  wecom_bot: [{ name: 'timeout_seconds', type: 'number', decimal: true }],
  wecom_app: [
    { name: 'corp_id', type: 'text', required: true },
    { name: 'agent_id', type: 'number', required: true },
    { name: 'api_base', type: 'text' },
    { name: 'msgtype', type: 'select', options: ['markdown', 'text'], default: 'markdown' },
    { name: 'timeout_seconds', type: 'number', decimal: true },
  ],
  email: [
    { name: 'host', type: 'text', required: true },
    { name: 'port', type: 'number', default: 25 },
    { name: 'security', type: 'select', options: ['none', 'starttls', 'tls'], default: 'none' },
    { name: 'from_address', type: 'text', required: true },
    { name: 'timeout_seconds', type: 'number', decimal: true },
  ],
  sms: [
    { name: 'provider', type: 'text', required: true, default: 'logging' },
    { name: 'sign_name', type: 'text' },
  ],
};

/** Each kind's secrets (write-only); a required one must be given when the channel is created. */
export const KIND_SECRETS: Record<ChannelKind, { name: string; required: boolean }[]> = {
  wecom_bot: [{ name: 'webhook_url', required: true }],
  wecom_app: [{ name: 'corp_secret', required: true }],
  email: [
    { name: 'username', required: false },
    { name: 'password', required: false },
  ],
  sms: [],
};

/** The secrets a new channel of this kind must be given. */
export function requiredSecrets(kind: ChannelKind): string[] {
  return (KIND_SECRETS[kind] ?? []).filter((secret) => secret.required).map((secret) => secret.name);
}

export function settingLabel(name: string): string {
  const key = `notification.setting.${name}`;
  const label = t(key);
  return label === key ? name : label;
}

export interface ChannelFormModel {
  name: string;
  kind: ChannelKind;
  settings: Record<string, string | number | boolean | undefined>;
  /** the kind's secrets, then any other stored one */
  secrets: SecretEntry[];
  is_enabled: boolean;
  /** blank: no limit */
  rate_per_minute: number | null | undefined;
  max_attempts: number | undefined;
  remark: string;
}

function secretInputs(kind: ChannelKind, stored: readonly string[]): SecretEntry[] {
  return secretEntries(
    stored,
    KIND_SECRETS[kind].map((secret) => secret.name),
  );
}

function kindDefaults(kind: ChannelKind): Record<string, string | number | boolean | undefined> {
  return Object.fromEntries(
    KIND_SETTINGS[kind].map((field) => [
      field.name,
      field.default ?? (field.type === 'boolean' ? false : field.type === 'number' ? undefined : ''),
    ]),
  );
}

export function emptyChannelModel(kind: ChannelKind = 'sms'): ChannelFormModel {
  return {
    name: '',
    kind,
    settings: kindDefaults(kind),
    secrets: secretInputs(kind, []),
    is_enabled: true,
    rate_per_minute: kind === 'wecom_bot' ? 20 : 60,
    max_attempts: 5,
    remark: '',
  };
}

/** A new kind on a new channel: its settings' defaults and secrets. */
export function switchKind(model: ChannelFormModel, kind: ChannelKind): void {
  model.kind = kind;
  model.settings = kindDefaults(kind);
  model.secrets = secretInputs(kind, []);
  model.rate_per_minute = kind === 'wecom_bot' ? 20 : model.rate_per_minute;
}

export function channelModel(channel: ChannelPublic): ChannelFormModel {
  const settings = kindDefaults(channel.kind);
  for (const field of KIND_SETTINGS[channel.kind] ?? []) {
    const value = channel.settings?.[field.name];
    if (value !== undefined && value !== null) settings[field.name] = value as string | number | boolean;
  }
  return {
    name: channel.name,
    kind: channel.kind,
    settings,
    secrets: secretInputs(channel.kind, channel.secret_names ?? []),
    is_enabled: channel.is_enabled,
    rate_per_minute: channel.rate_per_minute,
    max_attempts: channel.max_attempts,
    remark: channel.remark ?? '',
  };
}

/** The settings to send: the kind's fields (blank text left out) over the other keys the channel had. */
export function channelSettings(
  model: ChannelFormModel,
  original: ChannelPublic | null = null,
): Record<string, unknown> {
  const known = new Set((KIND_SETTINGS[model.kind] ?? []).map((field) => field.name));
  const settings: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(original?.settings ?? {}))
    if (!known.has(key)) settings[key] = value;
  for (const field of KIND_SETTINGS[model.kind] ?? []) {
    const value = model.settings[field.name];
    if (field.type === 'boolean') settings[field.name] = !!value;
    else if (field.type === 'number') {
      if (value !== undefined && value !== null && value !== '') settings[field.name] = Number(value);
    } else if (typeof value === 'string' && value.trim()) settings[field.name] = value.trim();
    else if (field.type === 'select' && value) settings[field.name] = value;
  }
  return settings;
}

export type ChannelField =
  | 'name'
  | 'kind'
  | 'settings'
  | 'secrets'
  | 'rate_per_minute'
  | 'max_attempts'
  | 'remark'
  | `setting.${string}`
  | `secret.${string}`;

/** What the backend would refuse for sure: name, the kind's required settings, a new channel's secrets, the limits. */
export function channelProblems(
  model: ChannelFormModel,
  isNew: boolean,
): Partial<Record<ChannelField, FieldMessage>> {
  const problems: Partial<Record<ChannelField, FieldMessage>> = {};
  const name = model.name.trim();
  if (!name) problems.name = { key: 'pricing.rule.required', params: {} };
  else if (name.length > 64) problems.name = { key: 'pricing.rule.maxLength', params: { max: 64 } };
  for (const field of KIND_SETTINGS[model.kind] ?? []) {
    const value = model.settings[field.name];
    if (field.required && (value === undefined || value === null || String(value).trim() === '')) {
      problems[`setting.${field.name}`] = { key: 'pricing.rule.required', params: {} };
    }
    const number = Number(value);
    if (
      field.type === 'number' &&
      value !== undefined &&
      value !== null &&
      value !== '' &&
      (!Number.isFinite(number) || (!field.decimal && !Number.isInteger(number)))
    ) {
      problems[`setting.${field.name}`] = {
        key: field.decimal ? 'notification.rule.number' : 'job.rule.integer',
        params: {},
      };
    }
  }
  if (isNew) {
    const required = requiredSecrets(model.kind);
    for (const secret of model.secrets) {
      if (required.includes(secret.name) && !secret.value)
        problems[`secret.${secret.name}`] = { key: 'pricing.rule.required', params: {} };
    }
  }
  // blank: no limit
  if (model.rate_per_minute !== undefined && model.rate_per_minute !== null && model.rate_per_minute < 1)
    problems.rate_per_minute = { key: 'notification.rule.atLeastOne', params: {} };
  if (!model.max_attempts || model.max_attempts < 1)
    problems.max_attempts = { key: 'notification.rule.atLeastOne', params: {} };
  if (model.remark.trim().length > 255)
    problems.remark = { key: 'pricing.rule.maxLength', params: { max: 255 } };
  return problems;
}

export function toChannelCreate(model: ChannelFormModel): ChannelCreate {
  const body: ChannelCreate = {
    name: model.name.trim(),
    kind: model.kind,
    settings: channelSettings(model),
    secrets: secretsToCreate(model.secrets),
    is_enabled: model.is_enabled,
    rate_per_minute: model.rate_per_minute ?? null,
    max_attempts: model.max_attempts ?? 5,
  };
  const remark = textOrNull(model.remark);
  if (remark) body.remark = remark;
  return body;
}

/** `PATCH`: only what changed; a typed secret replaces it, a removed one is null, a blank one is kept (not sent). */
export function toChannelUpdate(model: ChannelFormModel, original: ChannelPublic): ChannelUpdate {
  const body: ChannelUpdate = {};
  const name = model.name.trim();
  if (name !== original.name) body.name = name;
  const settings = channelSettings(model, original);
  if (!sameJson(settings, original.settings ?? {})) body.settings = settings;
  const secrets = secretsToPatch(model.secrets);
  if (secrets) body.secrets = secrets;
  if (model.is_enabled !== original.is_enabled) body.is_enabled = model.is_enabled;
  const rate = model.rate_per_minute ?? null;
  if (rate !== (original.rate_per_minute ?? null)) body.rate_per_minute = rate;
  if (model.max_attempts !== undefined && model.max_attempts !== original.max_attempts)
    body.max_attempts = model.max_attempts;
  const remark = textOrNull(model.remark);
  if (remark !== (original.remark ?? null)) body.remark = remark;
  return body;
}

/** Where a backend error's field goes on the channel form ("settings.host" → the host input, "secrets.password" → that secret). */
export function channelErrorField(field: string | null | undefined): string | null {
  const path = (field ?? '').replace(/^body\./, '');
  const [head, sub] = path.split('.');
  if (head === 'settings' && sub) return `setting.${sub}`;
  if (head === 'secrets' && sub) return `secret.${sub}`;
  if (
    [
      'name',
      'kind',
      'settings',
      'secrets',
      'is_enabled',
      'rate_per_minute',
      'max_attempts',
      'remark',
    ].includes(head)
  )
    return head;
  return null;
}

// --- template form -----------------------------------------------------------------------------------------
export interface TemplateFormModel {
  code: string;
  name: string;
  channel_id: number | undefined;
  title: string;
  body: string;
  variables: string[];
  /** in the order they are tried */
  fallback_channel_ids: number[];
}

/** As the backend (`schemas.MAX_FALLBACK`). */
export const MAX_FALLBACK = 5;

export function emptyTemplateModel(): TemplateFormModel {
  return {
    code: '',
    name: '',
    channel_id: undefined,
    title: '',
    body: '',
    variables: [],
    fallback_channel_ids: [],
  };
}

/** The channels a fallback chain may name: any but the default channel (disabled ones too: they are passed over). */
export function fallbackOptions(
  channels: Pick<ChannelPublic, 'id' | 'name' | 'kind' | 'is_enabled'>[],
  defaultChannelId: number | undefined,
): Option<number>[] {
  return channels
    .filter((c) => c.id !== defaultChannelId)
    .map((c) => ({ value: c.id, label: `${c.name} (${channelKindLabel(c.kind)})` }));
}

/** The chain with the channel at `index` moved one place up (-1) or down (+1); unchanged at an end. */
export function moveFallback(chain: readonly number[], index: number, step: -1 | 1): number[] {
  const target = index + step;
  if (index < 0 || index >= chain.length || target < 0 || target >= chain.length) return [...chain];
  const moved = [...chain];
  [moved[index], moved[target]] = [moved[target], moved[index]];
  return moved;
}

export function templateModel(template: TemplatePublic): TemplateFormModel {
  return {
    code: template.code,
    name: template.name,
    channel_id: template.channel_id ?? undefined,
    title: template.title,
    body: template.body,
    variables: [...(template.variables ?? [])],
    fallback_channel_ids: [...(template.fallback_channel_ids ?? [])],
  };
}

/** Names a Jinja2 text reads: `{{ name }}`, `{{ name.attr }}`, `{{ name | filter }}`, `{% if name %}`, `{% for x in name %}`. */
export function usedVariables(...texts: string[]): string[] {
  const names = new Set<string>();
  const loopNames = new Set<string>();
  for (const text of texts) {
    for (const match of text.matchAll(
      /\{%-?\s*for\s+([A-Za-z_]\w*)(?:\s*,\s*([A-Za-z_]\w*))?\s+in\s+([A-Za-z_]\w*)/g,
    )) {
      loopNames.add(match[1]);
      if (match[2]) loopNames.add(match[2]);
      names.add(match[3]);
    }
    for (const match of text.matchAll(/\{\{-?\s*([A-Za-z_]\w*)/g)) names.add(match[1]);
    for (const match of text.matchAll(/\{%-?\s*(?:if|elif)\s+(?:not\s+)?([A-Za-z_]\w*)/g))
      names.add(match[1]);
  }
  const builtins = new Set(['loop', 'true', 'false', 'none', 'True', 'False', 'None', 'range']);
  return [...names].filter((name) => !loopNames.has(name) && !builtins.has(name)).sort();
}

/** Variables the title or body uses that are not declared (the backend refuses those). */
export function undeclaredVariables(
  model: Pick<TemplateFormModel, 'title' | 'body' | 'variables'>,
): string[] {
  const declared = new Set(model.variables);
  return usedVariables(model.title, model.body).filter((name) => !declared.has(name));
}

export type TemplateField = 'code' | 'name' | 'title' | 'body' | 'variables' | 'fallback_channel_ids';

export function templateProblems(
  model: TemplateFormModel,
  isNew: boolean,
): Partial<Record<TemplateField, FieldMessage>> {
  const problems: Partial<Record<TemplateField, FieldMessage>> = {};
  if (isNew) {
    const code = model.code.trim();
    if (!code) problems.code = { key: 'pricing.rule.required', params: {} };
    else if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(code))
      problems.code = { key: 'notification.rule.code', params: {} };
  }
  if (!model.name.trim()) problems.name = { key: 'pricing.rule.required', params: {} };
  if (!model.body.trim()) problems.body = { key: 'pricing.rule.required', params: {} };
  const bad = model.variables.find((name) => !/^[A-Za-z_]\w*$/.test(name));
  const missing = undeclaredVariables(model);
  if (bad) problems.variables = { key: 'notification.rule.variableName', params: { name: bad } };
  else if (missing.length)
    problems.variables = { key: 'notification.rule.undeclared', params: { names: missing.join(', ') } };
  const chain = model.fallback_channel_ids ?? [];
  if (chain.length > MAX_FALLBACK)
    problems.fallback_channel_ids = {
      key: 'notification.rule.fallbackTooLong',
      params: { max: MAX_FALLBACK },
    };
  else if (model.channel_id !== undefined && chain.includes(model.channel_id))
    problems.fallback_channel_ids = { key: 'notification.rule.fallbackIsDefault', params: {} };
  else if (new Set(chain).size !== chain.length)
    problems.fallback_channel_ids = { key: 'notification.rule.fallbackRepeated', params: {} };
  return problems;
}

export function toTemplateCreate(model: TemplateFormModel): TemplateCreate {
  return {
    code: model.code.trim(),
    name: model.name.trim(),
    channel_id: model.channel_id ?? null,
    title: model.title,
    body: model.body,
    variables: [...new Set(model.variables)],
    fallback_channel_ids: [...model.fallback_channel_ids],
  };
}

export function toTemplateUpdate(model: TemplateFormModel, original: TemplatePublic): TemplateUpdate {
  const body: TemplateUpdate = {};
  if (model.name.trim() !== original.name) body.name = model.name.trim();
  if ((model.channel_id ?? null) !== (original.channel_id ?? null))
    body.channel_id = model.channel_id ?? null;
  if (model.title !== original.title) body.title = model.title;
  if (model.body !== original.body) body.body = model.body;
  const variables = [...new Set(model.variables)];
  if (!sameJson(variables, original.variables ?? [])) body.variables = variables;
  if (!sameJson(model.fallback_channel_ids, original.fallback_channel_ids ?? []))
    body.fallback_channel_ids = [...model.fallback_channel_ids];
  return body;
}

/** A sample value as its form field shows it: text, JSON for a list or an object. */
export function sampleText(sample: unknown): string {
  if (sample === null || sample === undefined) return '';
  return typeof sample === 'object' ? JSON.stringify(sample) : String(sample);
}

/** The form's first values: the template's sample of each declared variable ('' when it has none). */
export function sampleForm(template: Pick<TemplatePublic, 'variables' | 'samples'>): Record<string, string> {
  const samples = new Map((template.samples ?? []).map((s) => [s.name, s.sample]));
  return Object.fromEntries(template.variables.map((name) => [name, sampleText(samples.get(name))]));
}

/**
 * Sample values for a preview or a test message, each as its variable's kind: a whole number as a
 * number ("35" → 35, so `days_overdue > 30` compares numbers); an amount and a date stay text
 * (the backend reads an amount as a Decimal, never a float); otherwise the typed text, or JSON
 * when it starts with `[` or `{` and parses (a list for a loop). A value that does not fit its
 * kind is sent as typed, and the backend names it.
 */
export function sampleValues(
  values: Record<string, string>,
  kinds: Record<string, VariableKind> = {},
): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [name, text] of Object.entries(values)) {
    const trimmed = text.trim();
    if (kinds[name] === 'integer' && /^-?\d+$/.test(trimmed) && Number.isSafeInteger(Number(trimmed))) {
      result[name] = Number(trimmed);
      continue;
    }
    if (/^[[{]/.test(trimmed)) {
      try {
        result[name] = JSON.parse(trimmed);
        continue;
      } catch {
        // not JSON: the text itself
      }
    }
    result[name] = text;
  }
  return result;
}
