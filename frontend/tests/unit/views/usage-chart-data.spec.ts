import { describe, expect, it } from 'vitest';
import { getDailyUsage, type DailyUsage } from '@/api/usage';
import {
  addDays,
  daysOf,
  lastDays,
  monthToDate,
  presetOf,
  rangeProblem,
  spanDays,
  subscribedMetrics,
  usageChartData,
  usageRequests,
  usageTotals,
} from '@/views/customers/usage-chart-data';
import { chartValue, escapeHtml, tooltipHtml } from '@/utils/chart';
import { sumDecimals } from '@/utils/decimal';
import { mockTheApi } from '../helpers/mock-adapter';

const row = (usage_day: string, metric: string, quantity: string): DailyUsage => ({
  usage_day,
  metric,
  quantity,
});

describe('exact decimal sums', () => {
  it('adds decimal strings without binary floats', () => {
    expect(sumDecimals(['0.1', '0.2'])).toBe('0.3');
    expect(sumDecimals(['0.1', '0.2', '0.3'])).toBe('0.6');
    expect(sumDecimals(['1234.5000', '0.5'])).toBe('1235');
    expect(sumDecimals(['0.0001', '0'])).toBe('0.0001');
    expect(sumDecimals([])).toBe('0');
  });

  it('keeps every digit of large quantities', () => {
    // 9007199254740993 is not representable as a double
    expect(sumDecimals(['9007199254740992', '1'])).toBe('9007199254740993');
    expect(sumDecimals(['9999999999999999.9999', '0.0001'])).toBe('10000000000000000');
    expect(sumDecimals(['1234567890123456.7891', '1234567890123456.7891'])).toBe('2469135780246913.5782');
  });

  it('handles negatives, signs and short forms', () => {
    expect(sumDecimals(['-1.5', '0.25'])).toBe('-1.25');
    expect(sumDecimals(['-0.5', '0.5'])).toBe('0');
    expect(sumDecimals(['.5', '5.'])).toBe('5.5');
    expect(sumDecimals([' 2 ', '3'])).toBe('5');
  });

  it('refuses text that is not a decimal', () => {
    expect(() => sumDecimals(['abc', '1'])).toThrow(RangeError);
    expect(() => sumDecimals(['.', '1'])).toThrow(RangeError);
    expect(() => sumDecimals(['1e3'])).toThrow(RangeError);
  });
});

describe('days', () => {
  it('steps over month, year and leap-day ends', () => {
    expect(addDays('2026-01-31', 1)).toBe('2026-02-01');
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2026-01-01', -1)).toBe('2025-12-31');
    expect(addDays('2026-03-29', 0)).toBe('2026-03-29');
  });

  it('counts and lists the days of a range, both ends included', () => {
    expect(spanDays({ from: '2026-03-01', to: '2026-03-01' })).toBe(1);
    expect(spanDays({ from: '2026-01-01', to: '2026-12-31' })).toBe(365);
    expect(spanDays({ from: '2026-03-05', to: '2026-03-01' })).toBe(0);
    expect(daysOf({ from: '2026-02-27', to: '2026-03-02' })).toEqual([
      '2026-02-27',
      '2026-02-28',
      '2026-03-01',
      '2026-03-02',
    ]);
  });

  it('makes the presets and the month to date', () => {
    expect(lastDays(30, '2026-03-15')).toEqual({ from: '2026-02-14', to: '2026-03-15' });
    expect(lastDays(7, '2026-03-15')).toEqual({ from: '2026-03-09', to: '2026-03-15' });
    expect(spanDays(lastDays(90, '2026-03-15'))).toBe(90);
    expect(monthToDate('2026-03-15')).toEqual({ from: '2026-03-01', to: '2026-03-15' });
    expect(monthToDate('2026-03-01')).toEqual({ from: '2026-03-01', to: '2026-03-01' });
  });

  it('knows which preset a range is', () => {
    const presets = [7, 30, 90];
    expect(presetOf(lastDays(30, '2026-03-15'), '2026-03-15', presets)).toBe(30);
    expect(presetOf(lastDays(7, '2026-03-15'), '2026-03-15', presets)).toBe(7);
    expect(presetOf({ from: '2026-03-01', to: '2026-03-15' }, '2026-03-15', presets)).toBeNull();
    expect(presetOf(lastDays(30, '2026-03-14'), '2026-03-15', presets)).toBeNull();
  });

  it('checks a range against the API limit of 366 days', () => {
    expect(rangeProblem({ from: '2025-01-01', to: '2026-01-01' })).toBeNull(); // 366 days
    expect(rangeProblem({ from: '2025-01-01', to: '2026-01-02' })).toBe('tooLong');
    expect(rangeProblem({ from: '2026-01-02', to: '2026-01-01' })).toBe('reversed');
    expect(rangeProblem(null)).toBe('missing');
    expect(rangeProblem({ from: '', to: '2026-01-01' })).toBe('missing');
  });

  it('asks once when the chart and the month to date fit together, else twice', () => {
    const month = monthToDate('2026-03-15');
    expect(usageRequests(lastDays(30, '2026-03-15'), month)).toEqual([
      { from: '2026-02-14', to: '2026-03-15' },
    ]);
    expect(usageRequests(lastDays(7, '2026-03-15'), month)).toEqual([
      { from: '2026-03-01', to: '2026-03-15' },
    ]);
    const old = { from: '2024-01-01', to: '2024-01-31' };
    expect(usageRequests(old, month)).toEqual([old, month]);
  });
});

