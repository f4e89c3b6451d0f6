/**
 * Jobs: job and trigger labels, the executions list's filters as API parameters, which actions an
 * execution allows, the "run now" parameter forms of the known jobs (and the JSON fallback driven
 * by a job's parameters schema), the schedule form's checks and PATCH body, and backend field
 * errors put under a form's fields.
 */
import type { TableColumnData } from '@arco-design/web-vue';
import {
  FINISHED_EXECUTION_STATUSES,
  KNOWN_JOBS,
  TRIGGERS,
  type ExecutionStatus,
  type JobPublic,
  type JobSchedule,
  type JobScheduleUpdate,
  type JsonSchema,
  type TaskExecution,
  type TaskExecutionFilters,
  type Trigger,
} from '@/api/jobs';
import { t } from '@/locale';
import {
  actionsColumn,
  countersColumn,
  fieldColumn,
  parametersColumn,
  recordLink,
  slotColumn,
  startedColumns,
  triggerColumn,
} from '@/utils/columns';
import type { Option } from '@/types/option';
import { dayEnd, dayStart } from '@/utils/date';
import type { FieldMessage } from '@/utils/form-errors';
import { parseSettings, sameJson, settingsText } from '@/utils/json';

/** A job's name in the UI's language: ours for the jobs we know, else the backend's title, else its name. */
export function jobLabel(
  name: string | null | undefined,
  jobs: readonly Pick<JobPublic, 'name' | 'title'>[] = [],
): string {
  if (!name) return '-';
  const key = `job.name.${name}`;
  const label = t(key);
  if (label !== key) return label;
  return jobs.find((job) => job.name === name)?.title || name;
}

/** What a job does, in the UI's language: ours for the jobs we know, else the backend's text (English). */
export function jobDescription(name: string | null | undefined, fallback = ''): string {
  if (!name) return fallback;
  const key = `job.description.${name}`;
  const label = t(key);
  return label === key ? fallback : label;
}

/**
 * A schedule's description in the UI's language: ours for the seeded schedules, else what the job
 * does when the schedule has the job's own text, else the schedule's text as kept.
 */
export function scheduleDescription(
  schedule: Pick<JobSchedule, 'name' | 'task_name' | 'description'>,
): string {
  const key = `job.schedule.description.${schedule.name}`;
  const label = t(key);
  if (label !== key) return label;
  return schedule.description ?? '';
}

export function jobOptions(jobs: readonly Pick<JobPublic, 'name' | 'title'>[]): Option[] {
  const names = jobs.length ? jobs.map((job) => job.name) : [...KNOWN_JOBS];
  return names.map((value) => ({ value, label: jobLabel(value, jobs) }));
}

export function triggerLabel(trigger: Trigger | string | null | undefined): string {
  return trigger ? t(`usage.pull.triggerName.${trigger}`) : '-';
}

export function triggerOptions(): Option<Trigger>[] {
  return TRIGGERS.map((value) => ({ value, label: triggerLabel(value) }));
}

/**
 * Why an execution was skipped, cancelled or failed by the reaper, in the UI's language (the
 * backend's `status_reason` is English; its three shapes are read back, anything else is shown as is).
 */
export function statusReasonText(reason: string | null | undefined): string {
  if (!reason) return '';
  const running = /^run #(\d+) of the same job with the same parameters is running$/.exec(reason);
  if (running) return t('job.reason.running', { id: running[1] });
  const cancelled = /^cancelled by ([^:]*): ([\s\S]*)$/.exec(reason);
  if (cancelled) return t('job.reason.cancelled', { who: cancelled[1], reason: cancelled[2] });
  const lost = /^no heartbeat since (.*) \(worker lost\)$/.exec(reason);
  if (lost) return t('job.reason.lost', { since: lost[1] });
  return reason;
}

/** Pending or running: the list follows it (auto-refresh) and it may not be retried. */
export function isLive(execution: Pick<TaskExecution, 'status'>): boolean {
  return !FINISHED_EXECUTION_STATUSES.includes(execution.status);
}

/** Only a pending execution can be cancelled (a running one is left to finish or fail). */
export function canCancel(execution: Pick<TaskExecution, 'status'>): boolean {
  return execution.status === 'pending';
}

