import { afterEach, describe, expect, it } from 'vitest';
import { CANNOT_SEND_REASONS, CONDITION_KINDS, FIRING_STATUSES, type AlertRulePublic } from '@/api/alerts';
import { setLocale, t } from '@/locale';
import {
  cannotSendText,
  emptyFiringFilters,
  emptyRuleModel,
  firingFilterParams,
  firingStatusLabel,
  KIND_PARAMS,
  kindLabel,
  paramsText,
  plainDecimal,
  ruleModel,
  ruleProblems,
  switchKind,
  thresholdLabel,
  toRuleCreate,
  toRuleUpdate,
} from '@/views/alerts/data';

function rule(overrides: Partial<AlertRulePublic> = {}): AlertRulePublic {
  return {
    id: 7,
    name: '通知积压',
    kind: 'notification_backlog',
    threshold: '50.0000',
    params: { older_than_minutes: 10, channel: null },
    channel_id: 3,
    channel_name: 'ops',
    template_code: 'alert.fired',
    target: '',
    quiet_minutes: 60,
    is_enabled: true,
    description: '',
    last_evaluated_at: null,
    cannot_send: null,
    created_at: '2026-12-01T00:00:00Z',
    updated_at: '2026-12-01T00:00:00Z',
    created_by: 'admin',
    updated_by: 'admin',
    ...overrides,
  };
}

afterEach(() => setLocale('zh-CN'));

describe.each(['zh-CN', 'en-US'] as const)('alert labels in %s', (locale) => {
  it('say every kind, threshold, status and reason a rule cannot send, never the key', () => {
    setLocale(locale);
    const texts = [
      ...CONDITION_KINDS.map(kindLabel),
      ...CONDITION_KINDS.map(thresholdLabel),
      ...FIRING_STATUSES.map(firingStatusLabel),
      ...CANNOT_SEND_REASONS.map(cannotSendText),
      ...['job', 'source', 'metric', 'channel', 'older_than_minutes'].map((p) => t(`alert.paramShort.${p}`)),
    ];
    for (const text of texts) {
      expect(text).not.toMatch(/^alert\./);
      expect(text.length).toBeGreaterThan(0);
    }
    expect(cannotSendText(null)).toBe('');
  });
});

describe('the rule form', () => {
  it('starts a new rule from the defaults of its kind and switches them with the kind', () => {
    const model = emptyRuleModel();
    expect([model.kind, model.threshold, model.quiet_minutes]).toEqual(['job_failed', '1', 60]);
    switchKind(model, 'usage_vs_average');
    expect([model.threshold, model.direction]).toEqual(['3', 'above']);
    switchKind(model, 'notification_backlog');
    expect([model.threshold, model.older_than_minutes]).toEqual(['50', 10]);
  });

  it('sends only the parameters the kind takes, blanks left out', () => {
    const model = { ...emptyRuleModel('usage_vs_average'), name: ' 用量骤降 ', threshold: '0.2' };
    model.direction = 'below';
    model.source = ' vendor-a ';
    model.job = 'not-for-this-kind';
    expect(toRuleCreate(model)).toEqual({
      name: '用量骤降',
      kind: 'usage_vs_average',
      threshold: '0.2',
      params: { direction: 'below', source: 'vendor-a' },
      channel_id: null,
      template_code: 'alert.fired',
      target: '',
      quiet_minutes: 60,
      description: '',
    });
    expect(
      Object.keys(toRuleCreate(model).params).every((p) => KIND_PARAMS.usage_vs_average.includes(p as never)),
    ).toBe(true);
  });

  it('edits send only what changed, the parameters whole', () => {
    const original = rule();
    const model = ruleModel(original);
    expect(model.threshold).toBe('50');
    expect(toRuleUpdate(model, original)).toEqual({});
    model.threshold = '80';
    model.older_than_minutes = 15;
    expect(toRuleUpdate(model, original)).toEqual({ threshold: '80', params: { older_than_minutes: 15 } });
    model.channel_id = undefined;
    expect(toRuleUpdate(model, original).channel_id).toBeNull();
  });

  it('checks the threshold against the kind before sending', () => {
    const problem = (
      kind: Parameters<typeof emptyRuleModel>[0],
      threshold: string,
      direction?: 'above' | 'below',
    ) => {
      const model = { ...emptyRuleModel(kind), name: 'r', threshold };
      if (direction) model.direction = direction;
      return ruleProblems(model).threshold?.key;
    };
    expect(problem('job_failed', '1')).toBeUndefined();
    expect(problem('job_failed', '1.5')).toBe('alert.rule.whole');
    expect(problem('job_failed', '0')).toBe('alert.rule.atLeast');
    expect(problem('channel_failing', '500')).toBe('alert.rule.atMost');
    expect(problem('notification_backlog', '-1')).toBe('alert.rule.decimal');
    expect(problem('usage_vs_average', '0.5', 'above')).toBe('alert.rule.aboveOne');
    expect(problem('usage_vs_average', '2', 'below')).toBe('alert.rule.belowOne');
    expect(problem('usage_vs_average', '0.2', 'below')).toBeUndefined();
    expect(ruleProblems({ ...emptyRuleModel(), name: ' ' }).name?.key).toBe('alert.rule.required');
  });
});

describe('lists', () => {
  it('say a rule’s parameters in a few words and thresholds as people write them', () => {
    setLocale('en-US');
    expect(paramsText(rule())).toBe('Waiting over (min): 10');
    expect(paramsText(rule({ kind: 'usage_vs_average', params: { direction: 'below', source: 'v' } }))).toBe(
      'Below · Source: v',
    );
    expect(paramsText(rule({ kind: 'invoice_run_failed', params: {} }))).toBe('-');
    expect([plainDecimal('50.0000'), plainDecimal('0.2000'), plainDecimal('3')]).toEqual(['50', '0.2', '3']);
  });

  it('turn the firings filters into the API parameters, blanks as null', () => {
    expect(firingFilterParams(emptyFiringFilters())).toEqual({
      rule_id: null,
      kind: null,
      status: null,
      subject: null,
      fired_from: null,
      fired_to: null,
    });
    const params = firingFilterParams({
      rule_id: 4,
      kind: 'job_failed',
      status: 'sent',
      subject: ' job:usage.pull_day ',
      fired: ['2026-12-01', '2026-12-02'],
    });
    expect([params.rule_id, params.kind, params.status, params.subject]).toEqual([
      4,
      'job_failed',
      'sent',
      'job:usage.pull_day',
    ]);
    expect(params.fired_from && params.fired_to && params.fired_from < params.fired_to).toBe(true);
  });
});
