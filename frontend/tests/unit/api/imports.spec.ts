import { describe, expect, it } from 'vitest';
import {
  downloadImportErrors,
  downloadImportTemplate,
  getImport,
  importProgress,
  listImports,
  normalizeImport,
  startImport,
} from '@/api/imports';
import { mockTheApi } from '../helpers/mock-adapter';

const mock = mockTheApi();

const report = {
  total: 5,
  created: 2,
  updated: 1,
  unchanged: 0,
  skipped_blank: 1,
  failed: 1,
  errors: [{ row: 4, column: '联系电话', value: '12', reason: 'not a mainland mobile' }],
  ignored_columns: ['备用列'],
};

function summary(overrides: Record<string, unknown> = {}) {
  return {
    id: 12,
    file_name: 'customers.xlsx',
    file_size: 2048,
    mode: 'upsert',
    status: 'running',
    stage: 'reading',
    background: true,
    total: 4000,
    processed: 1000,
    written: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    skipped_blank: 0,
    failed: 0,
    error_code: null,
    error_message: null,
    created_by: 'finance',
    created_at: '2026-01-01T00:00:00Z',
    started_at: '2026-01-01T00:00:01Z',
    finished_at: null,
    ...overrides,
  };
}

describe('startImport', () => {
  it('posts the file and the mode as multipart form data; 200 is the finished report', async () => {
    mock.on('POST', '/imports/customers', {
      status: 200,
      data: { ...summary({ status: 'succeeded', stage: 'done', background: false, ...report }), report },
    });
    const file = new File(['xlsx bytes'], '客户清单.xlsx');
    const result = await startImport(file, 'validate');

    const [call] = mock.callsTo('POST', '/imports/customers');
    expect(call.body).toBeInstanceOf(FormData);
    const form = call.body as FormData;
    expect(form.get('mode')).toBe('validate');
    expect((form.get('file') as File).name).toBe('客户清单.xlsx');
    expect(call.headers.get('Authorization')).toBe('Bearer acc-1');

    expect(result.kind).toBe('done');
    expect(result.id).toBe(12);
    if (result.kind === 'done') expect(result.report).toEqual(report);
  });

  it('reads a bare report (no import fields) as a finished import', async () => {
    mock.on('POST', '/imports/customers', { status: 200, data: report });
    const result = await startImport(new Blob(['x']), 'create', { fileName: 'a.xlsx' });
    expect(result).toEqual({ kind: 'done', id: null, record: null, report });
  });

  it('202 is a queued import to poll', async () => {
    mock.on('POST', '/imports/customers', {
      status: 202,
      data: summary({ status: 'pending', stage: 'queued', processed: 0 }),
    });
    const result = await startImport(new File(['x'], 'big.xlsx'), 'upsert');
    expect(result.kind).toBe('queued');
    expect(result.id).toBe(12);
    if (result.kind === 'queued') expect(result.record.status).toBe('pending');
  });
});

describe('import records', () => {
  it('gets one import with its report and lists past imports', async () => {
    mock.on('GET', '/imports/12', {
      status: 200,
      data: { ...summary({ status: 'succeeded', stage: 'done' }), report },
    });
    mock.on('GET', '/imports', {
      status: 200,
      data: { items: [summary()], total: 1, page: 1, page_size: 10 },
    });
    const record = await getImport(12);
    expect(record.report).toEqual(report);
    const page = await listImports({ page: 1, page_size: 10, status: 'running' });
    expect(mock.callsTo('GET', '/imports')[0].params).toEqual({ page: 1, page_size: 10, status: 'running' });
    expect(page.items[0].processed).toBe(1000);
    expect(page.total).toBe(1);
  });

  it('normalises missing fields instead of failing', () => {
    const record = normalizeImport({ id: '3', status: 'failed', error_message: 'not an xlsx file' });
    expect(record).toMatchObject({
      id: 3,
      status: 'failed',
      total: 0,
      failed: 0,
      report: null,
      error_message: 'not an xlsx file',
    });
  });

  it('computes progress per stage: reading rows, then writing rows', () => {
    expect(importProgress(summary() as never)).toBe(25);
    expect(
      importProgress(summary({ stage: 'writing', created: 300, updated: 100, written: 100 }) as never),
    ).toBe(25);
    expect(importProgress(summary({ total: 0, processed: 0 }) as never)).toBeNull();
    expect(importProgress(summary({ status: 'succeeded', stage: 'done' }) as never)).toBe(100);
  });

  it('downloads the error workbook and the template as blobs', async () => {
    mock.on('GET', '/imports/12/errors.xlsx', { status: 200, data: new Blob(['PK']) });
    mock.on('GET', '/imports/template.xlsx', {
      status: 200,
      data: new Blob(['PK']),
      headers: { 'content-disposition': 'attachment; filename="customer-template.xlsx"' },
    });
    expect((await downloadImportErrors(12)).filename).toBe('import-12-errors.xlsx');
    expect((await downloadImportTemplate()).filename).toBe('customer-template.xlsx');
    expect(mock.callsTo('GET', '/imports/template.xlsx')[0].responseType).toBe('blob');
  });
});
