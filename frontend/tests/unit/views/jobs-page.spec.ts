import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { createMemoryHistory, createRouter } from 'vue-router';
import ArcoVue from '@arco-design/web-vue';
import ArcoVueIcon from '@arco-design/web-vue/es/icon';
import { useAuthStore } from '@/store/auth';
import type { JobPublic, TaskExecution } from '@/api/jobs';
import JobsPage from '@/views/jobs/list.vue';
import SchedulesPage from '@/views/jobs/schedules.vue';
import RunJobModal from '@/views/jobs/components/run-job-modal.vue';
import ChannelForm from '@/views/notifications/components/channel-form.vue';
import { envelope, mockTheApi } from '../helpers/mock-adapter';
import { userWithRole } from '../helpers/fixtures';

const mock = mockTheApi();
let pinia: Pinia;
let wrapper: VueWrapper | undefined;

beforeEach(() => {
  localStorage.clear();
  pinia = createPinia();
  setActivePinia(pinia);
});

afterEach(() => {
  wrapper?.unmount();
  wrapper = undefined;
  document.body.innerHTML = '';
});

function router() {
  return createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/:p(.*)*', name: 'any', component: { template: '<div />' } },
      { path: '/jobs/:id', name: 'job-execution', component: { template: '<div />' } },
      { path: '/job-schedules', name: 'job-schedules', component: { template: '<div />' } },
    ],
  });
}

function el(testid: string): HTMLElement | null {
  return document.body.querySelector(`[data-testid="${testid}"]`);
}

async function click(testid: string) {
  (el(testid) as HTMLElement).click();
  await flushPromises();
}

/** An element inside the row of one secret of the secrets editor. */
function inSecretRow(name: string, testid: string): HTMLElement | null {
  return document.body.querySelector(`[data-testid="secret-row-${name}"] [data-testid="${testid}"]`);
}

async function type(target: string | HTMLElement, value: string) {
  const found = typeof target === 'string' ? el(target) : target;
  const input = (
    found?.tagName === 'INPUT' ? found : found?.querySelector('input, textarea')
  ) as HTMLInputElement;
  input.value = value;
  input.dispatchEvent(new Event('input'));
  input.dispatchEvent(new Event('change'));
  input.dispatchEvent(new Event('blur'));
  await flushPromises();
}

const AUTOMATION: JobPublic = {
  name: 'customers.account_automation',
  title: '账户状态自动化',
  description: '',
  parameters_schema: {
    type: 'object',
    properties: { suspend_after_days: { type: 'integer' }, day: { type: 'string', format: 'date' } },
  },
};
const CUSTOM: JobPublic = {
  name: 'custom.job',
  title: 'Custom',
  description: '',
  parameters_schema: { type: 'object', properties: { limit: { type: 'integer', default: 10 } } },
};

function execution(id: number, status: TaskExecution['status']): TaskExecution {
  return {
    id,
    task_name: 'customers.account_automation',
    trigger: 'manual',
    parameters: {},
    status,
    created_at: '2026-01-01T00:00:00Z',
    started_at: null,
    finished_at: null,
    duration_ms: null,
    counters: {},
    log_excerpt: null,
    error: null,
    triggered_by: 'admin',
    retry_of_id: null,
    heartbeat_at: null,
    status_reason: status === 'skipped' ? 'run #2 of the same job with the same parameters is running' : null,
  };
}