/** A failed or partial execution can be run again (a new execution with `retry_of`). */
export function canRetry(execution: Pick<TaskExecution, 'status'>): boolean {
  return execution.status === 'failed' || execution.status === 'partial';
}

/** Pretty JSON of parameters / result for the detail page. */
export function prettyJson(value: unknown): string {
  return JSON.stringify(value ?? {}, null, 2);
}

// --- list filters -------------------------------------------------------------------------------------------
export interface ExecutionFilterModel {
  task_name: string | undefined;
  status: ExecutionStatus | undefined;
  trigger: Trigger | undefined;
  triggered_by: string;
  /** [from, to] local days, both inclusive */
  created: string[];
}

export function emptyExecutionFilters(): ExecutionFilterModel {
  return { task_name: undefined, status: undefined, trigger: undefined, triggered_by: '', created: [] };
}

/** The filter form as `GET /task-executions` parameters (the days as instants of the browser's time zone). */
export function executionFilterParams(model: ExecutionFilterModel): TaskExecutionFilters {
  const [from, to] = model.created ?? [];
  return {
    task_name: model.task_name ?? null,
    status: model.status ?? null,
    trigger: model.trigger ?? null,
    triggered_by: model.triggered_by.trim() || null,
    created_from: from ? dayStart(from) : null,
    created_to: to ? dayEnd(to) : null,
  };
}

export function executionColumns(): TableColumnData[] {
  return [
    slotColumn('ID', 'id', 80, {
      fixed: 'left',
      render: recordLink(
        'job-execution',
        (execution) => `job-row-${execution.id}`,
        (execution) => `#${execution.id}`,
      ),
    }),
    slotColumn('job.field.job', 'job', 180),
    slotColumn('usage.pull.statusTitle', 'status', 110),
    parametersColumn('job.field.parameters', 220, 'parameters', 'parameters', fieldLabel),
    countersColumn(260),
    triggerColumn(90),
    ...startedColumns({ ellipsis: true, tooltip: true }),
    actionsColumn(150),
  ];
}

// --- "run now" parameters -----------------------------------------------------------------------------------
export type JobFieldKind = 'date' | 'month' | 'text' | 'integer' | 'integers' | 'customer' | 'source';

/** One input of a known job's parameter form. */
export interface JobField {
  name: string;
  kind: JobFieldKind;
}

/** The parameter forms of the jobs we know; a field the job's schema does not declare is not shown. */
export const JOB_FIELDS: Record<string, JobField[]> = {
  'usage.pull_day': [
    { name: 'first_day', kind: 'date' },
    { name: 'last_day', kind: 'date' },
    { name: 'source', kind: 'source' },
  ],
  'billing.run_period': [
    { name: 'period', kind: 'month' },
    { name: 'customer_id', kind: 'customer' },
  ],
  'reminders.send_overdue': [
    { name: 'stages', kind: 'integers' },
    { name: 'day', kind: 'date' },
  ],
  'customers.account_automation': [
    { name: 'suspend_after_days', kind: 'integer' },
    { name: 'day', kind: 'date' },
  ],
  'analytics.score_customers': [{ name: 'day', kind: 'date' }],
};

/** The values of a parameter form, as typed (numbers and lists as text). */
export type ParameterValues = Record<string, string | number | null | undefined>;

/** The fields of a job's form: ours, limited to what its schema declares (all of ours when it declares nothing). */
export function jobFields(job: Pick<JobPublic, 'name' | 'parameters_schema'> | null | undefined): JobField[] {
  if (!job) return [];
  const fields = JOB_FIELDS[job.name] ?? [];
  const properties = job.parameters_schema?.properties;
  if (!properties || !Object.keys(properties).length) return fields;
  // usage.pull_day may declare `day` instead of a range: the first day is sent as `day` then
  return fields.filter(
    (field) => field.name in properties || (field.name === 'first_day' && 'day' in properties),
  );
}

/** Whether the job has a form of its own (else its parameters are typed as JSON). */
export function hasForm(job: Pick<JobPublic, 'name' | 'parameters_schema'> | null | undefined): boolean {
  return jobFields(job).length > 0;
}

