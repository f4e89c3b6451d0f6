import { describe, expect, it } from 'vitest';
import {
  alreadyRunning,
  executionQuery,
  FINISHED_EXECUTION_STATUSES,
  type JobPublic,
  type JobSchedule,
} from '@/api/jobs';
import { ApiError } from '@/api/errors';
import {
  canCancel,
  canRetry,
  emptyExecutionFilters,
  executionFilterParams,
  initialValues,
  isLive,
  jobFields,
  jobLabel,
  parseIntegers,
  parseParametersJson,
  scheduleModel,
  scheduleProblems,
  scheduleUpdateBody,
  schemaHint,
  schemaTemplate,
  toParameters,
} from '@/views/jobs/data';
import { dayEnd, dayStart } from '@/utils/date';
import { mapFieldErrors } from '@/utils/form-errors';
import { parametersText } from '@/utils/json';

function job(
  name: string,
  properties: JobPublic['parameters_schema']['properties'] = {},
  required: string[] = [],
): JobPublic {
  return { name, title: '', description: '', parameters_schema: { type: 'object', properties, required } };
}

const PULL = job('usage.pull_day', {
  day: { anyOf: [{ type: 'string', format: 'date' }, { type: 'null' }], default: null },
  first_day: { anyOf: [{ type: 'string', format: 'date' }, { type: 'null' }], default: null },
  last_day: { anyOf: [{ type: 'string', format: 'date' }, { type: 'null' }], default: null },
  source: { anyOf: [{ type: 'string' }, { type: 'null' }], default: null },
});
const REMINDERS = job('reminders.send_overdue', {
  stages: { type: 'array', items: { type: 'integer' }, default: [-3, 1, 7, 15, 30] },
  day: { type: 'string', format: 'date' },
});
const AUTOMATION = job('customers.account_automation', {
  suspend_after_days: { type: 'integer' },
  day: { type: 'string', format: 'date' },
});
const BILLING = job('billing.run_period', { period: { type: 'string' }, customer_id: { type: 'integer' } }, [
  'period',
]);

function schedule(overrides: Partial<JobSchedule> = {}): JobSchedule {
  return {
    id: 3,
    name: 'overdue-reminders',
    task_name: 'reminders.send_overdue',
    cron: '0 9 * * *',
    timezone: 'Asia/Shanghai',
    is_enabled: true,
    parameters: { stages: [-3, 1, 7] },
    description: '',
    next_run_at: null,
    last_run_at: null,
    last_execution_id: null,
    updated_at: '2026-01-01T00:00:00Z',
    updated_by: null,
    ...overrides,
  };
}

