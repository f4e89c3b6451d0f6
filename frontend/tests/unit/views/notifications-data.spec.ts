import { describe, expect, it } from 'vitest';
import {
  ATTEMPT_OUTCOMES,
  CHANNEL_HEALTH_STATUSES,
  MOVE_ON_REASONS,
  notificationQuery,
  type AttemptPublic,
  type ChannelPublic,
  type TemplatePublic,
} from '@/api/notifications';
import { setLocale, t } from '@/locale';
import {
  attemptOutcomeLabel,
  attemptRows,
  channelHealthLabel,
  channelHealthResult,
  fallbackOptions,
  moveFallback,
  moveOnLabel,
  routeText,
  canResend,
  channelErrorField,
  channelModel,
  channelProblems,
  channelSettings,
  emptyChannelModel,
  emptyNotificationFilters,
  emptyTemplateModel,
  notificationFilterParams,
  sampleForm,
  sampleValues,
  subjectRoute,
  switchKind,
  templateModel,
  templateProblems,
  toChannelCreate,
  toChannelUpdate,
  toTemplateCreate,
  toTemplateUpdate,
  undeclaredVariables,
  usedVariables,
} from '@/views/notifications/data';

function channel(overrides: Partial<ChannelPublic> = {}): ChannelPublic {
  return {
    id: 4,
    name: 'mail',
    kind: 'email',
    settings: {
      host: 'smtp.example.com',
      port: 25,
      security: 'none',
      from_address: 'billing@example.com',
      helo: 'opcms',
    },
    secret_names: ['username', 'password'],
    secrets_readable: true,
    is_enabled: true,
    rate_per_minute: 60,
    max_attempts: 5,
    remark: null,
    health_status: 'unknown',
    health_checked_at: null,
    health_error: null,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    created_by: 'admin',
    updated_by: 'admin',
    ...overrides,
  };
}

function template(overrides: Partial<TemplatePublic> = {}): TemplatePublic {
  return {
    id: 2,
    code: 'invoice.overdue',
    name: '逾期提醒',
    channel_id: 4,
    channel_name: 'mail',
    title: '账单 {{ number }} 已逾期',
    body: '您好 {{ customer_name }}',
    variables: ['number', 'customer_name'],
    fallback_channel_ids: [],
    fallback_channel_names: [],
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    created_by: null,
    updated_by: null,
    ...overrides,
  };
}

describe('notifications list', () => {
  it('sends only the known, non-blank filters; a subject id that is not a number is left out', () => {
    const params = notificationFilterParams({
      ...emptyNotificationFilters(),
      status: 'dead',
      target: ' a@b.c ',
      subject_type: 'invoice',
      subject_id: '12',
    });
    expect(params).toMatchObject({
      status: 'dead',
      target: 'a@b.c',
      subject_type: 'invoice',
      subject_id: 12,
      created_from: null,
    });
    expect(
      notificationFilterParams({ ...emptyNotificationFilters(), subject_id: '12a' }).subject_id,
    ).toBeNull();
    expect(notificationQuery({ ...params, page: 1, page_size: 20 })).toEqual({
      status: 'dead',
      target: 'a@b.c',
      subject_type: 'invoice',
      subject_id: 12,
      page: 1,
      page_size: 20,
    });
  });

  it('resends only failed or dead messages and links what a message is about', () => {
    expect(canResend({ status: 'dead' })).toBe(true);
    expect(canResend({ status: 'failed' })).toBe(true);
    expect(canResend({ status: 'sent' })).toBe(false);
    expect(canResend({ status: 'pending' })).toBe(false);
    expect(subjectRoute({ subject_type: 'invoice', subject_id: 12 })).toEqual({
      name: 'invoice-detail',
      params: { id: 12 },
    });
    expect(subjectRoute({ subject_type: 'customer', subject_id: 3 })).toEqual({
      name: 'customer-detail',
      params: { id: 3 },
    });
    expect(subjectRoute({ subject_type: 'thing', subject_id: 3 })).toBeNull();
    expect(subjectRoute({ subject_type: null, subject_id: null })).toBeNull();
  });
});