describe('run now', () => {
  function mountModal(jobs: JobPublic[]) {
    useAuthStore().user = userWithRole('admin', { permissions: ['jobs:read', 'jobs:run'] });
    mock.on('GET', '/data-sources', { status: 200, data: { items: [], total: 0, page: 1, page_size: 200 } });
    wrapper = mount(RunJobModal, {
      props: { visible: true, jobs },
      global: { plugins: [pinia, router(), ArcoVue, ArcoVueIcon] },
      attachTo: document.body,
    });
    return flushPromises();
  }

  it('sends the form as the job parameters and says which run holds the lock on a 409 job_already_running', async () => {
    mock.on('POST', '/task-executions', {
      status: 409,
      data: envelope('job_already_running', 'run #41 of the same job with the same parameters is running', [
        { field: null, message: 'running', running_execution_id: 41, skipped_execution_id: 42 },
      ]),
    });
    await mountModal([AUTOMATION]);
    await type('job-param-input-suspend_after_days', '45');
    await click('job-run-submit');
    expect(mock.callsTo('POST', '/task-executions')[0].body).toEqual({
      job: 'customers.account_automation',
      parameters: { suspend_after_days: 45 },
    });
    expect(el('job-run-conflict')?.textContent).toContain('#42');
    expect(el('job-run-conflict-link')?.getAttribute('href')).toBe('/jobs/41');
    expect(wrapper!.emitted('queued')).toBeUndefined();
  });

  it('puts a 422 under the parameter it names, and emits the queued execution on success', async () => {
    mock.on('POST', '/task-executions', {
      status: 422,
      data: envelope('validation_failed', 'Validation failed', [
        { field: 'parameters.suspend_after_days', message: 'must be at least 1' },
      ]),
    });
    await mountModal([AUTOMATION]);
    await type('job-param-input-suspend_after_days', '0');
    await click('job-run-submit');
    expect(el('job-param-suspend_after_days')?.textContent).toContain('must be at least 1');

    mock.on('POST', '/task-executions', { status: 202, data: execution(50, 'pending') });
    await click('job-run-submit');
    expect(wrapper!.emitted('queued')?.[0]).toEqual([execution(50, 'pending')]);
  });

  it('a job without a form of ours takes JSON parameters, starting from its schema', async () => {
    mock.on('POST', '/task-executions', { status: 202, data: execution(51, 'pending') });
    await mountModal([CUSTOM]);
    const editor = el('job-run-parameters')?.querySelector('textarea') as HTMLTextAreaElement;
    expect(JSON.parse(editor.value)).toEqual({ limit: 10 });
    await type('job-run-parameters', '{"limit": 3, "skip": null}');
    await click('job-run-submit');
    expect(mock.callsTo('POST', '/task-executions')[0].body).toEqual({
      job: 'custom.job',
      parameters: { limit: 3 },
    });
    await type('job-run-parameters', '{oops');
    await click('job-run-submit');
    expect(mock.callsTo('POST', '/task-executions')).toHaveLength(1);
  });
});

describe('executions list', () => {
  async function mountList(role: Parameters<typeof userWithRole>[0], permissions: string[]) {
    mock.on('GET', '/jobs', { status: 200, data: { items: [AUTOMATION] } });
    mock.on('GET', '/task-executions', {
      status: 200,
      data: {
        items: [execution(1, 'failed'), execution(2, 'pending'), execution(3, 'skipped')],
        total: 3,
        page: 1,
        page_size: 20,
      },
    });
    useAuthStore().user = userWithRole(role, { permissions });
    const r = router();
    await r.push('/jobs');
    wrapper = mount(JobsPage, {
      global: { plugins: [pinia, r, ArcoVue, ArcoVueIcon] },
      attachTo: document.body,
    });
    await flushPromises();
  }

  it('hides run, cancel and retry from a read-only role', async () => {
    await mountList('auditor', ['jobs:read']);
    expect(mock.callsTo('GET', '/task-executions')[0].params).toEqual({
      page: 1,
      page_size: 20,
      sort: '-id',
    });
    expect(el('job-status-3')?.getAttribute('data-status')).toBe('skipped');
    expect(el('job-run-open')).toBeNull();
    expect(el('job-retry-1')).toBeNull();
    expect(el('job-cancel-2')).toBeNull();
  });

  it('offers an admin retry on the failed run and cancel on the pending one only', async () => {
    await mountList('admin', ['jobs:read', 'jobs:run', 'jobs:schedule']);
    expect(el('job-run-open')).not.toBeNull();
    expect(el('job-retry-1')).not.toBeNull();
    expect(el('job-cancel-1')).toBeNull();
    expect(el('job-cancel-2')).not.toBeNull();
    expect(el('job-retry-3')).toBeNull();
    expect(el('job-cancel-3')).toBeNull();
  });
});

