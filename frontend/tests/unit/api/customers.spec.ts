import { describe, expect, it } from 'vitest';
import { ApiError } from '@/api/errors';
import {
  batchBody,
  createCustomer,
  deleteCustomer,
  exportCustomers,
  getCustomer,
  listCustomers,
  listDeletedCustomers,
  runBatch,
  toQueryParams,
  updateCustomer,
} from '@/api/customers';
import { filenameFromDisposition } from '@/api/download';
import { mockTheApi, envelope } from '../helpers/mock-adapter';
import { customer } from '../helpers/fixtures';

const mock = mockTheApi();

describe('toQueryParams', () => {
  it('keeps only the known filters, trims text and drops blank, null and undefined values', () => {
    const params = toQueryParams({
      keyword: '  示例 ',
      status: 'trial',
      level: '',
      industry: null,
      owner_id: 0, // 0 = customers without an owner: must be sent
      province: '   ',
      city: '上海',
      signed_from: '2024-01-01',
      signed_to: undefined,
      contract_ending_within_days: 30,
      page: 2,
      page_size: 50,
      sort: '-signed_at',
      // not a backend parameter: the backend answers 422 to unknown query parameters
      ...({ unknown: 'x' } as object),
    });
    expect(params).toEqual({
      keyword: '示例',
      status: 'trial',
      owner_id: 0,
      city: '上海',
      signed_from: '2024-01-01',
      contract_ending_within_days: 30,
      page: 2,
      page_size: 50,
      sort: '-signed_at',
    });
  });

  it('leaves paging and sorting out when asked (export takes filters only)', () => {
    expect(toQueryParams({ keyword: 'a', page: 3, page_size: 20, sort: 'id' }, false)).toEqual({
      keyword: 'a',
    });
  });
});

describe('customer requests', () => {
  it('lists with the filters as query parameters and returns the page untouched', async () => {
    const page = {
      items: [customer({ credit_limit: '12345678901234.56' })],
      total: 1,
      page: 1,
      page_size: 20,
    };
    mock.on('GET', '/customers', { status: 200, data: page });
    const result = await listCustomers({
      keyword: 'C0',
      status: 'active',
      owner_id: 3,
      page: 1,
      page_size: 20,
      sort: '-id',
    });
    const [call] = mock.callsTo('GET', '/customers');
    expect(call.params).toEqual({
      keyword: 'C0',
      status: 'active',
      owner_id: 3,
      page: 1,
      page_size: 20,
      sort: '-id',
    });
    expect(call.headers.get('Authorization')).toBe('Bearer acc-1');
    // a float could not hold this amount: it must come back exactly as sent
    expect(result.items[0].credit_limit).toBe('12345678901234.56');
    expect(typeof result.items[0].credit_limit).toBe('string');
  });

  it('lists deleted customers from their own route', async () => {
    mock.on('GET', '/customers/deleted', {
      status: 200,
      data: { items: [], total: 0, page: 1, page_size: 20 },
    });
    await listDeletedCustomers({ keyword: 'x', page: 1 });
    expect(mock.callsTo('GET', '/customers/deleted')[0].params).toEqual({ keyword: 'x', page: 1 });
  });

  it('creates with money as a string in the JSON body', async () => {
    mock.on('POST', '/customers', (req) => ({
      status: 201,
      data: customer({ ...(req.body as object), credit_limit: '50000.10' }),
    }));
    const created = await createCustomer({
      customer_code: 'C9',
      company_name: '甲公司',
      credit_limit: '50000.1',
    });
    const [call] = mock.callsTo('POST', '/customers');
    expect(call.body).toEqual({ customer_code: 'C9', company_name: '甲公司', credit_limit: '50000.1' });
    expect(created.credit_limit).toBe('50000.10');
  });

  it('patches, gets the detail, and sends the delete reason as a query parameter', async () => {
    mock.on('PATCH', '/customers/7', { status: 200, data: customer({ level: 'S' }) });
    mock.on('GET', '/customers/7', {
      status: 200,
      data: { ...customer(), status_history: [], audit_trail: [] },
    });
    mock.on('DELETE', '/customers/7', { status: 200, data: customer({ is_deleted: true }) });
    await updateCustomer(7, { level: 'S', credit_limit: '1.50' });
    expect(mock.callsTo('PATCH', '/customers/7')[0].body).toEqual({ level: 'S', credit_limit: '1.50' });
    expect((await getCustomer(7)).status_history).toEqual([]);
    expect(mock.callsTo('GET', '/customers/7')[0].params).toBeUndefined();
    // a deleted customer is read only when asked for (the backend answers 404 otherwise)
    await getCustomer(7, true);
    expect(mock.callsTo('GET', '/customers/7')[1].params).toEqual({ include_deleted: true });
    await deleteCustomer(7, '  重复录入 ');
    expect(mock.callsTo('DELETE', '/customers/7')[0].params).toEqual({ reason: '重复录入' });
    await deleteCustomer(7);
    expect(mock.callsTo('DELETE', '/customers/7')[1].params).toBeUndefined();
  });

  it('sends a batch with only the argument its action needs, ids de-duplicated', async () => {
    expect(
      batchBody({
        action: 'change_status',
        customer_ids: [3, 1, 3],
        status: 'closed',
        level: 'A',
        owner_id: 2,
        reason: ' 合同终止 ',
      }),
    ).toEqual({
      action: 'change_status',
      customer_ids: [3, 1],
      status: 'closed',
      reason: '合同终止',
    });
    expect(batchBody({ action: 'soft_delete', customer_ids: [5], reason: '  ' })).toEqual({
      action: 'soft_delete',
      customer_ids: [5],
    });
    mock.on('POST', '/customers/batch', { status: 200, data: { action: 'assign_owner', affected: 2 } });
    const result = await runBatch({ action: 'assign_owner', customer_ids: [1, 2], owner_id: 9 });
    expect(mock.callsTo('POST', '/customers/batch')[0].body).toEqual({
      action: 'assign_owner',
      customer_ids: [1, 2],
      owner_id: 9,
    });
    expect(result).toEqual({ action: 'assign_owner', affected: 2 });
  });
});

