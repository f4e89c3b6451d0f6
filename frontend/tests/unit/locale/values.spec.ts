/**
 * One language at a time: every value the backend sends as a code (statuses, methods, kinds,
 * modes, job names, counters…) has a label in both languages — Chinese in Chinese, no Chinese in
 * English, never the code itself or a message key — and the two message tables have the same keys.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CUSTOMER_STATUSES, BATCH_ACTIONS } from '@/api/customers';
import { INVOICE_STATUSES } from '@/api/billing';
import { PAYMENT_METHODS, PAYMENT_STATUSES, SUGGESTION_KINDS } from '@/api/payments';
import { PRICING_MODES } from '@/api/pricing';
import { ROLES } from '@/api/auth';
import { CHANNEL_KINDS, NOTIFICATION_STATUSES, PRIORITIES } from '@/api/notifications';
import { IMPORT_MODES, type ImportStage, type ImportStatus } from '@/api/imports';
import { EXECUTION_STATUSES, KNOWN_JOBS, TRIGGERS } from '@/api/jobs';
import { ANOMALY_KINDS, ANOMALY_STATUSES } from '@/api/usage';
import { AUDIT_ACTIONS, AUDIT_ENTITY_TYPES } from '@/api/audit';
import { DELETED_KINDS } from '@/api/deleted';
import { setLocale, t, type LocaleCode } from '@/locale';
import zhCN from '@/locale/zh-CN';
import enUS from '@/locale/en-US';
import valuesZhCN from '@/locale/values/zh-CN';
import valuesEnUS from '@/locale/values/en-US';
import {
  customerStatusLabel,
  invoiceStatusLabel,
  paymentMethodLabel,
  paymentStatusLabel,
} from '@/utils/status';
import { counterLabel, executionStatusLabel } from '@/utils/executions';
import { parametersText } from '@/utils/json';
import { modeLabel as pricingModeLabel } from '@/views/pricing/data';
import { channelKindLabel, notificationStatusLabel, priorityLabel } from '@/views/notifications/data';
import { importStatusLabel, modeLabel as importModeLabel, stageLabel } from '@/views/imports/data';
import {
  fieldLabel,
  jobDescription,
  jobLabel,
  scheduleDescription,
  statusReasonText,
  triggerLabel,
} from '@/views/jobs/data';
import { anomalyDetail, anomalyKindLabel, anomalyStatusLabel } from '@/views/usage/data';
import { actionLabel, entityTypeLabel } from '@/views/audit/data';
import { kindLabel as deletedKindLabel } from '@/views/deleted/data';
import {
  DEFAULT_INDUSTRY_ENTRIES,
  DEFAULT_LEVEL_ENTRIES,
  dictionaryLabel,
  dictionaryOptions,
} from '@/composables/useCustomerOptions';
import type { DictionaryEntryPublic } from '@/api/customers';

const CJK = /[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]/;
const MESSAGE_KEY = /^[a-z][a-zA-Z]*(\.[a-zA-Z_-]+)+$/;

/** Every counter a job of the backend writes (jobs/recorder, billing/run, reminders, automation, scores). */
const COUNTERS = [
  'sources',
  'sources_failed',
  'processed',
  'succeeded',
  'failed',
  'skipped',
  'records',
  'received',
  'written',
  'anomalies',
  'alerts',
  'retries',
  'honoured_reviews',
  'no_charge',
  'suspended',
  'reactivated',
  'notifications',
  'already_sent',
  'no_recipient',
  'customers',
  'churn_high',
  'churn_watch',
];

/** Jobs the executions list shows besides the ones run from the UI. */
const OTHER_TASKS = ['usage.upload', 'billing.run_chunk'];

/** The parameters the jobs of the backend take (their schemas) and the upload records. */
const PARAMETERS = [
  'day',
  'first_day',
  'last_day',
  'source',
  'period',
  'customer_id',
  'issue_date',
  'chunk_size',
  'stages',
  'suspend_after_days',
  'file_name',
  'stored_name',
];

const IMPORT_STATUSES: ImportStatus[] = ['pending', 'running', 'succeeded', 'failed'];
const IMPORT_STAGES: ImportStage[] = ['queued', 'reading', 'writing', 'done'];

