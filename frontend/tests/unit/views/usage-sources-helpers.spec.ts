import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '@/api/errors';
import { setLocale } from '@/locale';
import type { DataSourcePublic } from '@/api/data-sources';
import type { SubscriptionPublic } from '@/api/pricing';
import { pullScope, reviewProblem } from '@/views/usage/data';
import { counterEntries, pullDays } from '@/utils/executions';
import {
  checkSubscription,
  emptySubscriptionModel,
  modelFromSubscription,
  toSubscriptionCreateBody,
  toSubscriptionUpdateBody,
} from '@/views/subscriptions/form-model';
import { subscriptionState } from '@/utils/status';
import {
  emptySourceModel,
  mapSourceError,
  modelFromSource,
  neededSecret,
  toSourceCreateBody,
  toSourceUpdateBody,
} from '@/views/data-sources/form-model';
import { parseSettings } from '@/utils/json';
import { secretEntry } from '@/utils/secrets';

afterEach(() => setLocale('zh-CN'));

function subscription(overrides: Partial<SubscriptionPublic> = {}): SubscriptionPublic {
  return {
    id: 3,
    customer_id: 7,
    customer_code: 'C007',
    company_name: '上海示例科技有限公司',
    metric: 'api_calls',
    metric_id: 1,
    plan_id: 2,
    plan_code: 'API-STD',
    plan_name: 'API 标准价',
    effective_from: '2026-01-01',
    effective_to: null,
    discount_percent: '10.00',
    remark: null,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    created_by: 'admin',
    updated_by: 'admin',
    ...overrides,
  };
}

function source(overrides: Partial<DataSourcePublic> = {}): DataSourcePublic {
  return {
    id: 4,
    name: 'vendor-a',
    adapter: 'http_json',
    settings: { base_url: 'https://v.example.com', auth: 'bearer' },
    secret_names: ['token'],
    secrets_readable: true,
    is_enabled: true,
    timeout_seconds: 30,
    remark: null,
    accounts: 2,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    created_by: 'admin',
    updated_by: 'admin',
    ...overrides,
  };
}

describe('anomaly review checks (backend usage/review.py)', () => {
  it('needs a quantity to correct and a reason to correct or reject', () => {
    expect(reviewProblem({ action: 'accept', quantity: '', reason: '' })).toBeNull();
    expect(reviewProblem({ action: 'correct', quantity: '', reason: 'x' })?.key).toBe(
      'usage.review.needQuantity',
    );
    expect(reviewProblem({ action: 'correct', quantity: '-3', reason: 'x' })?.key).toBe(
      'pricing.decimal.negative',
    );
    expect(reviewProblem({ action: 'correct', quantity: '12.5', reason: ' ' })).toMatchObject({
      field: 'reason',
      key: 'usage.review.needReason',
    });
    expect(reviewProblem({ action: 'reject', quantity: '', reason: '重复推送' })).toBeNull();
    setLocale('en-US');
    const problem = reviewProblem({ action: 'reject', quantity: '', reason: '' });
    expect(problem && `${problem.field}: ${problem.key}`).toBe('reason: usage.review.needReason');
  });
});

describe('pull executions for display', () => {
  it('shows the days, the scope and the counters in a useful order', () => {
    expect(pullDays({ parameters: { first_day: '2026-01-01', last_day: '2026-01-07', source: null } })).toBe(
      '2026-01-01 ~ 2026-01-07',
    );
    expect(pullDays({ parameters: { first_day: '2026-01-01', last_day: '2026-01-01' } })).toBe('2026-01-01');
    expect(pullDays({ parameters: {} })).toBe('-');
    expect(pullScope({ task_name: 'usage.pull', parameters: { source: null } })).toBe('全部启用的数据源');
    expect(
      pullScope({ task_name: 'usage.upload', parameters: { source: 'files', file_name: 'jan.csv' } }),
    ).toBe('files · jan.csv');
    expect(counterEntries({ written: 9, zzz: 1, sources: 2, anomalies: 1 })).toEqual([
      ['sources', '数据源', 2],
      ['written', '写入', 9],
      ['anomalies', '异常', 1],
      ['zzz', 'zzz', 1],
    ]);
  });
});