describe('channel form', () => {
  it('a new SMS channel: the logging provider by default, no secrets needed', () => {
    const model = emptyChannelModel('sms');
    model.name = ' sms-log ';
    expect(channelProblems(model, true)).toEqual({});
    expect(toChannelCreate(model)).toEqual({
      name: 'sms-log',
      kind: 'sms',
      settings: { provider: 'logging' },
      secrets: {},
      is_enabled: true,
      rate_per_minute: 60,
      max_attempts: 5,
    });
    model.settings.sign_name = ' OPCMS ';
    model.rate_per_minute = null;
    expect(toChannelCreate(model)).toMatchObject({
      settings: { provider: 'logging', sign_name: 'OPCMS' },
      rate_per_minute: null,
    });
  });

  it("a new channel needs its kind's required settings and secrets; the group bot starts at 20 a minute", () => {
    const model = emptyChannelModel('sms');
    switchKind(model, 'wecom_bot');
    expect(model.rate_per_minute).toBe(20);
    expect(model.secrets.map((s) => s.name)).toEqual(['webhook_url']);
    model.name = 'bot';
    expect(Object.keys(channelProblems(model, true))).toEqual(['secret.webhook_url']);
    switchKind(model, 'email');
    // an SMTP server may need no login: username and password are optional
    expect(Object.keys(channelProblems(model, true)).sort()).toEqual([
      'setting.from_address',
      'setting.host',
    ]);
    switchKind(model, 'wecom_app');
    model.settings.agent_id = '1.5';
    expect(Object.keys(channelProblems(model, true)).sort()).toEqual([
      'secret.corp_secret',
      'setting.agent_id',
      'setting.corp_id',
    ]);
    model.rate_per_minute = null; // no limit
    expect(channelProblems(model, true).rate_per_minute).toBeUndefined();
  });

  it('editing: secrets show which are set, a blank one is kept, a typed one replaces it, a removed one is null; other settings keys are kept', () => {
    const original = channel();
    const model = channelModel(original);
    expect(model.secrets).toEqual([
      { key: expect.any(Number), name: 'username', value: '', stored: true, remove: false },
      { key: expect.any(Number), name: 'password', value: '', stored: true, remove: false },
    ]);
    expect(channelProblems(model, false)).toEqual({});
    expect(toChannelUpdate(model, original)).toEqual({});
    model.secrets[1].value = 'new-password';
    model.secrets[0].remove = true;
    model.settings.port = 587;
    model.settings.security = 'starttls';
    model.settings.timeout_seconds = 2.5;
    model.is_enabled = false;
    model.rate_per_minute = null;
    expect(toChannelUpdate(model, original)).toEqual({
      settings: {
        host: 'smtp.example.com',
        port: 587,
        security: 'starttls',
        from_address: 'billing@example.com',
        timeout_seconds: 2.5,
        helo: 'opcms',
      },
      secrets: { password: 'new-password', username: null },
      is_enabled: false,
      rate_per_minute: null,
    });
    expect(channelSettings(model, original)).toHaveProperty('helo', 'opcms');
  });

  it('puts a backend error under the setting or secret it names', () => {
    expect(channelErrorField('settings.host')).toBe('setting.host');
    expect(channelErrorField('body.secrets.password')).toBe('secret.password');
    expect(channelErrorField('rate_per_minute')).toBe('rate_per_minute');
    expect(channelErrorField('something')).toBeNull();
  });
});