export function fieldLabel(name: string): string {
  const key = `job.param.${name}`;
  const label = t(key);
  return label === key ? name : label;
}

/** The values the form opens with: the schema's defaults of its fields. */
export function initialValues(job: Pick<JobPublic, 'name' | 'parameters_schema'>): ParameterValues {
  const values: ParameterValues = {};
  const properties = job.parameters_schema?.properties ?? {};
  for (const field of jobFields(job)) {
    const fallback = properties[field.name]?.default;
    if (fallback === undefined || fallback === null)
      values[field.name] = field.kind === 'integer' || field.kind === 'customer' ? undefined : '';
    else if (Array.isArray(fallback)) values[field.name] = fallback.join(', ');
    else values[field.name] = typeof fallback === 'number' ? fallback : String(fallback);
  }
  return values;
}

/** "-3, 1, 7" → [-3, 1, 7]; null when a part is not a whole number. */
export function parseIntegers(text: string): number[] | null {
  const parts = text.split(/[\s,，;；]+/).filter(Boolean);
  const numbers = parts.map((part) => (/^[+-]?\d+$/.test(part) ? Number(part) : Number.NaN));
  return numbers.every(Number.isInteger) ? numbers : null;
}

export interface ParametersResult {
  parameters: Record<string, unknown>;
  /** field → what is wrong with it */
  problems: Record<string, FieldMessage>;
}

/**
 * The form's values as the job's parameters: blanks left out (the job's defaults apply, e.g.
 * yesterday, last month), numbers and lists parsed, the schema's required fields checked.
 */
export function toParameters(
  job: Pick<JobPublic, 'name' | 'parameters_schema'>,
  values: ParameterValues,
): ParametersResult {
  const parameters: Record<string, unknown> = {};
  const problems: Record<string, FieldMessage> = {};
  const properties = job.parameters_schema?.properties ?? {};
  for (const field of jobFields(job)) {
    const raw = values[field.name];
    const text = raw === null || raw === undefined ? '' : String(raw).trim();
    if (!text) continue;
    if (field.kind === 'integer' || field.kind === 'customer') {
      if (!/^[+-]?\d+$/.test(text)) problems[field.name] = { key: 'job.rule.integer', params: {} };
      else parameters[field.name] = Number(text);
    } else if (field.kind === 'integers') {
      const numbers = parseIntegers(text);
      if (!numbers) problems[field.name] = { key: 'job.rule.integers', params: {} };
      else parameters[field.name] = numbers;
    } else {
      parameters[field.name] = text;
    }
  }
  if (job.name === 'usage.pull_day') {
    const first = parameters.first_day as string | undefined;
    const last = parameters.last_day as string | undefined;
    if (!first && last) problems.first_day = { key: 'pricing.rule.required', params: {} };
    else if (first && last && last < first) problems.last_day = { key: 'job.rule.range', params: {} };
    else if (first && (!last || last === first) && (!Object.keys(properties).length || 'day' in properties)) {
      // one day is sent as `day`, like the usage page's pulls
      delete parameters.first_day;
      delete parameters.last_day;
      parameters.day = first;
    }
  }
  for (const name of job.parameters_schema?.required ?? []) {
    const shown = jobFields(job).some((field) => field.name === name);
    if (shown && !(name in parameters) && !problems[name])
      problems[name] = { key: 'pricing.rule.required', params: {} };
  }
  return { parameters, problems };
}

/** The JSON the fallback editor opens with: the schema's properties with their defaults (null when none). */
export function schemaTemplate(schema: JsonSchema | null | undefined): string {
  const properties = schema?.properties ?? {};
  const template: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(properties)) template[name] = property.default ?? null;
  return settingsText(template);
}

/** A JSON object typed in the fallback editor (nulls left out: the job's defaults apply). */
export function parseParametersJson(
  text: string,
): { ok: true; value: Record<string, unknown> } | { ok: false; message: FieldMessage } {
  const parsed = parseSettings(text);
  if (!parsed.ok) return { ok: false, message: { key: parsed.key, params: parsed.params } };
  return {
    ok: true,
    value: Object.fromEntries(Object.entries(parsed.value).filter(([, value]) => value !== null)),
  };
}