describe('subscription form → request bodies', () => {
  it('creates with the discount as a string, leaving an open end and a blank remark out', () => {
    const model = {
      ...emptySubscriptionModel(),
      customer_id: 7,
      plan_id: 2,
      effective_from: '2026-02-01',
      discount_percent: ' 12.5 ',
    };
    expect(toSubscriptionCreateBody(model)).toEqual({
      customer_id: 7,
      plan_id: 2,
      effective_from: '2026-02-01',
      discount_percent: '12.5',
    });
    expect(
      toSubscriptionCreateBody({
        ...model,
        discount_percent: '',
        effective_to: '2026-12-31',
        remark: ' 年框 ',
      }),
    ).toEqual({
      customer_id: 7,
      plan_id: 2,
      effective_from: '2026-02-01',
      discount_percent: '0',
      effective_to: '2026-12-31',
      remark: '年框',
    });
  });

  it('updates only what changed; the same discount written differently is no change; a cleared end reopens it', () => {
    const original = subscription({ effective_to: '2026-06-30', remark: '旧' });
    const model = modelFromSubscription(original);
    expect(toSubscriptionUpdateBody({ ...model, discount_percent: '10' }, original)).toEqual({});
    expect(
      toSubscriptionUpdateBody(
        { ...model, effective_to: undefined, discount_percent: '15', remark: '' },
        original,
      ),
    ).toEqual({
      effective_to: null,
      discount_percent: '15',
      remark: null,
    });
  });

  it('checks the dates and the discount like the backend', () => {
    const model = {
      ...emptySubscriptionModel(),
      customer_id: 7,
      plan_id: 2,
      effective_from: '2026-02-01',
      effective_to: '2026-01-31',
      discount_percent: '100.5',
    };
    const problems = checkSubscription(model, false);
    expect(problems.effective_to?.key).toBe('subscription.rule.endBeforeStart');
    expect(problems.discount_percent?.key).toBe('pricing.decimal.percentRange');
    expect(Object.keys(checkSubscription(emptySubscriptionModel(), false)).sort()).toEqual([
      'customer_id',
      'effective_from',
      'plan_id',
    ]);
    expect(checkSubscription(emptySubscriptionModel(), true)).toEqual({});
  });

  it('tells in force, ended and upcoming apart', () => {
    expect(subscriptionState(subscription(), '2026-03-01')).toBe('active');
    expect(subscriptionState(subscription({ effective_to: '2026-02-28' }), '2026-03-01')).toBe('ended');
    expect(subscriptionState(subscription({ effective_from: '2026-04-01' }), '2026-03-01')).toBe('upcoming');
  });
});

describe('data source form → request bodies', () => {
  it('reads the settings as a JSON object and says why not', () => {
    expect(parseSettings('')).toEqual({ ok: true, value: {} });
    expect(parseSettings('{"base": 1000, "metrics": ["sms"]}')).toEqual({
      ok: true,
      value: { base: 1000, metrics: ['sms'] },
    });
    expect(parseSettings('[1, 2]')).toMatchObject({ ok: false, key: 'dataSource.settings.notObject' });
    expect(parseSettings('null')).toMatchObject({ ok: false, key: 'dataSource.settings.notObject' });
    const broken = parseSettings('{"base": }');
    expect(broken.ok).toBe(false);
    if (!broken.ok) expect(broken.key).toBe('dataSource.settings.invalidJson');
  });

  it('creates with the secrets typed, ignoring empty rows', () => {
    const model = emptySourceModel('http_json');
    Object.assign(model, {
      name: ' vendor-b ',
      remark: '',
      secrets: [secretEntry({ name: 'token', value: 's3cret' }), secretEntry()],
    });
    const settings = { base_url: 'https://v.example.com', auth: 'bearer' };
    expect(toSourceCreateBody(model, settings)).toEqual({
      name: 'vendor-b',
      adapter: 'http_json',
      settings,
      secrets: { token: 's3cret' },
      is_enabled: true,
      timeout_seconds: 30,
    });
    expect(neededSecret('http_json', settings)).toBe('token');
    expect(neededSecret('http_json', { auth: 'hmac' })).toBe('hmac_secret');
    expect(neededSecret('demo', {})).toBeNull();
  });

  it('never sends a stored secret it does not change; a new value replaces it, a removed one is null', () => {
    const original = source({ secret_names: ['token', 'old'] });
    const model = modelFromSource(original);
    expect(model.secrets.map((r) => [r.name, r.value, r.stored])).toEqual([
      ['token', '', true],
      ['old', '', true],
    ]);
    expect(
      toSourceUpdateBody(model, original, { auth: 'bearer', base_url: 'https://v.example.com' }),
    ).toEqual({}); // key order is no change
    model.secrets[0].value = 'rotated';
    model.secrets[1].remove = true;
    model.secrets.push(secretEntry({ name: 'extra', value: 'x' }));
    model.timeout_seconds = 60;
    model.remark = '主供应商';
    expect(toSourceUpdateBody(model, original, { ...original.settings, page_size: 100 })).toEqual({
      settings: { base_url: 'https://v.example.com', auth: 'bearer', page_size: 100 },
      secrets: { old: null, token: 'rotated', extra: 'x' },
      timeout_seconds: 60,
      remark: '主供应商',
    });
  });

  it("puts an adapter's 422 under the settings, naming the setting", () => {
    const error = new ApiError({
      status: 422,
      code: 'validation_failed',
      message: 'settings.base_url: must be an http:// or https:// URL with a host',
      details: [
        { field: 'settings.base_url', message: 'must be an http:// or https:// URL with a host' },
        { field: 'secrets', message: 'auth=bearer needs the secret token' },
        { field: null, message: 'something else' },
      ],
    });
    expect(mapSourceError(error)).toEqual({
      fields: {
        settings: 'base_url: must be an http:// or https:// URL with a host',
        secrets: 'auth=bearer needs the secret token',
      },
      general: ['something else'],
    });
    expect(
      mapSourceError(new ApiError({ status: 409, code: 'data_source_duplicate', message: 'taken' })),
    ).toEqual({ fields: {}, general: ['taken'] });
  });
});
