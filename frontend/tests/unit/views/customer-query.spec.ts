import { describe, expect, it } from 'vitest';
import { customerFromQuery, customerQuery } from '@/utils/customer-query';

describe('a customer passed in the URL', () => {
  it('round-trips id and label', () => {
    const query = customerQuery({ id: 12, customer_code: 'C001', company_name: '上海某某有限公司' });
    expect(customerFromQuery(query as Record<string, string>)).toEqual({
      id: 12,
      label: 'C001 · 上海某某有限公司',
    });
  });

  it('ignores ids that are not positive integers', () => {
    for (const bad of ['', 'abc', '0', '-3', '1.5']) {
      expect(customerFromQuery({ customer_id: bad, customer: 'x' })).toEqual({ id: null, label: null });
    }
  });

  it('keeps the id without a label', () => {
    expect(customerFromQuery({ customer_id: '7' })).toEqual({ id: 7, label: null });
  });
});
