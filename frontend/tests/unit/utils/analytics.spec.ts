import { afterEach, describe, expect, it } from 'vitest';
import { setLocale } from '@/locale';
import {
  bucketLabels,
  changeDirection,
  changeText,
  churnLevelLabel,
  churnLevelOptions,
  churnReasonText,
  creditFactorLabel,
  creditFactorValue,
  factorPercent,
  lifecycleOptions,
  movementLabel,
  ownCustomersOnly,
  tierLabel,
} from '@/utils/analytics';
import { axisTooltip, chartValue, csvCell, csvFile, toCsv } from '@/utils/chart';

afterEach(() => setLocale('zh-CN'));

describe('enum labels', () => {
  it('names tiers, lifecycles, churn levels, buckets, movements and credit factors in Chinese', () => {
    setLocale('zh-CN');
    expect(lifecycleOptions().map((o) => o.label)).toEqual([
      '新客户',
      '成长',
      '稳定',
      '下滑',
      '休眠',
      '已注销',
    ]);
    expect(churnLevelOptions().map((o) => o.label)).toEqual(['无', '关注', '高风险']);
    expect(bucketLabels()).toEqual([
      '未到期',
      '逾期 1–30 天',
      '逾期 31–60 天',
      '逾期 61–90 天',
      '逾期 90 天以上',
    ]);
    expect(['new', 'expansion', 'contraction', 'churned', 'reactivated'].map(movementLabel)).toEqual([
      '新增',
      '扩张',
      '收缩',
      '流失',
      '回流',
    ]);
    expect(['on_time', 'days_late', 'overdue', 'limit_use', 'tenure'].map(creditFactorLabel)).toEqual([
      '按时付款率',
      '平均逾期天数',
      '当前逾期',
      '信用额度占用',
      '合作时长',
    ]);
    expect(tierLabel('S')).toBe('S 档');
  });

  it('names them in English, keeps an unknown value as it is and shows a missing one as -', () => {
    setLocale('en-US');
    expect(churnLevelLabel('high')).toBe('High risk');
    expect(lifecycleOptions()[4].label).toBe('Dormant');
    expect(bucketLabels()[4]).toBe('90+ days');
    expect(tierLabel('B')).toBe('Tier B');
    expect(churnLevelLabel('extreme')).toBe('extreme');
    expect(churnLevelLabel(null)).toBe('-');
  });
});

describe('changes', () => {
  it('points up, down or nowhere and writes the size as the API gave it', () => {
    expect(changeDirection('25.0')).toBe('up');
    expect(changeDirection('-12.5')).toBe('down');
    expect(changeDirection('0.0')).toBe('flat');
    expect(changeDirection(null)).toBeNull();
    expect(changeText('25.0')).toBe('↑ 25.0%');
    expect(changeText('-12.5')).toBe('↓ 12.5%');
    expect(changeText('0.0')).toBe('0.0%');
    expect(changeText(null)).toBe('-');
    expect(changeText('n/a')).toBe('-');
  });
});

describe('churn reasons from code and value', () => {
  const reasons = [
    { code: 'usage_drop', value: '-62.0', message: 'usage −62% vs 3-month average' },
    { code: 'no_usage', value: '14', message: 'no usage for 14 days' },
    { code: 'overdue', value: '35', count: 1, message: '1 invoice overdue, the oldest 35 days' },
    { code: 'overdue', value: '40', count: 3, message: '3 invoices overdue, the oldest 40 days' },
    { code: 'suspended', value: null, message: 'account suspended' },
    {
      code: 'cheaper_plan',
      value: '-20.0',
      from_plan: 'PRO',
      to_plan: 'BASIC',
      message: 'moved from PRO to BASIC (−20.0% at recent usage)',
    },
  ];

  it('words them in Chinese', () => {
    setLocale('zh-CN');
    expect(reasons.map(churnReasonText)).toEqual([
      '用量较近 3 个月均值下降 62%',
      '近 14 天无用量',
      '1 张发票逾期 35 天',
      '3 张发票逾期，最长 40 天',
      '账号已暂停',
      '由 PRO 改用更便宜的 BASIC（按近期用量便宜 20%）',
    ]);
    expect(churnReasonText({ code: 'cheaper_plan', value: null })).toBe('改用了更便宜的计费方案');
  });

  it('words them in English, keeping decimals that matter', () => {
    setLocale('en-US');
    expect(churnReasonText(reasons[0])).toBe('usage −62% vs 3-month average');
    expect(churnReasonText({ code: 'usage_drop', value: '-37.5' })).toBe('usage −37.5% vs 3-month average');
    expect(churnReasonText(reasons[1])).toBe('no usage for 14 days');
    expect(churnReasonText(reasons[2])).toBe('1 invoice 35 days overdue');
    expect(churnReasonText(reasons[3])).toBe('3 invoices overdue, up to 40 days');
    // an answer without `count` still counts the invoices its English message names
    expect(
      churnReasonText({ code: 'overdue', value: '35', message: '2 invoices overdue, the oldest 35 days' }),
    ).toBe('2 invoices overdue, up to 35 days');
    expect(churnReasonText({ code: 'overdue', value: '9' })).toBe('an invoice 9 days overdue');
    expect(churnReasonText(reasons[5])).toBe('moved from PRO to BASIC (20% cheaper at recent usage)');
  });

  it("keeps the API's message for a reason this page does not know", () => {
    expect(churnReasonText({ code: 'new_reason', value: '1', message: 'something new' })).toBe(
      'something new',
    );
  });
});

