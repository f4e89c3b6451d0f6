import { describe, expect, it } from 'vitest';
import { compareMoney, fromCents, isAmount, subtractMoney, sumMoney, toCents } from '@/utils/money';
import {
  amountRangeProblem,
  creditNoteProblems,
  emptyInvoiceFilters,
  invoiceFilterParams,
  previousPeriod,
  runPeriod,
} from '@/views/invoices/data';
import { overdueText } from '@/utils/status';
import {
  activeAllocated,
  allocationIsValid,
  checkAllocation,
  draftFor,
  draftsFromSuggestion,
  emptyPaymentFilters,
  groupSuggestions,
  paymentFilterParams,
  toAllocationLines,
  type AllocationDraft,
} from '@/views/payments/data';

function draft(id: number, outstanding: string, amount: string): AllocationDraft {
  return {
    invoice_id: id,
    number: `INV-202601-00000${id}`,
    period: '2026-01',
    due_date: '2026-02-28',
    outstanding,
    amount,
  };
}

describe('money on BigInt cents', () => {
  it('sums exactly where floats do not', () => {
    expect(0.1 + 0.2).not.toBe(0.3); // why these helpers exist
    expect(sumMoney(['0.10', '0.20'])).toBe('0.30');
    expect(sumMoney(Array.from({ length: 10 }, () => '0.1'))).toBe('1.00');
    expect(sumMoney(['9007199254740993.01', '0.99'])).toBe('9007199254740994.00');
    expect(sumMoney([])).toBe('0.00');
    expect(sumMoney(['1,234.5', '-0.50'])).toBe('1234.00');
  });

  it('converts, compares and subtracts without losing a cent', () => {
    expect(toCents('1234.5')).toBe(123450n);
    expect(toCents('-0.01')).toBe(-1n);
    expect(fromCents(5n)).toBe('0.05');
    expect(fromCents(-123450n)).toBe('-1234.50');
    expect(subtractMoney('100.00', '33.33')).toBe('66.67');
    expect(compareMoney('10.1', '10.10')).toBe(0);
    expect(compareMoney('10.09', '10.1')).toBe(-1);
    expect(isAmount('1.234')).toBe(false);
    expect(isAmount('')).toBe(false);
    expect(() => toCents('1.234')).toThrow(RangeError);
  });
});

describe('invoice list filters', () => {
  it('maps the filter form to the API parameters', () => {
    const model = {
      ...emptyInvoiceFilters(7),
      status: 'unsettled' as const,
      overdue: 'yes' as const,
      period: '2026-01',
      owner_id: 3,
      amount_min: '1,000',
      amount_max: '2000.5',
      due: ['2026-02-01', '2026-02-28'],
      q: ' ACME ',
    };
    expect(invoiceFilterParams(model)).toEqual({
      status: 'unsettled',
      overdue: true,
      period: '2026-01',
      customer_id: 7,
      owner_id: 3,
      amount_min: '1000',
      amount_max: '2000.5',
      due_from: '2026-02-01',
      due_to: '2026-02-28',
      q: 'ACME',
    });
    expect(invoiceFilterParams({ ...emptyInvoiceFilters(), overdue: 'no' })).toMatchObject({
      overdue: false,
      customer_id: null,
      amount_min: null,
      q: null,
    });
    expect(invoiceFilterParams(emptyInvoiceFilters()).overdue).toBeNull();
  });

  it('checks the amount range on exact amounts', () => {
    expect(amountRangeProblem('', '')).toBeNull();
    expect(amountRangeProblem('100.10', '100.1')).toBeNull();
    expect(amountRangeProblem('100.11', '100.1')?.key).toBe('invoice.rule.amountRange');
    expect(amountRangeProblem('abc', '')?.key).toBe('invoice.rule.amount');
  });

  it('names the period to invoice and the overdue days', () => {
    expect(previousPeriod('2026-01-15')).toBe('2025-12');
    expect(previousPeriod('2026-10-01')).toBe('2026-09');
    expect(overdueText({ overdue: true, days_overdue: 12 })).toBe('逾期 12 天');
    expect(overdueText({ overdue: false, days_overdue: 0 })).toBe('');
    expect(runPeriod({ parameters: { period: '2026-02' }, result: null })).toBe('2026-02');
  });

  it('limits a credit note to the total less earlier credit notes', () => {
    expect(creditNoteProblems({ amount: '50.01', reason: 'x' }, '50.00').amount?.key).toBe(
      'invoice.rule.creditMax',
    );
    expect(creditNoteProblems({ amount: '50.00', reason: 'x' }, '50.00')).toEqual({});
    expect(creditNoteProblems({ amount: '0', reason: ' ' }, '50.00')).toMatchObject({
      amount: { key: 'invoice.rule.positiveAmount' },
      reason: { key: 'invoice.rule.reasonRequired' },
    });
  });
});