/** Each list of values with the function that labels it. */
const LISTS: [string, readonly string[], (value: string) => string][] = [
  ['customer status', CUSTOMER_STATUSES, customerStatusLabel],
  ['customer batch action', BATCH_ACTIONS, (v) => t(`customer.batch.${v}`)],
  ['invoice status', INVOICE_STATUSES, invoiceStatusLabel],
  ['payment status', PAYMENT_STATUSES, paymentStatusLabel],
  ['payment method', PAYMENT_METHODS, paymentMethodLabel],
  ['suggestion kind', SUGGESTION_KINDS, (v) => t(`payment.suggest.kind.${v}`)],
  ['pricing mode', PRICING_MODES, pricingModeLabel],
  ['role', ROLES, (v) => t(`role.${v}`)],
  ['channel kind', CHANNEL_KINDS, channelKindLabel],
  ['notification status', NOTIFICATION_STATUSES, notificationStatusLabel],
  ['priority', PRIORITIES, priorityLabel],
  ['import mode', IMPORT_MODES, importModeLabel],
  ['import status', IMPORT_STATUSES, importStatusLabel],
  ['import stage', IMPORT_STAGES, stageLabel],
  ['execution status', EXECUTION_STATUSES, executionStatusLabel],
  ['trigger', TRIGGERS, triggerLabel],
  ['job', [...KNOWN_JOBS, ...OTHER_TASKS], (v) => jobLabel(v)],
  ['job description', [...KNOWN_JOBS, ...OTHER_TASKS], (v) => jobDescription(v, v)],
  ['counter', COUNTERS, counterLabel],
  ['job parameter', PARAMETERS, fieldLabel],
  ['anomaly kind', ANOMALY_KINDS, anomalyKindLabel],
  ['anomaly status', ANOMALY_STATUSES, anomalyStatusLabel],
  ['audit action', AUDIT_ACTIONS, actionLabel],
  ['audit entity type', AUDIT_ENTITY_TYPES, entityTypeLabel],
  ['deleted kind', DELETED_KINDS, (v) => deletedKindLabel(v as (typeof DELETED_KINDS)[number])],
];

afterEach(() => setLocale('zh-CN'));

describe.each<LocaleCode>(['zh-CN', 'en-US'])('labels in %s', (locale) => {
  it.each(LISTS)('every %s has a label in the language', (_name, values, label) => {
    setLocale(locale);
    for (const value of values) {
      const text = label(value);
      // an English label may be the value when the value is a plain word ("pending"), never a code
      if (locale === 'zh-CN' || /[_.]/.test(value)) expect(text, `${value}`).not.toBe(value);
      expect(text, `${value}`).not.toMatch(MESSAGE_KEY);
      expect(text, `${value}`).not.toMatch(/\b[a-z]+_[a-z_]+\b/);
      if (locale === 'zh-CN') expect(text, `${value}`).toMatch(CJK);
      else expect(text, `${value}`).not.toMatch(CJK);
    }
  });
});

describe('the message tables', () => {
  it('have the same keys in both languages, none empty', () => {
    expect(Object.keys(enUS).sort()).toEqual(Object.keys(zhCN).sort());
    expect(Object.keys(valuesEnUS).sort()).toEqual(Object.keys(valuesZhCN).sort());
    for (const [key, text] of Object.entries(zhCN)) expect(text, key).not.toBe('');
    for (const [key, text] of Object.entries(enUS)) expect(text, key).not.toBe('');
  });

  it('say English in English: no Chinese in an English message but the name of the language', () => {
    const chinese = Object.entries(enUS).filter(
      ([key, text]) => CJK.test(text) && key !== 'navbar.switchLocale',
    );
    expect(chinese).toEqual([]);
  });
});

