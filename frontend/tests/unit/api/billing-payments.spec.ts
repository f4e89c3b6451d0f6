import { describe, expect, it } from 'vitest';
import { ApiError } from '@/api/errors';
import {
  createCreditNote,
  exportAgingReport,
  exportInvoices,
  fetchInvoicePrint,
  getInvoiceRun,
  listInvoices,
  regenerateInvoice,
  requestInvoiceRun,
  voidInvoice,
} from '@/api/billing';
import { assignPaymentCustomer, createPayment, getPaymentSuggestions, listPayments } from '@/api/payments';
import { autoReconcile, createAllocations, getCustomerCredit, reverseAllocation } from '@/api/settlement';
import { envelope, mockTheApi } from '../helpers/mock-adapter';
import { setLocale } from '@/locale';

const mock = mockTheApi();
const emptyPage = { items: [], total: 0, page: 1, page_size: 20 };

describe('billing requests', () => {
  it('queues a run with only the fields given and follows it by id', async () => {
    mock.on('POST', '/invoice-runs', { status: 202, data: { id: 31, status: 'pending', result: null } });
    expect((await requestInvoiceRun({ period: '2026-01', customer_id: null, issue_date: '' })).id).toBe(31);
    expect(mock.callsTo('POST', '/invoice-runs')[0].body).toEqual({ period: '2026-01' });
    await requestInvoiceRun({ period: '2026-01', customer_id: 7 });
    expect(mock.callsTo('POST', '/invoice-runs')[1].body).toEqual({ period: '2026-01', customer_id: 7 });
    mock.on('GET', '/invoice-runs/31', {
      status: 200,
      data: { id: 31, status: 'success', result: { receivable_total: '12345678901234.57' } },
    });
    expect((await getInvoiceRun(31)).result?.receivable_total).toBe('12345678901234.57');
  });

  it('lists invoices with the known filters only, blanks left out, booleans as text', async () => {
    mock.on('GET', '/invoices', { status: 200, data: emptyPage });
    await listInvoices({
      status: 'partially_settled',
      overdue: false,
      period: '2026-01',
      customer_id: 7,
      owner_id: null,
      amount_min: '100.00',
      amount_max: '',
      due_from: '2026-02-01',
      due_to: null,
      q: '  INV-2026 ',
      page: 2,
      page_size: 50,
      sort: '-issue_date',
      ...({ unknown: 'x' } as object),
    });
    expect(mock.callsTo('GET', '/invoices')[0].params).toEqual({
      status: 'partially_settled',
      overdue: 'false',
      period: '2026-01',
      customer_id: 7,
      amount_min: '100.00',
      due_from: '2026-02-01',
      q: 'INV-2026',
      page: 2,
      page_size: 50,
      sort: '-issue_date',
    });
  });

  it('exports the filtered invoices and the aging report as files, without paging', async () => {
    mock.on('GET', '/invoices/export', {
      status: 200,
      data: new Blob(['x']),
      headers: { 'content-disposition': 'attachment; filename="invoices-2026-01.xlsx"' },
    });
    const file = await exportInvoices({ overdue: true, q: '' });
    expect(file.filename).toBe('invoices-2026-01.xlsx');
    const call = mock.callsTo('GET', '/invoices/export')[0];
    expect(call.params).toEqual({ overdue: 'true' });
    expect(call.responseType).toBe('blob');
    mock.on('GET', '/reports/aging.xlsx', { status: 200, data: new Blob(['x']) });
    expect((await exportAgingReport('2026-03-31')).filename).toBe('aging-2026-03-31.xlsx');
    expect(mock.callsTo('GET', '/reports/aging.xlsx')[0].params).toEqual({ as_of: '2026-03-31' });
  });

  it('fetches the printable invoice as text with the session token', async () => {
    mock.on('GET', '/invoices/9/print', { status: 200, data: '<html><body>INV-202601-000001</body></html>' });
    expect(await fetchInvoicePrint(9)).toContain('INV-202601-000001');
    const call = mock.callsTo('GET', '/invoices/9/print')[0];
    expect(call.headers.get('Authorization')).toBe('Bearer acc-1');
    expect(call.responseType).toBe('text');
    // in the UI's language, whatever the browser's: the printed page follows the chosen language
    expect(call.params).toEqual({ lang: 'zh-CN' });
    setLocale('en-US');
    try {
      await fetchInvoicePrint(9);
      expect(mock.callsTo('GET', '/invoices/9/print')[1].params).toEqual({ lang: 'en-US' });
    } finally {
      setLocale('zh-CN');
    }
  });

  it("voids and regenerates with a trimmed reason; a 409 keeps the backend's message", async () => {
    mock.on('POST', '/invoices/9/void', { status: 200, data: { id: 9, status: 'void' } });
    await voidInvoice(9, '  客户要求  ');
    expect(mock.callsTo('POST', '/invoices/9/void')[0].body).toEqual({ reason: '客户要求' });
    mock.on('POST', '/invoices/9/regenerate', {
      status: 409,
      data: envelope('invoice_has_allocations', 'reverse the allocations first'),
    });
    const error = await regenerateInvoice(9, 'late usage').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(409);
    expect((error as ApiError).message).toBe('reverse the allocations first');
  });

  it('issues a credit note with the amount as a string', async () => {
    mock.on('POST', '/credit-notes', (req) => ({
      status: 201,
      data: { id: 1, number: 'CN-202601-000001', ...(req.body as object) },
    }));
    await createCreditNote({ invoice_id: 9, amount: '0.10', reason: ' 折让 ' }, 'cn-key');
    const call = mock.callsTo('POST', '/credit-notes')[0];
    expect(call.body).toEqual({ invoice_id: 9, amount: '0.10', reason: '折让' });
    expect(call.headers.get('Idempotency-Key')).toBe('cn-key');
  });
});

