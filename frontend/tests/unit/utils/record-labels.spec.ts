import { afterEach, describe, expect, it } from 'vitest';
import { setLocale, t } from '@/locale';
import { auditMessageText, recordFieldLabel, recordValueLabel } from '@/utils/record-labels';
import { changedFieldsSummary, formatChange } from '@/views/audit/data';

afterEach(() => setLocale('zh-CN'));

describe('fields of stored records', () => {
  it('are named in the UI language, a run counter by its label, an unknown one by its name', () => {
    setLocale('zh-CN');
    expect(recordFieldLabel('paid_amount')).toBe('已收金额');
    expect(recordFieldLabel('written')).toBe('写入');
    expect(recordFieldLabel('something_new')).toBe('something_new');
    setLocale('en-US');
    expect(recordFieldLabel('paid_amount')).toBe('Paid');
    expect(recordFieldLabel('customer_id')).toBe('Customer');
  });

  it("name the audit log's changed fields", () => {
    setLocale('zh-CN');
    expect(changedFieldsSummary({ before: { paid_amount: '0.00' }, after: { paid_amount: '10.00' } })).toBe(
      '已收金额',
    );
  });
});

describe('messages the system writes with a change', () => {
  it('are said in the UI language; a user reason inside one stays as written', () => {
    setLocale('zh-CN');
    expect(auditMessageText('issued by an invoice run')).toBe('由账单生成开出');
    expect(auditMessageText('allocation 7 reversed: 误核销')).toBe('核销 #7 已撤销：误核销');
    expect(auditMessageText('usage anomaly accepted')).toBe(
      `用量异常：${t('usage.anomaly.status.accepted')}`,
    );
    expect(auditMessageText('客户要求作废')).toBe('客户要求作废');
    expect(auditMessageText(null)).toBe('');
    setLocale('en-US');
    expect(auditMessageText('used by an invoice: frozen')).toBe('Used by an invoice: frozen');
    expect(auditMessageText('allocation 3 from payment 12')).toBe('Allocation #3 from payment #12');
  });
});

describe('stored values that are codes', () => {
  it('are named by the type of record and field, dictionary values by their label', () => {
    setLocale('zh-CN');
    expect(recordValueLabel('customer', 'status', 'prospect')).toBe('潜在');
    expect(recordValueLabel('usage_anomaly', 'kind', 'unknown_account')).toBe('未知账号');
    expect(recordValueLabel('customer', 'level', 'A')).toBe('A级');
    expect(recordValueLabel('customer', 'remark', 'prospect')).toBeNull();
    expect(recordValueLabel('customer', 'status', null)).toBeNull();
    setLocale('en-US');
    expect(recordValueLabel('customer', 'industry', 'healthcare')).toBe('Healthcare');
    expect(recordValueLabel('pricing_plan_version', 'mode', 'graduated')).toBe('Graduated tiers');
    expect(formatChange('notification_channel', 'kind', 'sms')).toBe('SMS');
  });
});