describe('template form', () => {
  it('finds the variables a Jinja2 text reads, not the loop variables', () => {
    expect(
      usedVariables(
        '{{ number }} {{- customer.name | upper }}',
        '{% if overdue %}{% for line in lines %}{{ line.amount }}{{ loop.index }}{% endfor %}{% endif %}',
      ),
    ).toEqual(['customer', 'lines', 'number', 'overdue']);
    expect(undeclaredVariables({ title: '{{ a }}', body: '{{ b }} {{ c }}', variables: ['a', 'c'] })).toEqual(
      ['b'],
    );
  });

  it('refuses a blank code or name, a bad variable name and an undeclared variable', () => {
    const model = emptyTemplateModel();
    expect(Object.keys(templateProblems(model, true)).sort()).toEqual(['body', 'code', 'name']);
    Object.assign(model, { code: 'invoice.overdue', name: '逾期', body: '{{ amount }}', variables: [] });
    expect(templateProblems(model, true).variables).toEqual({
      key: 'notification.rule.undeclared',
      params: { names: 'amount' },
    });
    model.variables = ['amount', '1bad'];
    expect(templateProblems(model, true).variables?.key).toBe('notification.rule.variableName');
    model.variables = ['amount'];
    expect(templateProblems(model, true)).toEqual({});
    expect(toTemplateCreate(model)).toEqual({
      code: 'invoice.overdue',
      name: '逾期',
      channel_id: null,
      title: '',
      body: '{{ amount }}',
      variables: ['amount'],
      fallback_channel_ids: [],
    });
  });

  it('sends only what changed on an edit', () => {
    const original = template();
    const model = templateModel(original);
    expect(toTemplateUpdate(model, original)).toEqual({});
    model.body = '您好 {{ customer_name }}，请尽快付款';
    model.channel_id = undefined;
    model.variables = ['number', 'customer_name', 'number'];
    expect(toTemplateUpdate(model, original)).toEqual({
      body: '您好 {{ customer_name }}，请尽快付款',
      channel_id: null,
    });
  });

  it('reads sample values as text, or JSON when they look like it', () => {
    expect(sampleValues({ a: '12', b: '[1, 2]', c: '{"x": 1}', d: '[not json' })).toEqual({
      a: '12',
      b: [1, 2],
      c: { x: 1 },
      d: '[not json',
    });
  });

  it('sends each sample as its kind: a whole number as a number, an amount and a date as text', () => {
    const kinds = { days_overdue: 'integer', total: 'money', due_date: 'date', by_level: 'list' } as const;
    expect(
      sampleValues(
        { days_overdue: ' 35 ', total: '1100.10', due_date: '2026-11-15', by_level: '[]', stage: '7' },
        kinds,
      ),
    ).toEqual({ days_overdue: 35, total: '1100.10', due_date: '2026-11-15', by_level: [], stage: '7' });
    // not a whole number, or past a safe integer: sent as typed, for the backend to name
    expect(sampleValues({ days_overdue: '3.5' }, kinds)).toEqual({ days_overdue: '3.5' });
    expect(sampleValues({ days_overdue: '90071992547409930' }, kinds)).toEqual({
      days_overdue: '90071992547409930',
    });
  });

  it("fills the form with the template's samples", () => {
    const form = sampleForm({
      variables: ['days_overdue', 'total', 'by_level', 'custom'],
      samples: [
        { name: 'days_overdue', kind: 'integer', sample: 7 },
        { name: 'total', kind: 'money', sample: '1100.00' },
        { name: 'by_level', kind: 'list', sample: [{ level: 'A', invoices: 2, total: '2200.00' }] },
        { name: 'custom', kind: 'text', sample: '' },
      ],
    });
    expect(form).toEqual({
      days_overdue: '7',
      total: '1100.00',
      by_level: '[{"level":"A","invoices":2,"total":"2200.00"}]',
      custom: '',
    });
    expect(sampleForm({ variables: ['x'] })).toEqual({ x: '' });
  });
});