describe('executions', () => {
  it('a skipped execution is finished: the lists stop following it, and it can be neither cancelled nor retried', () => {
    expect(FINISHED_EXECUTION_STATUSES).toContain('skipped');
    expect(isLive({ status: 'skipped' })).toBe(false);
    expect(isLive({ status: 'pending' })).toBe(true);
    expect(isLive({ status: 'running' })).toBe(true);
    expect(canCancel({ status: 'pending' })).toBe(true);
    expect(canCancel({ status: 'running' })).toBe(false);
    expect(['failed', 'partial'].every((status) => canRetry({ status: status as 'failed' }))).toBe(true);
    expect(
      ['success', 'cancelled', 'skipped', 'running'].some((status) =>
        canRetry({ status: status as 'failed' }),
      ),
    ).toBe(false);
  });

  it('names a job in the UI language, then by the backend title, then by its name', () => {
    expect(jobLabel('billing.run_period', [{ name: 'billing.run_period', title: 'Invoice run' }])).toBe(
      '生成账单',
    );
    expect(jobLabel('other.job', [{ name: 'other.job', title: 'Other' }])).toBe('Other');
    expect(jobLabel('other.job')).toBe('other.job');
    expect(parametersText({ period: '2026-10', customer_id: null, stages: [1, 7] })).toBe(
      'period=2026-10, stages=[1,7]',
    );
    expect(parametersText({})).toBe('-');
  });

  it('sends only the known, non-blank filters, the days as the instants of the whole local days', () => {
    const filters = {
      ...emptyExecutionFilters(),
      task_name: 'usage.pull_day',
      triggered_by: '  admin ',
      created: ['2026-01-02', '2026-01-03'],
    };
    const params = executionFilterParams(filters);
    expect(params).toMatchObject({
      task_name: 'usage.pull_day',
      status: null,
      trigger: null,
      triggered_by: 'admin',
    });
    expect(new Date(params.created_from as string).getTime()).toBe(new Date(2026, 0, 2).getTime());
    expect(new Date(params.created_to as string).getTime()).toBe(new Date(2026, 0, 4).getTime() - 1);
    expect(new Date(dayEnd('2026-03-01')).getTime() - new Date(dayStart('2026-03-01')).getTime()).toBe(
      86_400_000 - 1,
    );
    expect(executionQuery({ ...params, page: 2, page_size: 20, sort: '-id', bogus: 'x' } as never)).toEqual({
      task_name: 'usage.pull_day',
      triggered_by: 'admin',
      created_from: params.created_from,
      created_to: params.created_to,
      page: 2,
      page_size: 20,
      sort: '-id',
    });
  });

  it('reads the running and skipped ids of a 409 job_already_running, and nothing from other errors', () => {
    const conflict = new ApiError({
      status: 409,
      code: 'job_already_running',
      message: 'already running',
      details: [
        { field: null, message: 'run #5 is running', running_execution_id: 5, skipped_execution_id: 9 },
      ],
    });
    expect(alreadyRunning(conflict)).toEqual({ running_execution_id: 5, skipped_execution_id: 9 });
    expect(alreadyRunning(new ApiError({ status: 409, code: 'conflict', message: 'x' }))).toBeNull();
    expect(
      alreadyRunning(new ApiError({ status: 422, code: 'job_already_running', message: 'x' })),
    ).toBeNull();
  });
});

describe('run now parameters', () => {
  it('shows the fields of a known job that its schema declares', () => {
    expect(jobFields(BILLING).map((f) => f.name)).toEqual(['period', 'customer_id']);
    expect(jobFields(job('billing.run_period', { period: { type: 'string' } })).map((f) => f.name)).toEqual([
      'period',
    ]);
    expect(
      jobFields(job('usage.pull_day', { day: { type: 'string' }, source: { type: 'string' } })).map(
        (f) => f.name,
      ),
    ).toEqual(['first_day', 'source']);
    expect(jobFields(job('other.job', { x: { type: 'string' } }))).toEqual([]);
    expect(initialValues(REMINDERS)).toEqual({ stages: '-3, 1, 7, 15, 30', day: '' });
  });

  it('turns the form into the job parameters: blanks left out, numbers and lists parsed, one pull day sent as day', () => {
    expect(toParameters(PULL, { first_day: '2026-01-05', last_day: '', source: ' demo ' })).toEqual({
      parameters: { day: '2026-01-05', source: 'demo' },
      problems: {},
    });
    expect(toParameters(PULL, { first_day: '2026-01-05', last_day: '2026-01-05' }).parameters).toEqual({
      day: '2026-01-05',
    });
    expect(toParameters(PULL, { first_day: '2026-01-01', last_day: '2026-01-07' }).parameters).toEqual({
      first_day: '2026-01-01',
      last_day: '2026-01-07',
    });
    expect(
      toParameters(PULL, { first_day: '2026-01-07', last_day: '2026-01-01' }).problems.last_day?.key,
    ).toBe('job.rule.range');
    expect(toParameters(PULL, { first_day: '', last_day: '2026-01-01' }).problems.first_day?.key).toBe(
      'pricing.rule.required',
    );
    expect(toParameters(PULL, {}).parameters).toEqual({});

    expect(toParameters(REMINDERS, { stages: '-3, 1，7 15', day: '' })).toEqual({
      parameters: { stages: [-3, 1, 7, 15] },
      problems: {},
    });
    expect(toParameters(REMINDERS, { stages: '1, x' }).problems.stages?.key).toBe('job.rule.integers');
    expect(toParameters(AUTOMATION, { suspend_after_days: 45, day: '2026-02-01' }).parameters).toEqual({
      suspend_after_days: 45,
      day: '2026-02-01',
    });
    expect(toParameters(AUTOMATION, { suspend_after_days: '4.5' }).problems.suspend_after_days?.key).toBe(
      'job.rule.integer',
    );
    expect(toParameters(BILLING, { period: '', customer_id: 7 }).problems.period?.key).toBe(
      'pricing.rule.required',
    );
    expect(toParameters(BILLING, { period: '2026-10', customer_id: 7 }).parameters).toEqual({
      period: '2026-10',
      customer_id: 7,
    });
    expect(parseIntegers('')).toEqual([]);
  });

  it('offers the schema as JSON for a job without a form, and drops nulls from what is typed', () => {
    const schema = job('x', { a: { type: 'integer', default: 3 }, b: { type: 'string' } }, [
      'b',
    ]).parameters_schema;
    expect(JSON.parse(schemaTemplate(schema))).toEqual({ a: 3, b: null });
    expect(schemaHint(schema)).toBe('a: integer; b: string *');
    expect(schemaHint(PULL.parameters_schema)).toContain('day: date');
    expect(parseParametersJson('{"a": 1, "b": null}')).toEqual({ ok: true, value: { a: 1 } });
    expect(parseParametersJson('[1]')).toMatchObject({
      ok: false,
      message: { key: 'dataSource.settings.notObject' },
    });
    expect(parseParametersJson('{a')).toMatchObject({
      ok: false,
      message: { key: 'dataSource.settings.invalidJson' },
    });
  });
});