describe('credit factors', () => {
  it('shows what each factor measured with its unit, and its share of the maximum', () => {
    setLocale('zh-CN');
    expect(creditFactorValue({ code: 'on_time', value: '83.3' })).toBe('83.3%');
    expect(creditFactorValue({ code: 'days_late', value: '3.50' })).toBe('3.5 天');
    expect(creditFactorValue({ code: 'limit_use', value: '40.0' })).toBe('40%');
    expect(creditFactorValue({ code: 'overdue', value: '35' })).toBe('35 天');
    expect(creditFactorValue({ code: 'tenure', value: '420' })).toBe('420 天');
    expect(creditFactorValue({ code: 'tenure', value: null })).toBe('-');
    expect(factorPercent({ points: 30, max_points: 35 })).toBe(86);
    expect(factorPercent({ points: 0, max_points: 0 })).toBe(0);
    expect(factorPercent({ points: 12, max_points: 10 })).toBe(100);
  });

  it('holds a user without analytics:all_owners to their own customers', () => {
    expect(ownCustomersOnly(['analytics:read', 'customers:read'])).toBe(true);
    expect(ownCustomersOnly(['analytics:read', 'analytics:all_owners'])).toBe(false);
    expect(ownCustomersOnly(null)).toBe(true);
  });
});

describe('chart helpers', () => {
  it('draws decimals as numbers and shows the exact texts in the tooltip, escaped', () => {
    expect(chartValue('1234.50')).toBe(1234.5);
    expect(chartValue(null)).toBe(0);
    expect(chartValue('x')).toBe(0);
    const html = axisTooltip(
      ['2026-01'],
      [['¥ 1,000.00'], ['<b>']],
    )([
      { seriesIndex: 0, dataIndex: 0, seriesName: 'A&B', marker: '' },
      { seriesIndex: 1, dataIndex: 0, seriesName: 'C', marker: '' },
    ]);
    expect(html).toContain('2026-01');
    expect(html).toContain('A&amp;B');
    expect(html).toContain('¥ 1,000.00');
    expect(html).toContain('&lt;b&gt;');
  });

  it('writes a table as CSV: quoted when needed, formulas defused, negative amounts kept', async () => {
    const table = {
      columns: [
        { key: 'name', title: '客户' },
        { key: 'amount', title: 'Amount, ¥', numeric: true },
      ],
      rows: [
        { name: '=HYPERLINK("x")', amount: '-1,234.50' },
        { name: 'a "b"', amount: 12 },
      ],
    };
    expect(toCsv(table)).toBe('客户,"Amount, ¥"\r\n"\'=HYPERLINK(""x"")","-1,234.50"\r\n"a ""b""",12\r\n');
    expect(csvCell('+86 123')).toBe("'+86 123");
    expect(csvCell('-12%')).toBe('-12%');
    const file = csvFile(table, 'aging');
    expect(file.filename).toBe('aging.csv');
    expect(file.blob.type).toContain('text/csv');
    const text = await file.blob.text();
    expect(text.endsWith(toCsv(table))).toBe(true);
  });
});