describe('failover', () => {
  function attempt(overrides: Partial<AttemptPublic>): AttemptPublic {
    return {
      id: 1,
      channel_id: 1,
      channel_name: 'ops-app',
      target: 'zhangsan',
      attempt: 1,
      hop: 0,
      started_at: '2026-12-03T01:00:00Z',
      finished_at: '2026-12-03T01:00:01Z',
      outcome: 'sent',
      error: null,
      provider_reference: null,
      moved_on: null,
      ...overrides,
    };
  }

  it('offers every channel but the default for the chain, and moves one up or down in it', () => {
    const channels = [
      channel({ id: 1, name: 'app', kind: 'wecom_app' }),
      channel({ id: 4 }),
      channel({ id: 7, name: 'sms', kind: 'sms', is_enabled: false }),
    ];
    expect(fallbackOptions(channels, 1).map((o) => o.value)).toEqual([4, 7]);
    expect(fallbackOptions(channels, undefined).map((o) => o.value)).toEqual([1, 4, 7]);
    expect(moveFallback([4, 7, 9], 2, -1)).toEqual([4, 9, 7]);
    expect(moveFallback([4, 7, 9], 0, 1)).toEqual([7, 4, 9]);
    // at an end: unchanged
    expect(moveFallback([4, 7], 0, -1)).toEqual([4, 7]);
    expect(moveFallback([4, 7], 1, 1)).toEqual([4, 7]);
  });

  it('refuses a chain naming the default channel, a repeat, or too many channels', () => {
    const base = { ...templateModel(template()), channel_id: 4 };
    expect(
      templateProblems({ ...base, fallback_channel_ids: [7, 9] }, false).fallback_channel_ids,
    ).toBeUndefined();
    expect(templateProblems({ ...base, fallback_channel_ids: [7, 4] }, false).fallback_channel_ids?.key).toBe(
      'notification.rule.fallbackIsDefault',
    );
    expect(templateProblems({ ...base, fallback_channel_ids: [7, 7] }, false).fallback_channel_ids?.key).toBe(
      'notification.rule.fallbackRepeated',
    );
    expect(
      templateProblems({ ...base, fallback_channel_ids: [1, 2, 3, 5, 6, 7] }, false).fallback_channel_ids
        ?.key,
    ).toBe('notification.rule.fallbackTooLong');
  });

  it('sends the chain in its order on create, and on edit only when it changed', () => {
    const original = template({ fallback_channel_ids: [7, 9], fallback_channel_names: ['sms', 'bot'] });
    const model = templateModel(original);
    expect(model.fallback_channel_ids).toEqual([7, 9]);
    expect(toTemplateUpdate(model, original)).toEqual({});
    model.fallback_channel_ids = moveFallback(model.fallback_channel_ids, 1, -1);
    expect(toTemplateUpdate(model, original)).toEqual({ fallback_channel_ids: [9, 7] });
    model.fallback_channel_ids = [];
    expect(toTemplateUpdate(model, original)).toEqual({ fallback_channel_ids: [] });
    expect(
      toTemplateCreate({
        ...emptyTemplateModel(),
        code: 'x',
        name: 'x',
        body: 'b',
        fallback_channel_ids: [3, 1],
      }).fallback_channel_ids,
    ).toEqual([3, 1]);
  });

  it('shows the attempt history oldest first, passed-over channels without a number, why it moved on in words', () => {
    setLocale('en-US');
    const rows = attemptRows(
      {
        history: [
          attempt({ id: 12, channel_id: 4, channel_name: null, target: 'a@b.cn', outcome: 'sent' }),
          attempt({
            id: 10,
            outcome: 'skipped',
            attempt: 0,
            error: "channel 'ops-app' is disabled",
            moved_on: 'channel_disabled',
          }),
          attempt({
            id: 11,
            channel_id: 9,
            channel_name: null,
            target: '',
            outcome: 'failed',
            attempt: 2,
            error: 'HTTP 500',
            moved_on: 'attempts_exhausted',
          }),
        ],
      },
      [channel({ id: 4, name: 'mail' })],
    );
    expect(rows.map((r) => [r.id, r.channel, r.target, r.attempt, r.outcome, r.error, r.movedOn])).toEqual([
      [
        10,
        'ops-app',
        'zhangsan',
        '-',
        'skipped',
        "channel 'ops-app' is disabled",
        'Channel disabled: moved on to the next',
      ],
      [11, '#9', '-', '2', 'failed', 'HTTP 500', 'Attempts on this channel used up: moved on to the next'],
      [12, 'mail', 'a@b.cn', '1', 'sent', '', ''],
    ]);
    expect(
      routeText({
        route: [
          { channel_id: 1, channel_name: 'ops-app', target: 'zhangsan' },
          { channel_id: 2, channel_name: 'ops-bot', target: '' },
          { channel_id: 3, channel_name: 'ops-sms', target: null },
        ],
      }),
    ).toBe('ops-app (zhangsan) → ops-bot → ops-sms (no target)');
  });

  it('shows stored health as a dot only once checked', () => {
    expect(channelHealthResult(channel())).toBeUndefined();
    expect(
      channelHealthResult(channel({ health_status: 'unhealthy', health_error: 'SMTP: refused' })),
    ).toEqual({
      ok: false,
      detail: 'SMTP: refused',
    });
    expect(channelHealthResult(channel({ health_status: 'healthy' }))?.ok).toBe(true);
  });

  it('has a label in both languages for every health status, outcome and reason', () => {
    for (const locale of ['zh-CN', 'en-US'] as const) {
      setLocale(locale);
      const labels = [
        ...CHANNEL_HEALTH_STATUSES.map((s) => [`notification.health.${s}`, channelHealthLabel(s)]),
        ...ATTEMPT_OUTCOMES.map((o) => [`notification.outcome.${o}`, attemptOutcomeLabel(o)]),
        ...MOVE_ON_REASONS.map((r) => [`notification.moveOn.${r}`, moveOnLabel(r)]),
      ];
      for (const [key, label] of labels) expect(label, key).not.toBe(key);
    }
    setLocale('zh-CN');
    expect(t('notification.channel.checkNow')).toBe('立即检查');
  });
});