describe('payment requests', () => {
  it('records a payment with its Idempotency-Key and without blank optional fields', async () => {
    mock.on('POST', '/payments', (req) => ({ status: 201, data: { id: 5, ...(req.body as object) } }));
    await createPayment(
      {
        customer_id: null,
        amount: ' 1234.50 ',
        received_on: '2026-02-03',
        method: 'bank_transfer',
        payer_name: ' 上海示例 ',
        bank_reference: '',
        remark: '  ',
      },
      'key-1',
    );
    const call = mock.callsTo('POST', '/payments')[0];
    expect(call.headers.get('Idempotency-Key')).toBe('key-1');
    expect(call.body).toEqual({
      amount: '1234.50',
      received_on: '2026-02-03',
      method: 'bank_transfer',
      payer_name: '上海示例',
    });
    await createPayment({ amount: '1', received_on: '2026-02-03', method: 'cash' });
    expect(mock.callsTo('POST', '/payments')[1].headers.has('Idempotency-Key')).toBe(false);
  });

  it("rejects a duplicate bank reference with the backend's 409", async () => {
    mock.on('POST', '/payments', {
      status: 409,
      data: envelope(
        'payment_duplicate',
        'bank_transfer payment with bank reference B-1 already recorded (#3)',
      ),
    });
    const error = await createPayment(
      { amount: '1', received_on: '2026-02-03', method: 'bank_transfer', bank_reference: 'B-1' },
      'k',
    ).catch((e: unknown) => e);
    expect((error as ApiError).status).toBe(409);
    expect((error as ApiError).message).toContain('B-1');
  });

  it("uses the contract's paths for payments, suggestions, allocations and credit", async () => {
    mock.on('GET', '/payments', { status: 200, data: emptyPage });
    await listPayments({ unassigned: true, status: null, q: ' 示例 ' });
    expect(mock.callsTo('GET', '/payments')[0].params).toEqual({ unassigned: 'true', q: '示例' });
    mock.on('PATCH', '/payments/5', { status: 200, data: { id: 5, customer_id: 7 } });
    await assignPaymentCustomer(5, 7);
    expect(mock.callsTo('PATCH', '/payments/5')[0].body).toEqual({ customer_id: 7 });
    mock.on('GET', '/payments/5/suggestions', {
      status: 200,
      data: { payment_id: 5, suggestions: [], customer_candidates: [] },
    });
    await getPaymentSuggestions(5);
    mock.on('POST', '/allocations', { status: 201, data: { allocations: [] } });
    await createAllocations({ payment_id: 5, lines: [{ invoice_id: 9, amount: '100.10' }] }, 'alloc-key');
    expect(mock.callsTo('POST', '/allocations')[0].body).toEqual({
      payment_id: 5,
      lines: [{ invoice_id: 9, amount: '100.10' }],
    });
    expect(mock.callsTo('POST', '/allocations')[0].headers.get('Idempotency-Key')).toBe('alloc-key');
    mock.on('POST', '/allocations/12/reverse', { status: 200, data: { id: 12, is_reversed: true } });
    await reverseAllocation(12, ' 误核销 ');
    expect(mock.callsTo('POST', '/allocations/12/reverse')[0].body).toEqual({ reason: '误核销' });
    mock.on('POST', '/allocations/auto', {
      status: 200,
      data: { allocations: [], considered: 3, allocated: 0, waiting: 3 },
    });
    await autoReconcile({ customer_id: null, dry_run: true });
    expect(mock.callsTo('POST', '/allocations/auto')[0].body).toEqual({ dry_run: true });
    mock.on('GET', '/customers/7/credit', { status: 200, data: { customer_id: 7, total: '0.30' } });
    expect((await getCustomerCredit(7)).total).toBe('0.30');
    expect(mock.callsTo('GET', '/customers/7/credit')[0].params).toBeUndefined();
    await getCustomerCredit(7, true);
    expect(mock.callsTo('GET', '/customers/7/credit')[1].params).toEqual({ include_deleted: true });
  });
});
