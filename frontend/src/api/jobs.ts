/**
 * Jobs (`/jobs`, `/task-executions…`, `/job-schedules…`): the registered jobs, their runs (task
 * executions) and when Beat starts them.
 *
 * The types mirror the backend's schemas of the issue 7 contract (backend/opcms/jobs/schemas.py).
 * An execution (`ExecutionPublic`) is one shape for every job, defined here and read by the usage
 * pulls and invoice runs too; `TaskExecution` adds what only this area shows: the heartbeat, why it
 * was skipped/cancelled/failed by the reaper, and the retries made of it.
 */
import { getData, patchData, postData } from './http';
import type { IsoDateTime, Page } from './types';
import { cleanParams, type PageParams } from './params';

// --- task executions -------------------------------------------------------------------------------------
/** `skipped`: another run of the same job with the same parameters held the lock (recorded, never run). */
export const EXECUTION_STATUSES = [
  'pending',
  'running',
  'success',
  'partial',
  'failed',
  'cancelled',
  'skipped',
] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];
export const FINISHED_EXECUTION_STATUSES: readonly ExecutionStatus[] = [
  'success',
  'partial',
  'failed',
  'cancelled',
  'skipped',
];
export const TRIGGERS = ['schedule', 'manual', 'cli', 'retry'] as const;
export type Trigger = (typeof TRIGGERS)[number];

/** The jobs that can be run (names = Celery task names = schedules' `task_name`). */
export const KNOWN_JOBS = [
  'usage.pull_day',
  'billing.run_period',
  'reminders.send_overdue',
  'customers.account_automation',
  'analytics.score_customers',
  'jobs.prune_retention',
  'notifications.check_channels',
] as const;
export type KnownJob = (typeof KNOWN_JOBS)[number];

/** A JSON Schema as pydantic writes it (`model_json_schema()`), only the parts the UI reads. */
export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  format?: string;
  default?: unknown;
  enum?: unknown[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  [extra: string]: unknown;
}

/** One registered job (schema `JobPublic`). */
export interface JobPublic {
  name: string;
  title: string;
  description: string;
  /** the JSON Schema of its parameters */
  parameters_schema: JsonSchema;
}

export interface JobList {
  items: JobPublic[];
}

/** Schema `ExecutionPublic` (DESIGN §10). */
export interface ExecutionPublic {
  id: number;
  task_name: string;
  trigger: Trigger;
  parameters: Record<string, unknown>;
  status: ExecutionStatus;
  created_at: IsoDateTime;
  started_at: IsoDateTime | null;
  finished_at: IsoDateTime | null;
  duration_ms: number | null;
  counters: Record<string, number>;
  log_excerpt: string | null;
  error: string | null;
  triggered_by: string;
  retry_of_id: number | null;
}

/** Schema `ExecutionPublic` with what this area reads besides the usage and invoice-run pages. */
export interface TaskExecution extends ExecutionPublic {
  result?: Record<string, unknown> | null;
  /** the worker's last sign of life while running */
  heartbeat_at: IsoDateTime | null;
  /** why it was skipped, cancelled, or failed by the reaper (not an error of the job itself) */
  status_reason: string | null;
}

/** Schema `ExecutionDetail`: an execution and the retries made of it. */
export interface TaskExecutionDetail extends TaskExecution {
  /** the executions that retried this one */
  retry_execution_ids: number[];
}

export type TaskExecutionPage = Page<TaskExecution>;

export interface TaskExecutionFilters {
  task_name?: string | null;
  status?: ExecutionStatus | null;
  trigger?: Trigger | null;
  triggered_by?: string | null;
  created_from?: IsoDateTime | null;
  created_to?: IsoDateTime | null;
}

export interface TaskExecutionListParams extends TaskExecutionFilters, PageParams {}

/** Body of `POST /task-executions`. */
export interface JobRunRequest {
  job: string;
  parameters: Record<string, unknown>;
}

