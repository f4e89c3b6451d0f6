/**
 * Notifications (`/notifications…`, `/notification-channels…`, `/notification-templates…`).
 *
 * The types mirror the backend's schemas of the issue 7 contract
 * (backend/opcms/notifications/schemas.py). A channel's secrets are write-only: answers name
 * them (`secret_names`), never show them; a create or patch sends `secrets` {name: value}
 * (patch: a null value removes one, a name left out keeps it).
 */
import { collection, getData, getQuery, postData } from './http';
import type { IsoDateTime, Page } from './types';
import { cleanParams, type PageParams } from './params';

export const CHANNEL_KINDS = ['wecom_bot', 'wecom_app', 'email', 'sms'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];
export const PRIORITIES = ['high', 'normal', 'low'] as const;
export type NotificationPriority = (typeof PRIORITIES)[number];
export const NOTIFICATION_STATUSES = ['pending', 'sending', 'sent', 'failed', 'dead'] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];
/** What the latest health check of a channel said (`unknown`: never checked). */
export const CHANNEL_HEALTH_STATUSES = ['healthy', 'unhealthy', 'unknown'] as const;
export type ChannelHealthStatus = (typeof CHANNEL_HEALTH_STATUSES)[number];
/** How one attempt ended: `skipped` — the channel was passed over without a try. */
export const ATTEMPT_OUTCOMES = ['sent', 'failed', 'refused', 'skipped'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];
/** Why a message went on to the next channel of its fallback chain. */
export const MOVE_ON_REASONS = [
  'channel_disabled',
  'channel_deleted',
  'channel_unhealthy',
  'no_target',
  'refused',
  'attempts_exhausted',
] as const;
export type MoveOnReason = (typeof MOVE_ON_REASONS)[number];
/** What a person may send again by hand. */
export const RESENDABLE_STATUSES: readonly NotificationStatus[] = ['failed', 'dead'];

// --- notifications -------------------------------------------------------------------------------------------
/** Schema `NotificationPublic`: one message to one target. */
export interface NotificationPublic {
  id: number;
  template_code: string | null;
  channel_id: number;
  channel_name: string | null;
  /** empty for a group bot */
  target: string;
  title: string;
  content: string;
  priority: NotificationPriority;
  status: NotificationStatus;
  attempts: number;
  max_attempts: number;
  next_attempt_at: IsoDateTime | null;
  last_error: string | null;
  sent_at: IsoDateTime | null;
  provider_reference: string | null;
  /** the place of its current channel in its route (0: the first channel) */
  hop: number;
  /** what it is about, e.g. ("invoice", 12) */
  subject_type: string | null;
  subject_id: number | null;
  created_at: IsoDateTime;
  updated_at: IsoDateTime;
  created_by: string | null;
}

export type NotificationPage = Page<NotificationPublic>;

/** Schema `RouteHop`: a channel of a message's route with its target (null: none given, passed over). */
export interface RouteHop {
  channel_id: number;
  channel_name: string | null;
  target: string | null;
}

/** Schema `AttemptPublic`: one try of a message on a channel, or a channel passed over. */
export interface AttemptPublic {
  id: number;
  channel_id: number;
  channel_name: string | null;
  target: string;
  /** the attempt's number on this channel; 0: passed over */
  attempt: number;
  hop: number;
  started_at: IsoDateTime;
  finished_at: IsoDateTime;
  outcome: AttemptOutcome;
  error: string | null;
  provider_reference: string | null;
  /** why the message went on to the next channel after this */
  moved_on: MoveOnReason | null;
}

/** Schema `NotificationDetail`: a message with its route and every attempt, oldest first. */
export interface NotificationDetail extends NotificationPublic {
  route: RouteHop[];
  history: AttemptPublic[];
}

export interface NotificationFilters {
  status?: NotificationStatus | null;
  channel_id?: number | null;
  template_code?: string | null;
  target?: string | null;
  subject_type?: string | null;
  subject_id?: number | null;
  priority?: NotificationPriority | null;
  created_from?: IsoDateTime | null;
  created_to?: IsoDateTime | null;
}

export interface NotificationListParams extends NotificationFilters, PageParams {}

/** Body of `POST /notifications`: rendered at once (422 naming a missing variable), then queued. */
export interface NotificationSend {
  template_code: string;
  /** an e-mail address, phone number or WeCom user id(s); empty for a group bot */
  target: string;
  variables: Record<string, unknown>;
  priority?: NotificationPriority;
  /** a channel by name; default: the template's */
  channel?: string | null;
  /** channel names to continue on, in order; default: the template's fallback chain ([]: none) */
  fallback_channels?: string[] | null;
  /** a target per channel kind for the fallback chain */
  targets?: Partial<Record<ChannelKind, string>>;
}

// --- channels ------------------------------------------------------------------------------------------------
/** Schema `ChannelPublic`. */
export interface ChannelPublic {
  id: number;
  name: string;
  kind: ChannelKind;
  settings: Record<string, unknown>;
  /** the secrets that are set (values are never answered) */
  secret_names: string[];
  /** false when the stored secrets were encrypted under another secret key */
  secrets_readable: boolean;
  is_enabled: boolean;
  /** messages a minute (null: no limit) */
  rate_per_minute: number | null;
  max_attempts: number;
  remark: string | null;
  /** what the latest health check said (scheduled every 5 minutes, or "check now") */
  health_status: ChannelHealthStatus;
  health_checked_at: IsoDateTime | null;
  health_error: string | null;
  created_at: IsoDateTime;
  updated_at: IsoDateTime;
  created_by: string | null;
  updated_by: string | null;
}

/** Schema `ChannelPage`. */
export type ChannelPage = Page<ChannelPublic>;