describe('values the backend sends as text', () => {
  it('a schedule seeded with an English description is described in the UI language', () => {
    const seeded = {
      name: 'invoice-run-monthly',
      task_name: 'billing.run_period',
      description: "last month's invoices",
    };
    setLocale('zh-CN');
    expect(scheduleDescription(seeded)).toBe('上个月的账单，在拉取完其最后一天的用量之后');
    setLocale('en-US');
    expect(scheduleDescription(seeded)).toBe("Last month's invoices, after the pull of its last day");
    // a schedule an admin added keeps its own text
    expect(
      scheduleDescription({ name: 'mine', task_name: 'billing.run_period', description: '我的计划' }),
    ).toBe('我的计划');
  });

  it('a job we do not know keeps the backend description', () => {
    setLocale('zh-CN');
    expect(jobDescription('other.job', 'does other things')).toBe('does other things');
    expect(jobDescription('usage.pull_day', 'pull the usage')).toMatch(CJK);
  });

  it("an execution's status reason is read back in the UI language", () => {
    setLocale('zh-CN');
    expect(statusReasonText('run #12 of the same job with the same parameters is running')).toBe(
      '同一任务、同样参数的运行 #12 正在进行',
    );
    expect(statusReasonText('cancelled by admin: 重复提交')).toBe('由 admin 取消：重复提交');
    expect(statusReasonText('no heartbeat since 2026-03-01 02:00:00 UTC (worker lost)')).toBe(
      '自 2026-03-01 02:00:00 UTC 起没有心跳（执行进程丢失）',
    );
    expect(statusReasonText('something new')).toBe('something new');
    setLocale('en-US');
    expect(statusReasonText('cancelled by admin: wrong period')).toBe('Cancelled by admin: wrong period');
  });

  it("an anomaly's reason is said from its kind and row, a spike's figures read from the detail", () => {
    const row = {
      external_account: 'acct-9',
      metric_code: 'api_calls',
      raw_day: '2026-03-05',
      raw_quantity: '-5',
    };
    setLocale('zh-CN');
    expect(
      anomalyDetail({ ...row, kind: 'unknown_account', detail: "no customer is mapped to account 'acct-9'" }),
    ).toBe('没有客户映射到账号 acct-9');
    expect(anomalyDetail({ ...row, kind: 'negative_quantity', detail: 'negative quantity -5' })).toBe(
      '数量为负：-5',
    );
    expect(
      anomalyDetail({
        ...row,
        kind: 'spike',
        detail: '12000 > 10 × trailing average 100.0000',
        raw_quantity: '12000',
      }),
    ).toBe('12000 超过近期日均 100.0000 的 10 倍');
    expect(
      anomalyDetail({
        ...row,
        kind: 'day_outside_request',
        detail: "day '2026-03-05' outside the request (2026-03-01)",
      }),
    ).toBe('日期 2026-03-05 不在请求的范围（2026-03-01）内');
    setLocale('en-US');
    expect(anomalyDetail({ ...row, kind: 'unknown_metric', detail: "no active metric 'api_calls'" })).toBe(
      'No active metric api_calls',
    );
  });

  it('parameters are named in the UI language', () => {
    setLocale('zh-CN');
    expect(parametersText({ period: '2026-03', chunk_size: 200 }, fieldLabel)).toBe(
      '账期=2026-03, 每批客户数=200',
    );
    setLocale('en-US');
    expect(parametersText({ period: '2026-03', unknown_one: 1 }, fieldLabel)).toBe(
      'Period=2026-03, unknown_one=1',
    );
  });
});

describe('dictionary values', () => {
  const entry = (code: string, label: string, label_en: string, sort_order = 0): DictionaryEntryPublic => ({
    id: sort_order + 1,
    kind: 'industry',
    code,
    label,
    label_en,
    synonyms: [],
    sort_order,
    is_active: true,
  });

  it('show the label of the chosen language, the Chinese one when there is no English one', () => {
    const entries = [entry('energy', '能源', 'Energy', 0), entry('mining', '矿业', '', 1)];
    expect(dictionaryOptions(entries, 'zh-CN')).toEqual([
      { value: 'energy', label: '能源' },
      { value: 'mining', label: '矿业' },
    ]);
    expect(dictionaryOptions(entries, 'en-US')).toEqual([
      { value: 'energy', label: 'Energy' },
      { value: 'mining', label: '矿业' },
    ]);
  });

  it('seeded lists have both labels, as the backend seeds them', () => {
    for (const seeded of [...DEFAULT_LEVEL_ENTRIES, ...DEFAULT_INDUSTRY_ENTRIES]) {
      expect(dictionaryLabel(seeded, 'zh-CN')).toMatch(CJK);
      expect(dictionaryLabel(seeded, 'en-US')).not.toMatch(CJK);
    }
  });
});