/** The `details` of a 409 `job_already_running`: the run holding the lock and the row recorded as skipped. */
export interface AlreadyRunning {
  running_execution_id: number | null;
  skipped_execution_id: number | null;
}

/** Schema `SchedulePublic`. */
export interface JobSchedule {
  id: number;
  name: string;
  task_name: string;
  /** five fields: minute hour day-of-month month day-of-week */
  cron: string;
  /** IANA, e.g. Asia/Shanghai */
  timezone: string;
  is_enabled: boolean;
  parameters: Record<string, unknown>;
  description: string;
  next_run_at: IsoDateTime | null;
  last_run_at: IsoDateTime | null;
  last_execution_id: number | null;
  updated_at: IsoDateTime;
  updated_by: string | null;
}

export interface JobScheduleList {
  items: JobSchedule[];
}

/** Body of `PATCH /job-schedules/{id}`: only what changes; 422 on a bad cron, time zone or parameters. */
export interface JobScheduleUpdate {
  cron?: string;
  timezone?: string;
  is_enabled?: boolean;
  parameters?: Record<string, unknown>;
}

const EXECUTION_FILTER_KEYS: readonly (keyof TaskExecutionListParams)[] = [
  'task_name',
  'status',
  'trigger',
  'triggered_by',
  'created_from',
  'created_to',
  'page',
  'page_size',
  'sort',
];

/** Only the known filters (the backend refuses unknown parameters), blanks left out. */
export function executionQuery(params: TaskExecutionListParams): Record<string, string | number> {
  return cleanParams(Object.fromEntries(EXECUTION_FILTER_KEYS.map((key) => [key, params[key]])));
}

// --- requests -----------------------------------------------------------------------------------------------
export function listJobs(): Promise<JobList> {
  return getData('/jobs');
}

export function listTaskExecutions(params: TaskExecutionListParams = {}): Promise<TaskExecutionPage> {
  return getData('/task-executions', { params: executionQuery(params) });
}

export function getTaskExecution(id: number): Promise<TaskExecutionDetail> {
  return getData(`/task-executions/${id}`);
}

/**
 * Runs a job now (202: the pending execution); 409 `job_already_running` when a run of the same
 * job with the same parameters holds the lock (see `alreadyRunning`), 422 for bad parameters,
 * 503 when the broker is down.
 */
export function runJob(body: JobRunRequest): Promise<TaskExecution> {
  return postData('/task-executions', body);
}

/** Cancels a pending execution (the worker then skips it); 409 once it has started. */
export function cancelTaskExecution(id: number, reason: string): Promise<TaskExecutionDetail> {
  return postData(`/task-executions/${id}/cancel`, { reason: reason.trim() });
}

/** A new execution (trigger `retry`, `retry_of_id` = this one) of a failed or partial one; 409 otherwise. */
export function retryTaskExecution(id: number): Promise<TaskExecution> {
  return postData(`/task-executions/${id}/retry`);
}

export function listJobSchedules(): Promise<JobScheduleList> {
  return getData('/job-schedules');
}

export function updateJobSchedule(id: number, body: JobScheduleUpdate): Promise<JobSchedule> {
  return patchData(`/job-schedules/${id}`, body);
}

/**
 * The ids of a 409 `job_already_running`, wherever the backend put them: a detail carrying
 * `running_execution_id` (the error shape's details are a list), or null for any other error.
 */
export function alreadyRunning(error: {
  status: number;
  code: string;
  details: readonly Record<string, unknown>[];
}): AlreadyRunning | null {
  if (error.status !== 409 || error.code !== 'job_already_running') return null;
  const id = (value: unknown): number | null => {
    const number = typeof value === 'string' ? Number(value) : value;
    return typeof number === 'number' && Number.isInteger(number) ? number : null;
  };
  let running: number | null = null;
  let skipped: number | null = null;
  for (const detail of error.details) {
    running ??= id(detail.running_execution_id);
    skipped ??= id(detail.skipped_execution_id);
  }
  return { running_execution_id: running, skipped_execution_id: skipped };
}