describe('export', () => {
  it('GETs the xlsx with the filters (no paging), as a blob, with the session token', async () => {
    const xlsx = new Blob(['PK fake'], {
      type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    });
    mock.on('GET', '/customers/export', {
      status: 200,
      data: xlsx,
      headers: { 'content-disposition': 'attachment; filename="customers-20260101-120000.xlsx"' },
    });
    const file = await exportCustomers({ status: 'active', keyword: ' 上海 ', ...({ page: 4 } as object) });
    const [call] = mock.callsTo('GET', '/customers/export');
    expect(call.params).toEqual({ status: 'active', keyword: '上海' });
    expect(call.responseType).toBe('blob');
    expect(call.headers.get('Authorization')).toBe('Bearer acc-1');
    expect(file.filename).toBe('customers-20260101-120000.xlsx');
    expect(file.blob).toBe(xlsx);
  });

  it('turns a JSON error body of a blob download into a typed ApiError', async () => {
    const body = new Blob(
      [JSON.stringify(envelope('validation_failed', 'status: bad', [{ field: 'status', message: 'bad' }]))],
      {
        type: 'application/json',
      },
    );
    mock.on('GET', '/customers/export', {
      status: 422,
      data: body,
      headers: { 'content-type': 'application/json' },
    });
    const error = await exportCustomers({}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('validation_failed');
    expect((error as ApiError).fieldError('status')).toBe('bad');
  });

  it('reads file names from Content-Disposition', () => {
    expect(filenameFromDisposition('attachment; filename="a b.xlsx"', 'x')).toBe('a b.xlsx');
    expect(
      filenameFromDisposition(
        'attachment; filename="x.xlsx"; filename*=UTF-8\'\'%E5%AE%A2%E6%88%B7.xlsx',
        'x',
      ),
    ).toBe('客户.xlsx');
    expect(filenameFromDisposition('attachment; filename=plain.xlsx', 'x')).toBe('plain.xlsx');
    expect(filenameFromDisposition(undefined, 'fallback.xlsx')).toBe('fallback.xlsx');
  });
});
