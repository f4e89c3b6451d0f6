import { describe, expect, it } from 'vitest';
import { CUSTOMER_STATUSES } from '@/api/customers';
import {
  auditChanges,
  canMove,
  commonTargets,
  legalTargets,
  sortParam,
  STATUS_TRANSITIONS,
} from '@/views/customers/data';
import { customerStatusLabel } from '@/utils/status';
import {
  checkContractDates,
  checkCreditCode,
  checkCreditLimit,
  checkCustomerCode,
  checkEmail,
  checkPaymentTerms,
  checkPhone,
  creditCodeCheckChar,
  normalizePhone,
} from '@/views/customers/rules';
import { formatMoney, isValidMoney } from '@/utils/money';
import {
  emptyModel,
  modelFromCustomer,
  sameAmount,
  toCreateBody,
  toUpdateBody,
} from '@/views/customers/form-model';
import { customer } from '../helpers/fixtures';

describe('status machine (DESIGN §3: prospect → trial → active ⇄ suspended; any → closed except closed)', () => {
  it('offers exactly the legal targets of each status', () => {
    expect(legalTargets('prospect')).toEqual(['trial', 'closed']);
    expect(legalTargets('trial')).toEqual(['active', 'closed']);
    expect(legalTargets('active')).toEqual(['suspended', 'closed']);
    expect(legalTargets('suspended')).toEqual(['active', 'closed']);
    expect(legalTargets('closed')).toEqual([]);
    expect(legalTargets(null)).toEqual([]);
    expect(legalTargets('bogus')).toEqual([]);
  });

  it('never allows staying put, going back to prospect/trial, or leaving closed', () => {
    for (const from of CUSTOMER_STATUSES) {
      expect(canMove(from, from)).toBe(false);
      expect(canMove(from, 'prospect')).toBe(false);
      if (from !== 'prospect') expect(canMove(from, 'trial')).toBe(false);
      expect(canMove('closed', from)).toBe(false);
      if (from !== 'closed') expect(canMove(from, 'closed')).toBe(true);
    }
    // of the 20 moves between two different statuses exactly 8 are legal
    const legal = CUSTOMER_STATUSES.flatMap((from) => CUSTOMER_STATUSES.filter((to) => canMove(from, to)));
    expect(legal).toHaveLength(8);
  });

  it('offers a batch only the targets legal for every selected customer', () => {
    expect(commonTargets(['active', 'suspended'])).toEqual(['closed']);
    expect(commonTargets(['active', 'active'])).toEqual(['suspended', 'closed']);
    expect(commonTargets(['prospect', 'closed'])).toEqual([]);
    expect(commonTargets([])).toEqual([]);
  });

  it('labels statuses in Chinese by default', () => {
    expect(Object.keys(STATUS_TRANSITIONS)).toEqual([...CUSTOMER_STATUSES]);
    expect(CUSTOMER_STATUSES.map(customerStatusLabel)).toEqual(['潜在', '试用', '正常', '暂停', '注销']);
  });
});

describe('table helpers', () => {
  it('maps the sorter to the API sort parameter', () => {
    expect(sortParam('signed_at', 'ascend')).toBe('signed_at');
    expect(sortParam('signed_at', 'descend')).toBe('-signed_at');
    expect(sortParam('signed_at', '')).toBeNull();
  });

  it('lists the changed fields of an audit entry, not the bookkeeping ones', () => {
    expect(
      auditChanges({
        action: 'update',
        before: { level: 'A', updated_at: 'x', city: null },
        after: { level: 'S', updated_at: 'y', city: '上海', credit_limit: '1.00' },
      }),
    ).toEqual([
      { field: 'level', before: 'A', after: 'S' },
      { field: 'city', before: null, after: '上海' },
      { field: 'credit_limit', before: null, after: '1.00' },
    ]);
    expect(auditChanges({ action: 'create', before: null, after: { level: 'A' } })).toEqual([]);
  });
});