export interface ChannelListParams extends PageParams {
  /** part of the name */
  q?: string | null;
  kind?: ChannelKind | null;
  is_enabled?: boolean | null;
}

export interface ChannelCreate {
  name: string;
  kind: ChannelKind;
  settings: Record<string, unknown>;
  secrets?: Record<string, string>;
  is_enabled?: boolean;
  /** null: no limit */
  rate_per_minute?: number | null;
  max_attempts?: number;
  remark?: string | null;
}

/** Only what changes; `settings` replaces them whole, `secrets` merges (null removes a secret). */
export interface ChannelUpdate {
  name?: string;
  settings?: Record<string, unknown>;
  secrets?: Record<string, string | null>;
  is_enabled?: boolean;
  rate_per_minute?: number | null;
  max_attempts?: number;
  remark?: string | null;
}

export interface ChannelHealth {
  ok: boolean;
  detail: string;
}

// --- templates ----------------------------------------------------------------------------------------------
/** Schema `TemplatePublic`: Jinja2 (sandboxed) title and body with named variables. */
/** How a template variable's value typed as text is read (backend `notifications/variables.py`). */
export type VariableKind = 'text' | 'integer' | 'money' | 'date' | 'list';

/** Schema `VariableSample`: a declared variable, its kind and an example value of that kind. */
export interface VariableSample {
  name: string;
  kind: VariableKind;
  /** an amount and a date as text, a list as it is */
  sample: unknown;
}

export interface TemplatePublic {
  id: number;
  code: string;
  name: string;
  /** the default channel */
  channel_id: number | null;
  channel_name: string | null;
  title: string;
  body: string;
  variables: string[];
  /** the channels tried in this order when the default one is disabled, unhealthy or out of attempts */
  fallback_channel_ids: number[];
  fallback_channel_names: (string | null)[];
  /** each declared variable with its kind and a sample value */
  samples?: VariableSample[];
  created_at: IsoDateTime;
  updated_at: IsoDateTime;
  created_by: string | null;
  updated_by: string | null;
}

/** Schema `TemplatePage`. */
export type TemplatePage = Page<TemplatePublic>;

export interface TemplateListParams extends PageParams {
  /** part of the code or name */
  q?: string | null;
  channel_id?: number | null;
}

export interface TemplateCreate {
  code: string;
  name: string;
  channel_id: number | null;
  title: string;
  body: string;
  variables: string[];
  /** existing channels, no repeats, not the default channel */
  fallback_channel_ids: number[];
}

export type TemplateUpdate = Partial<Omit<TemplateCreate, 'code'>>;

export interface TemplatePreview {
  title: string;
  content: string;
}

const NOTIFICATION_FILTER_KEYS: readonly (keyof NotificationListParams)[] = [
  'status',
  'channel_id',
  'template_code',
  'target',
  'subject_type',
  'subject_id',
  'priority',
  'created_from',
  'created_to',
  'page',
  'page_size',
  'sort',
];

/** Only the known filters (the backend refuses unknown parameters), blanks left out. */
export function notificationQuery(params: NotificationListParams): Record<string, string | number> {
  return cleanParams(Object.fromEntries(NOTIFICATION_FILTER_KEYS.map((key) => [key, params[key]])));
}

// --- requests -----------------------------------------------------------------------------------------------
export function listNotifications(params: NotificationListParams = {}): Promise<NotificationPage> {
  return getData('/notifications', { params: notificationQuery(params) });
}

export function getNotification(id: number): Promise<NotificationDetail> {
  return getData(`/notifications/${id}`);
}

/** A failed or dead message back to pending and queued; 409 for any other status. */
export function resendNotification(id: number): Promise<NotificationPublic> {
  return postData(`/notifications/${id}/resend`);
}

/** 202: the pending message; 422 for a missing variable, 409 when the channel is missing or disabled. */
export function sendNotification(body: NotificationSend): Promise<NotificationPublic> {
  return postData('/notifications', body);
}

/** One page of channels (pickers ask for the largest page, 200: there are few channels). */
export function listChannels(
  params: ChannelListParams = { page_size: 200, sort: 'name' },
): Promise<ChannelPage> {
  return getQuery('/notification-channels', params);
}

const channels = collection<ChannelPublic, ChannelCreate, ChannelUpdate>('/notification-channels');
export const getChannel = channels.get;
export const createChannel = channels.create;
export const updateChannel = channels.update;
/** 409 while templates use it; `reason` goes to the audit log. */
export const deleteChannel = channels.remove;

/** The channel's own check (a real call to its service); needs `notifications:write`. */
export function checkChannelHealth(id: number): Promise<ChannelHealth> {
  return postData(`/notification-channels/${id}/health`);
}

/** Check the channel now and keep the answer on it (as the scheduled check does); the channel as it is now. */
export function checkChannelNow(id: number): Promise<ChannelPublic> {
  return postData(`/notification-channels/${id}/check`);
}

export function listTemplates(
  params: TemplateListParams = { page_size: 200, sort: 'code' },
): Promise<TemplatePage> {
  return getQuery('/notification-templates', params);
}

const templates = collection<TemplatePublic, TemplateCreate, TemplateUpdate>('/notification-templates');
export const getTemplate = templates.get;
/** 422 for a syntax error or a variable the body uses but does not declare. */
export const createTemplate = templates.create;
export const updateTemplate = templates.update;
export const deleteTemplate = templates.remove;

/** The title and content rendered with these values; 422 naming a missing variable (needs `notifications:write`). */
export function previewTemplate(id: number, variables: Record<string, unknown>): Promise<TemplatePreview> {
  return postData(`/notification-templates/${id}/preview`, { variables });
}