/** A short description of a property of the schema ("integer · default 30"), for the JSON editor's hint. */
export function schemaHint(schema: JsonSchema | null | undefined): string {
  const properties = schema?.properties ?? {};
  const typeOf = (property: JsonSchema): string => {
    if (property.format) return property.format;
    if (Array.isArray(property.type)) return property.type.join('|');
    if (property.type)
      return property.type === 'array' && property.items?.type
        ? `${String(property.items.type)}[]`
        : String(property.type);
    if (property.anyOf)
      return property.anyOf
        .map(typeOf)
        .filter((part) => part !== 'null')
        .join('|');
    return 'any';
  };
  return Object.entries(properties)
    .map(([name, property]) => `${name}: ${typeOf(property)}${schema?.required?.includes(name) ? ' *' : ''}`)
    .join('; ');
}

// --- schedules ------------------------------------------------------------------------------------------------
export interface ScheduleFormModel {
  cron: string;
  timezone: string;
  is_enabled: boolean;
  /** the job's parameters as JSON text */
  parametersText: string;
}

export function scheduleModel(schedule: JobSchedule): ScheduleFormModel {
  return {
    cron: schedule.cron,
    timezone: schedule.timezone,
    is_enabled: schedule.is_enabled,
    parametersText: settingsText(schedule.parameters ?? {}),
  };
}

/** What the backend would refuse for sure (it checks the cron and the time zone itself too). */
export function scheduleProblems(
  model: ScheduleFormModel,
): Partial<Record<'cron' | 'timezone' | 'parameters', FieldMessage>> {
  const problems: Partial<Record<'cron' | 'timezone' | 'parameters', FieldMessage>> = {};
  const fields = model.cron.trim().split(/\s+/).filter(Boolean);
  if (!fields.length) problems.cron = { key: 'pricing.rule.required', params: {} };
  else if (fields.length < 5 || fields.length > 6)
    problems.cron = { key: 'job.schedule.cronFields', params: {} };
  if (!model.timezone.trim()) problems.timezone = { key: 'pricing.rule.required', params: {} };
  const parsed = parseSettings(model.parametersText);
  if (!parsed.ok) problems.parameters = { key: parsed.key, params: parsed.params };
  return problems;
}

/** `PATCH /job-schedules/{id}`: only what changed (the parameters already checked to be a JSON object). */
export function scheduleUpdateBody(model: ScheduleFormModel, original: JobSchedule): JobScheduleUpdate {
  const body: JobScheduleUpdate = {};
  const cron = model.cron.trim().replace(/\s+/g, ' ');
  if (cron !== original.cron) body.cron = cron;
  const timezone = model.timezone.trim();
  if (timezone !== original.timezone) body.timezone = timezone;
  if (model.is_enabled !== original.is_enabled) body.is_enabled = model.is_enabled;
  const parsed = parseSettings(model.parametersText);
  if (parsed.ok && !sameJson(parsed.value, original.parameters ?? {})) body.parameters = parsed.value;
  return body;
}

/** Time zones for the schedule's select (the browser's list; a few usual ones when it has none). */
export function timezoneOptions(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  const zones = typeof intl.supportedValuesOf === 'function' ? intl.supportedValuesOf('timeZone') : [];
  const usual = ['Asia/Shanghai', 'UTC', 'Asia/Hong_Kong', 'Asia/Tokyo', 'Europe/London', 'America/New_York'];
  return [...new Set([...usual, ...zones])];
}

export function scheduleColumns(): TableColumnData[] {
  return [
    slotColumn('job.schedule.name', 'name', 220, { fixed: 'left' }),
    slotColumn('job.field.job', 'job', 170),
    slotColumn('job.schedule.cron', 'cron', 140),
    fieldColumn('job.schedule.timezone', 'timezone', 140),
    slotColumn('job.schedule.enabled', 'enabled', 90),
    parametersColumn('job.field.parameters', 200, 'parameters', 'parameters', fieldLabel),
    slotColumn('job.schedule.nextRun', 'nextRun', 170),
    slotColumn('job.schedule.lastRun', 'lastRun', 200),
    slotColumn('job.schedule.updated', 'updated', 170),
    actionsColumn(90),
  ];
}

// --- backend errors on a form -------------------------------------------------------------------------------