describe('payment list filters', () => {
  it('maps the filter form; a chosen customer wins over "unassigned only"', () => {
    expect(
      paymentFilterParams({
        ...emptyPaymentFilters(),
        status: 'unallocated',
        method: 'cash',
        received: ['2026-01-01', '2026-01-31'],
        q: ' B-1 ',
        unassigned: true,
      }),
    ).toEqual({
      customer_id: null,
      status: 'unallocated',
      method: 'cash',
      received_from: '2026-01-01',
      received_to: '2026-01-31',
      q: 'B-1',
      unassigned: true,
    });
    expect(paymentFilterParams({ ...emptyPaymentFilters(7), unassigned: true }).unassigned).toBeNull();
  });
});

describe('allocation table limits', () => {
  it('accepts lines within each outstanding and, together, within the unallocated amount', () => {
    const check = checkAllocation(
      [draft(1, '100.00', '100.00'), draft(2, '50.00', '0.10'), draft(3, '50.00', '0.20')],
      '100.30',
    );
    expect(allocationIsValid(check)).toBe(true);
    expect(check.sum).toBe('100.30');
    expect(check.remaining).toBe('0.00');
  });

  it("refuses a line over its invoice's outstanding, by one cent", () => {
    const check = checkAllocation([draft(1, '100.00', '100.01')], '500.00');
    expect(check.lines[1]).toEqual({ key: 'payment.allocate.overOutstanding', params: { max: '100.00' } });
    expect(allocationIsValid(check)).toBe(false);
  });

  it("refuses lines that together exceed the payment's unallocated amount, by one cent", () => {
    const check = checkAllocation([draft(1, '100.00', '60.00'), draft(2, '100.00', '40.01')], '100.00');
    expect(check.lines).toEqual({});
    expect(check.total).toEqual({ key: 'payment.allocate.overUnallocated', params: { max: '100.00' } });
    expect(check.remaining).toBe('-0.01');
  });

  it('refuses zero, negative, malformed and three-decimal amounts, and an empty table', () => {
    const check = checkAllocation(
      [draft(1, '9', '0'), draft(2, '9', '-1'), draft(3, '9', 'abc'), draft(4, '9', '1.001')],
      '100',
    );
    expect(Object.keys(check.lines).map(Number)).toEqual([1, 2, 3, 4]);
    expect(checkAllocation([], '100').total?.key).toBe('payment.allocate.noLines');
  });

  it('proposes what an added invoice owes, capped by what is left of the payment', () => {
    const invoice = {
      invoice_id: 9,
      number: 'INV-9',
      period: '2026-01',
      due_date: '2026-02-28',
      outstanding: '300.00',
    };
    expect(draftFor(invoice, '120.5').amount).toBe('120.50');
    expect(draftFor(invoice, '1000').amount).toBe('300.00');
    expect(toAllocationLines([{ ...draft(1, '2000', '1,234.50') }])).toEqual([
      { invoice_id: 1, amount: '1234.50' },
    ]);
  });

  it("applies a suggestion's amounts exactly and groups suggestions by kind in order", () => {
    const fifo = {
      kind: 'fifo' as const,
      total: '150.00',
      reason: 'oldest first',
      invoices: [
        {
          invoice_id: 1,
          number: 'INV-1',
          period: '2025-12',
          due_date: '2026-01-31',
          outstanding: '100.00',
          amount: '100.00',
        },
        {
          invoice_id: 2,
          number: 'INV-2',
          period: '2026-01',
          due_date: '2026-02-28',
          outstanding: '80.00',
          amount: '50.00',
        },
      ],
    };
    const exact = { kind: 'exact' as const, total: '150.00', reason: 'exact', invoices: [] };
    expect(draftsFromSuggestion(fifo).map((d) => d.amount)).toEqual(['100.00', '50.00']);
    expect(groupSuggestions([fifo, exact]).map((g) => g.kind)).toEqual(['exact', 'fifo']);
    expect(
      activeAllocated([
        { amount: '0.10', is_reversed: false },
        { amount: '5', is_reversed: true },
        { amount: '0.20', is_reversed: false },
      ]),
    ).toBe('0.30');
  });
});