describe('schedules', () => {
  it('sends only what changed (cron spaces tidied, parameters compared as JSON)', () => {
    const original = schedule();
    const model = scheduleModel(original);
    expect(scheduleUpdateBody(model, original)).toEqual({});
    model.parametersText = '{ "stages": [ -3, 1, 7 ] }';
    expect(scheduleUpdateBody(model, original)).toEqual({});
    model.cron = ' 30  9 * * 1-5 ';
    model.is_enabled = false;
    model.parametersText = '{"stages": [1]}';
    expect(scheduleUpdateBody(model, original)).toEqual({
      cron: '30 9 * * 1-5',
      is_enabled: false,
      parameters: { stages: [1] },
    });
  });

  it('refuses a cron without five fields, a blank time zone and parameters that are not a JSON object', () => {
    const model = { ...scheduleModel(schedule()), cron: '0 9 *', timezone: ' ', parametersText: '[]' };
    const problems = scheduleProblems(model);
    expect(problems.cron?.key).toBe('job.schedule.cronFields');
    expect(problems.timezone?.key).toBe('pricing.rule.required');
    expect(problems.parameters?.key).toBe('dataSource.settings.notObject');
    expect(scheduleProblems(scheduleModel(schedule()))).toEqual({});
  });

  it('puts the backend 422 under the field it names', () => {
    const error = new ApiError({
      status: 422,
      code: 'validation_failed',
      message: 'Validation failed',
      details: [
        { field: 'cron', message: 'not a valid cron expression' },
        { field: 'body.parameters.stages.0', message: 'Value error, must be an integer' },
        { field: 'other', message: 'odd' },
      ],
    });
    expect(mapFieldErrors(error, ['cron', 'timezone', 'parameters'])).toEqual({
      fields: { cron: 'not a valid cron expression', parameters: 'stages.0: must be an integer' },
      general: ['other: odd'],
    });
    expect(
      mapFieldErrors(new ApiError({ status: 422, code: 'x', message: 'Bad time zone' }), ['cron']),
    ).toEqual({ fields: {}, general: ['Bad time zone'] });
  });
});
