import { describe, expect, it } from 'vitest';
import { ApiError } from '@/api/errors';
import { cleanParams } from '@/api/params';
import {
  addVersion,
  createPlan,
  createSubscription,
  deletePlan,
  listSubscriptions,
  previewPrice,
} from '@/api/pricing';
import { listAnomalies, pullBody, requestPull, reviewAnomalies, reviewBody } from '@/api/usage';
import { addSourceAccount, uploadUsageFile } from '@/api/data-sources';
import { mockTheApi, envelope } from '../helpers/mock-adapter';

const mock = mockTheApi();

describe('query parameters', () => {
  it('drops blanks and nulls, trims text and writes booleans for the backend', () => {
    expect(
      cleanParams({
        q: '  api ',
        metric: '',
        plan_id: null,
        customer_id: 7,
        late: true,
        is_active: false,
        x: undefined,
        n: NaN,
      }),
    ).toEqual({
      q: 'api',
      customer_id: 7,
      late: 'true',
      is_active: 'false',
    });
  });
});

describe('pricing requests', () => {
  it('sends the plan document with its figures as strings', async () => {
    mock.on('POST', '/pricing-plans', (req) => ({ status: 201, data: { id: 1, ...(req.body as object) } }));
    await createPlan({
      code: 'P1',
      name: 'P',
      metric: 'api_calls',
      mode: 'graduated',
      tiers: [
        { up_to: '10000', unit_price: '0.012', flat_fee: '0' },
        { up_to: null, unit_price: '0.0085', flat_fee: '5' },
      ],
    });
    const [call] = mock.callsTo('POST', '/pricing-plans');
    expect((call.body as { tiers: unknown[] }).tiers).toEqual([
      { up_to: '10000', unit_price: '0.012', flat_fee: '0' },
      { up_to: null, unit_price: '0.0085', flat_fee: '5' },
    ]);
    expect(call.headers.get('Authorization')).toBe('Bearer acc-1');
  });

  it('tells a new version (201) from an unbilled one edited in place (200)', async () => {
    mock.on('POST', '/pricing-plans/5/versions', { status: 201, data: { id: 9, version: 2 } });
    expect((await addVersion(5, { mode: 'per_unit', unit_price: '1' })).created).toBe(true);
    mock.on('POST', '/pricing-plans/5/versions', { status: 200, data: { id: 9, version: 2 } });
    expect((await addVersion(5, { mode: 'per_unit', unit_price: '1' })).created).toBe(false);
  });

  it('keeps the amount of a preview exactly as the backend wrote it', async () => {
    mock.on('POST', '/pricing/preview', {
      status: 200,
      data: { amount: '12345678901234.57', breakdown: [] },
    });
    const answer = await previewPrice({ plan_id: 3, quantity: '1' });
    expect(answer.amount).toBe('12345678901234.57');
    expect(mock.callsTo('POST', '/pricing/preview')[0].body).toEqual({ plan_id: 3, quantity: '1' });
  });

  it('sends the reason of a delete as a query parameter and the filters of a list', async () => {
    mock.on('DELETE', '/pricing-plans/4', { status: 200, data: { id: 4 } });
    await deletePlan(4, '  停用  ');
    expect(mock.callsTo('DELETE', '/pricing-plans/4')[0].params).toEqual({ reason: '停用' });
    mock.on('GET', '/subscriptions', { status: 200, data: { items: [], total: 0, page: 1, page_size: 20 } });
    await listSubscriptions({ customer_id: 7, metric: null, active_on: '2026-01-01' });
    expect(mock.callsTo('GET', '/subscriptions')[0].params).toEqual({
      customer_id: 7,
      active_on: '2026-01-01',
    });
  });

  it("rejects a 409 overlap with the backend's code and message, and a 422 with its field", async () => {
    mock.on('POST', '/subscriptions', {
      status: 409,
      data: envelope('subscription_overlap', 'overlaps subscription 3 (2026-01-01 ~ open-ended)', [
        { field: 'effective_from', message: 'overlaps subscription 3' },
      ]),
    });
    const overlap = await createSubscription({
      customer_id: 7,
      plan_id: 2,
      effective_from: '2026-02-01',
      discount_percent: '12.50',
    }).catch((e: unknown) => e);
    expect(overlap).toBeInstanceOf(ApiError);
    expect((overlap as ApiError).status).toBe(409);
    expect((overlap as ApiError).code).toBe('subscription_overlap');
    expect((overlap as ApiError).message).toBe('overlaps subscription 3 (2026-01-01 ~ open-ended)');
    expect(mock.callsTo('POST', '/subscriptions')[0].body).toEqual({
      customer_id: 7,
      plan_id: 2,
      effective_from: '2026-02-01',
      discount_percent: '12.50',
    });

    mock.on('POST', '/pricing/preview', {
      status: 422,
      data: envelope('validation_failed', 'quantity: must not be negative', [
        { field: 'quantity', message: 'must not be negative' },
      ]),
    });
    const error = await previewPrice({ plan_id: 1, quantity: '-1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).fieldError('quantity')).toBe('must not be negative');
  });
});

describe('usage requests', () => {
  it('sends only what a review action takes', async () => {
    expect(reviewBody({ ids: [3, 3, 4], action: 'accept', quantity: '9', reason: ' ' })).toEqual({
      ids: [3, 4],
      action: 'accept',
    });
    expect(reviewBody({ ids: [3], action: 'correct', quantity: ' 12.5 ', reason: ' 供应商重推 ' })).toEqual({
      ids: [3],
      action: 'correct',
      quantity: '12.5',
      reason: '供应商重推',
    });
    mock.on('POST', '/usage-anomalies/actions', {
      status: 409,
      data: envelope('usage_anomaly_reviewed', 'already reviewed: anomaly 3'),
    });
    const error = await reviewAnomalies({ ids: [3], action: 'reject', reason: 'dup' }).catch(
      (e: unknown) => e,
    );
    expect((error as ApiError).status).toBe(409);
    expect((error as ApiError).message).toBe('already reviewed: anomaly 3');
    expect(mock.callsTo('POST', '/usage-anomalies/actions')[0].body).toEqual({
      ids: [3],
      action: 'reject',
      reason: 'dup',
    });
  });

  it('asks for one day or a range', async () => {
    expect(pullBody('2026-01-05', null)).toEqual({ day: '2026-01-05' });
    expect(pullBody('2026-01-05', '2026-01-05', ' ')).toEqual({ day: '2026-01-05' });
    expect(pullBody('2026-01-01', '2026-01-07', 'vendor-a')).toEqual({
      first_day: '2026-01-01',
      last_day: '2026-01-07',
      source: 'vendor-a',
    });
    mock.on('POST', '/usage/pulls', { status: 202, data: { id: 11, status: 'pending' } });
    expect((await requestPull({ day: '2026-01-05' })).id).toBe(11);
  });

  it('lists anomalies with their filters', async () => {
    mock.on('GET', '/usage-anomalies', {
      status: 200,
      data: { items: [], total: 0, page: 1, page_size: 20 },
    });
    await listAnomalies({
      status: 'open',
      kind: 'spike',
      source_id: null,
      day_from: '2026-01-01',
      day_to: '',
    });
    expect(mock.callsTo('GET', '/usage-anomalies')[0].params).toEqual({
      status: 'open',
      kind: 'spike',
      day_from: '2026-01-01',
    });
  });
});

describe('data source requests', () => {
  it('uploads a usage file as multipart "file" and maps accounts with a trimmed id', async () => {
    mock.on('POST', '/data-sources/2/uploads', { status: 201, data: { id: 5, status: 'success' } });
    const execution = await uploadUsageFile(
      2,
      new File(['account,metric,day,quantity\n'], 'jan.csv', { type: 'text/csv' }),
    );
    expect(execution.id).toBe(5);
    const body = mock.callsTo('POST', '/data-sources/2/uploads')[0].body;
    expect(body).toBeInstanceOf(FormData);
    expect(((body as FormData).get('file') as File).name).toBe('jan.csv');
    mock.on('POST', '/data-sources/2/accounts', (req) => ({ status: 201, data: req.body }));
    await addSourceAccount(2, { customer_id: 7, external_account: '  acct-7 ' });
    expect(mock.callsTo('POST', '/data-sources/2/accounts')[0].body).toEqual({
      customer_id: 7,
      external_account: 'acct-7',
    });
  });
});