describe('client-side rules mirror the backend', () => {
  it('checks the GB 32100-2015 check digit', () => {
    expect(checkCreditCode('91350100M000100Y43')).toBeNull();
    expect(checkCreditCode(' 91350100m000100y43 ')).toBeNull(); // folded and upper-cased like the backend
    expect(checkCreditCode('91350100M000100Y44')).toBe('customer.rule.creditCodeCheck');
    expect(checkCreditCode('123')).toBe('customer.rule.creditCodeFormat');
    expect(checkCreditCode('91350100M000100Y4I')).toBe('customer.rule.creditCodeFormat'); // I is not in the charset
    expect(checkCreditCode('')).toBeNull();
    expect(creditCodeCheckChar('91350100M000100Y4')).toBe('3');
  });

  it('normalises phones like the backend and refuses the rest', () => {
    expect(normalizePhone('+86 138-0013-8000')).toBe('13800138000');
    expect(normalizePhone('（010）6552 9988')).toBe('01065529988');
    expect(normalizePhone('８６13800138000')).toBe('13800138000');
    expect(checkPhone('12')).toBe('customer.rule.phone');
    expect(checkPhone('')).toBeNull();
  });

  it('checks codes, e-mails, dates, terms and money', () => {
    expect(checkCustomerCode('Ｃ００１')).toBeNull(); // full-width folds to C001
    expect(checkCustomerCode('-C1')).toBe('customer.rule.code');
    expect(checkCustomerCode('')).toBe('customer.rule.required');
    expect(checkEmail('a@b.cn')).toBeNull();
    expect(checkEmail('ab.cn')).toBe('customer.rule.email');
    expect(checkContractDates('2024-03-05', '2024-03-04')).toBe('customer.rule.contractEnd');
    expect(checkContractDates('2024-03-05', '2024-03-05')).toBeNull();
    expect(checkPaymentTerms(0)).toBeNull();
    expect(checkPaymentTerms(3651)).toBe('customer.rule.paymentTerms');
    expect(checkCreditLimit('1,234.5')).toBeNull();
    expect(checkCreditLimit('-1')).toBe('customer.rule.moneyNegative');
    expect(checkCreditLimit('1.234')).toBe('customer.rule.money');
  });

  it('formats money strings without going through a float', () => {
    expect(formatMoney('12345678901234.56')).toBe('12,345,678,901,234.56');
    expect(formatMoney('1234.5')).toBe('1,234.50');
    expect(formatMoney('0')).toBe('0.00');
    expect(formatMoney(null)).toBe('-');
    expect(isValidMoney('9999999999999999.99')).toBe(true);
    expect(isValidMoney('1e5')).toBe(false);
  });
});

describe('form model → API bodies', () => {
  it('create: required fields, money as the typed string, blank optional fields left out', () => {
    const model = {
      ...emptyModel(),
      customer_code: ' C1 ',
      company_name: '甲公司',
      credit_limit: '1,000.5',
      contact_phone: '  ',
      city: '上海',
    };
    expect(toCreateBody(model)).toEqual({
      customer_code: 'C1',
      company_name: '甲公司',
      status: 'prospect',
      payment_terms_days: 30,
      credit_limit: '1000.5',
      city: '上海',
    });
  });

  it('update: only the changed fields; cleared fields become null; the same amount is not a change', () => {
    const original = customer({ city: '上海', credit_limit: '50000.00', level: 'A' });
    const model = { ...modelFromCustomer(original), city: '', credit_limit: '50000', level: 'S' };
    expect(toUpdateBody(model, original)).toEqual({ city: null, level: 'S' });
    expect(toUpdateBody({ ...model, credit_limit: '50000.01' }, original)).toMatchObject({
      credit_limit: '50000.01',
    });
    expect(sameAmount('0050.10', '50.1')).toBe(true);
  });
});