describe('schedules', () => {
  const row = {
    id: 3,
    name: 'account-automation',
    task_name: 'customers.account_automation',
    cron: '0 3 * * *',
    timezone: 'Asia/Shanghai',
    is_enabled: true,
    parameters: {},
    description: '',
    next_run_at: '2026-01-02T19:00:00Z',
    last_run_at: null,
    last_execution_id: null,
    updated_at: '2026-01-01T00:00:00Z',
    updated_by: null,
  };

  it('switches a schedule off with a PATCH of is_enabled only, and shows it saved', async () => {
    mock.on('GET', '/jobs', { status: 200, data: { items: [AUTOMATION] } });
    mock.on('GET', '/job-schedules', { status: 200, data: { items: [row] } });
    mock.on('PATCH', '/job-schedules/3', {
      status: 200,
      data: { ...row, is_enabled: false, next_run_at: null },
    });
    useAuthStore().user = userWithRole('admin', { permissions: ['jobs:read', 'jobs:schedule'] });
    wrapper = mount(SchedulesPage, {
      global: { plugins: [pinia, router(), ArcoVue, ArcoVueIcon] },
      attachTo: document.body,
    });
    await flushPromises();
    await click('schedule-enabled-account-automation');
    expect(mock.callsTo('PATCH', '/job-schedules/3')[0].body).toEqual({ is_enabled: false });
    expect(el('schedule-enabled-account-automation')?.getAttribute('data-enabled')).toBe('false');
  });

  it('cannot be switched by a read-only role', async () => {
    mock.on('GET', '/job-schedules', { status: 200, data: { items: [row] } });
    useAuthStore().user = userWithRole('finance', { permissions: ['jobs:read'] });
    wrapper = mount(SchedulesPage, {
      global: { plugins: [pinia, router(), ArcoVue, ArcoVueIcon] },
      attachTo: document.body,
    });
    await flushPromises();
    await click('schedule-enabled-account-automation');
    expect(mock.callsTo('PATCH', '/job-schedules/3')).toHaveLength(0);
    expect(el('schedule-edit-account-automation')).toBeNull();
  });
});

describe('channel form', () => {
  it('an edit shows which secrets are set and sends only a typed one', async () => {
    const channel = {
      id: 4,
      name: 'bot',
      kind: 'wecom_bot' as const,
      settings: {},
      secret_names: ['webhook_url'],
      secrets_readable: true,
      is_enabled: true,
      rate_per_minute: 20,
      max_attempts: 5,
      remark: null,
      health_status: 'unknown' as const,
      health_checked_at: null,
      health_error: null,
      created_at: '2026-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
      created_by: 'admin',
      updated_by: 'admin',
    };
    mock.on('PATCH', '/notification-channels/4', { status: 200, data: channel });
    useAuthStore().user = userWithRole('admin', { permissions: ['notifications:write'] });
    wrapper = mount(ChannelForm, {
      props: { visible: true, channel },
      global: { plugins: [pinia, router(), ArcoVue, ArcoVueIcon] },
      attachTo: document.body,
    });
    await flushPromises();
    expect(inSecretRow('webhook_url', 'secret-set')).not.toBeNull();
    const secret = inSecretRow('webhook_url', 'secret-value') as HTMLInputElement;
    expect(secret.value).toBe('');
    await click('channel-submit');
    expect(mock.callsTo('PATCH', '/notification-channels/4')).toHaveLength(0); // nothing changed, nothing sent
    await type(secret, 'https://hook.example/new');
    await click('channel-submit');
    expect(mock.callsTo('PATCH', '/notification-channels/4')[0].body).toEqual({
      secrets: { webhook_url: 'https://hook.example/new' },
    });
  });
});