describe('chart data', () => {
  const range = { from: '2026-03-01', to: '2026-03-04' };

  it('makes a series per metric with every day of the range, missing days 0', () => {
    const data = usageChartData(
      [
        row('2026-03-02', 'sms', '12.5000'),
        row('2026-03-01', 'api_calls', '1000'),
        row('2026-03-04', 'api_calls', '0.1000'),
      ],
      range,
    );
    expect(data.days).toEqual(['2026-03-01', '2026-03-02', '2026-03-03', '2026-03-04']);
    expect(data.series).toEqual([
      { metric: 'api_calls', values: ['1000', '0', '0', '0.1'] },
      { metric: 'sms', values: ['0', '12.5', '0', '0'] },
    ]);
  });

  it('sums rows of the same day and metric, and leaves days outside the range out', () => {
    const data = usageChartData(
      [
        row('2026-03-01', 'sms', '0.1'),
        row('2026-03-01', 'sms', '0.2'),
        row('2026-02-28', 'sms', '99'),
        row('2026-03-05', 'api_calls', '7'),
      ],
      range,
    );
    expect(data.series).toEqual([{ metric: 'sms', values: ['0.3', '0', '0', '0'] }]);
  });

  it('orders the series by the given metrics first, then by code', () => {
    const items = [row('2026-03-01', 'a', '1'), row('2026-03-01', 'z', '1'), row('2026-03-01', 'm', '1')];
    expect(usageChartData(items, range, ['z', 'x']).series.map((s) => s.metric)).toEqual(['z', 'a', 'm']);
  });

  it('has no series without usage (the empty state), but keeps the days', () => {
    const data = usageChartData([], range);
    expect(data.series).toEqual([]);
    expect(data.days).toHaveLength(4);
    expect(usageChartData([row('2026-01-01', 'sms', '1')], range).series).toEqual([]);
  });

  it('gives the chart numbers, and 0 for anything unreadable', () => {
    expect(chartValue('1234.5000')).toBe(1234.5);
    expect(chartValue('0')).toBe(0);
    expect(chartValue('x')).toBe(0);
  });
});

describe('month-to-date totals', () => {
  const month = { from: '2026-03-01', to: '2026-03-15' };

  it('sums each metric exactly over the month only', () => {
    const items = [
      row('2026-02-28', 'api_calls', '1000000'),
      row('2026-03-01', 'api_calls', '0.1000'),
      row('2026-03-02', 'api_calls', '0.2000'),
      row('2026-03-15', 'sms', '12345678901234.5678'),
      row('2026-03-16', 'sms', '1'),
      row('2026-03-03', 'sms', '0.0002'),
    ];
    expect(usageTotals(items, month)).toEqual([
      { metric: 'api_calls', total: '0.3' },
      { metric: 'sms', total: '12345678901234.568' },
    ]);
  });

  it('lists the subscribed metrics first, with 0 when they have no usage', () => {
    expect(usageTotals([row('2026-03-02', 'api_calls', '5')], month, ['sms', 'api_calls'])).toEqual([
      { metric: 'sms', total: '0' },
      { metric: 'api_calls', total: '5' },
    ]);
    expect(usageTotals([], month)).toEqual([]);
  });
});

describe('subscribed metrics', () => {
  it('takes the metrics of subscriptions in force on some day of the range, once each', () => {
    const month = { from: '2026-03-01', to: '2026-03-15' };
    const subscriptions = [
      { metric: 'sms', effective_from: '2026-01-01', effective_to: null },
      { metric: 'api_calls', effective_from: '2026-01-01', effective_to: '2026-02-28' }, // ended
      { metric: 'api_calls', effective_from: '2026-03-10', effective_to: null },
      { metric: 'storage', effective_from: '2026-03-16', effective_to: null }, // upcoming
      { metric: 'sms', effective_from: '2025-01-01', effective_to: '2026-03-01' },
    ];
    expect(subscribedMetrics(subscriptions, month)).toEqual(['sms', 'api_calls']);
  });
});

describe('tooltip', () => {
  it('escapes the metric names (typed by users) and shows exact values', () => {
    expect(escapeHtml('<b>"A" & \'B\'</b>')).toBe('&lt;b&gt;&quot;A&quot; &amp; &#39;B&#39;&lt;/b&gt;');
    const html = tooltipHtml('2026-03-01', [
      { marker: '<span class="dot"></span>', name: '<img src=x onerror=alert(1)>', value: '1,234.5' },
    ]);
    expect(html).toContain('2026-03-01');
    expect(html).toContain('<span class="dot"></span>&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('<b>1,234.5</b>');
    expect(html).not.toContain('<img');
  });
});

describe('GET /usage-records/daily', () => {
  const mock = mockTheApi();

  it('asks for a customer and a range and keeps the quantities strings', async () => {
    mock.on('GET', '/usage-records/daily', {
      status: 200,
      data: { customer_id: 7, items: [row('2026-03-01', 'sms', '12.5000')] },
    });
    const answer = await getDailyUsage({ customer_id: 7, day_from: '2026-03-01', day_to: '2026-03-31' });
    expect(mock.callsTo('GET', '/usage-records/daily')[0].params).toEqual({
      customer_id: 7,
      day_from: '2026-03-01',
      day_to: '2026-03-31',
    });
    expect(answer.items[0].quantity).toBe('12.5000');
  });
});
