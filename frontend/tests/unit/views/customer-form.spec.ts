import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import ArcoVue from '@arco-design/web-vue';
import ArcoVueIcon from '@arco-design/web-vue/es/icon';
import type { AxiosAdapter } from 'axios';
import http, { bindSession } from '@/api/http';
import { ApiError } from '@/api/errors';
import { useAuthStore } from '@/store/auth';
import { CUSTOMER_FIELDS } from '@/views/customers/data';
import { cleanMessage, mapApiError } from '@/utils/form-errors';
import { resetCustomerOptions } from '@/composables/useCustomerOptions';
import CustomerForm from '@/views/customers/form.vue';
import { createMockAdapter, envelope } from '../helpers/mock-adapter';
import { customer, userWithRole } from '../helpers/fixtures';

describe('mapApiError: backend details → form fields', () => {
  it('puts 422 details under the fields they name, without pydantic prefixes', () => {
    const error = new ApiError({
      status: 422,
      code: 'validation_failed',
      message: 'credit_code: Value error, must be 18 characters',
      details: [
        {
          field: 'credit_code',
          message: 'Value error, must be 18 characters of 0-9 and A-Y (no I, O, S, V, Z)',
        },
        {
          field: 'contact_phone',
          message: 'Value error, not a mainland mobile (11 digits) or landline with area code',
        },
        { field: 'credit_code', message: 'a second problem of the same field is not shown twice' },
        { field: 'credit_limit', message: 'Input should be greater than or equal to 0' },
      ],
    });
    const mapped = mapApiError(error, CUSTOMER_FIELDS);
    expect(mapped.fields).toEqual({
      credit_code: 'must be 18 characters of 0-9 and A-Y (no I, O, S, V, Z)',
      contact_phone: 'not a mainland mobile (11 digits) or landline with area code',
      credit_limit: 'Input should be greater than or equal to 0',
    });
    expect(mapped.general).toEqual([]);
  });

  it('places a field-less model check on the first field its message names', () => {
    const error = new ApiError({
      status: 422,
      code: 'validation_failed',
      message: 'Value error, contract_end_at must not be before signed_at',
      details: [{ field: null, message: 'Value error, contract_end_at must not be before signed_at' }],
    });
    expect(mapApiError(error, CUSTOMER_FIELDS).fields).toEqual({
      contract_end_at: 'contract_end_at must not be before signed_at',
    });
  });

  it('shows 409 duplicates on customer_code / company_name in the UI language', () => {
    const error = new ApiError({
      status: 409,
      code: 'customer_duplicate',
      message: "customer code 'C001' is taken",
      details: [
        { field: 'customer_code', message: "customer code 'C001' is taken" },
        { field: 'company_name', message: "company name '甲' is taken" },
      ],
    });
    expect(mapApiError(error, CUSTOMER_FIELDS).fields).toEqual({
      customer_code: '该客户编号已被其他客户使用',
      company_name: '该公司名称已被其他客户使用',
    });
  });

  it('keeps unknown fields and detail-less errors for the alert above the form', () => {
    const unknownField = new ApiError({
      status: 422,
      code: 'validation_failed',
      message: 'x',
      details: [{ field: 'foo', message: 'bad' }],
    });
    expect(mapApiError(unknownField, CUSTOMER_FIELDS)).toEqual({ fields: {}, general: ['foo: bad'] });
    const plain = new ApiError({ status: 409, code: 'conflict', message: 'Value error, it clashed' });
    expect(mapApiError(plain, CUSTOMER_FIELDS)).toEqual({ fields: {}, general: ['it clashed'] });
    expect(cleanMessage('Value error, x')).toBe('x');
  });

  it('maps owner_name onto the owner field', () => {
    const error = new ApiError({
      status: 422,
      code: 'validation_failed',
      message: 'x',
      details: [{ field: 'owner_name', message: 'no active user with id 9' }],
    });
    expect(mapApiError(error, CUSTOMER_FIELDS).fields).toEqual({ owner_id: 'no active user with id 9' });
  });
});

describe('customer form drawer', () => {
  const originalAdapter = http.defaults.adapter;
  let mock: ReturnType<typeof createMockAdapter>;
  let pinia: Pinia;
  let wrapper: VueWrapper | undefined;

  beforeEach(() => {
    localStorage.clear();
    resetCustomerOptions();
    mock = createMockAdapter();
    http.defaults.adapter = mock.adapter as AxiosAdapter;
    bindSession({ getAccessToken: () => 'acc-1', refresh: async () => {}, onSessionExpired: () => {} });
    mock.on('GET', '/dictionaries/level', { status: 200, data: { items: [] } });
    mock.on('GET', '/dictionaries/industry', { status: 200, data: { items: [] } });
    mock.on('GET', '/users/owners', {
      status: 200,
      data: { items: [{ id: 3, username: 'op', display_name: '运营小李', role: 'operator' }] },
    });
    pinia = createPinia();
    setActivePinia(pinia);
    useAuthStore().user = userWithRole('operator', { permissions: ['customers:read', 'customers:write'] });
  });

  afterEach(() => {
    wrapper?.unmount();
    wrapper = undefined;
    http.defaults.adapter = originalAdapter;
    bindSession(null);
    document.body.innerHTML = '';
  });

  async function mountForm(props: Record<string, unknown>) {
    wrapper = mount(CustomerForm, {
      props: { visible: true, customer: null, ...props },
      global: { plugins: [pinia, ArcoVue, ArcoVueIcon] },
      attachTo: document.body,
    });
    await flushPromises();
    return wrapper;
  }

  const byTestId = (id: string) => document.querySelector<HTMLElement>(`[data-testid="${id}"]`);

  async function type(id: string, value: string) {
    const input = byTestId(id) as HTMLInputElement;
    input.value = value;
    input.dispatchEvent(new Event('input'));
    await flushPromises();
  }

  it('shows the backend 422 details under the right fields and keeps the drawer open', async () => {
    mock.on('POST', '/customers', {
      status: 422,
      data: envelope('validation_failed', 'contact_email: Value error, bad', [
        { field: 'contact_email', message: 'Value error, The domain name example.invalid does not exist.' },
        { field: 'owner_id', message: 'no active user with id 42' },
      ]),
    });
    const w = await mountForm({});
    await type('input-customer_code', 'C100');
    await type('input-company_name', '乙公司');
    await type('input-contact_email', 'a@example.invalid');
    byTestId('customer-form-submit')!.click();
    await vi.waitFor(() => expect(mock.callsTo('POST', '/customers')).toHaveLength(1));
    await vi.waitFor(() =>
      expect(byTestId('field-contact_email')!.textContent).toContain(
        'The domain name example.invalid does not exist.',
      ),
    );

    expect(mock.callsTo('POST', '/customers')[0].body).toEqual({
      customer_code: 'C100',
      company_name: '乙公司',
      status: 'prospect',
      payment_terms_days: 30,
      credit_limit: '0',
      contact_email: 'a@example.invalid',
    });
    expect(byTestId('field-owner_id')!.textContent).toContain('no active user with id 42');
    expect(byTestId('field-customer_code')!.textContent).not.toContain('no active user');
    expect(w.emitted('saved')).toBeUndefined();
    expect(w.emitted('update:visible')).toBeUndefined();
  });

  it('shows a 409 duplicate on the customer code field', async () => {
    mock.on('PATCH', '/customers/7', {
      status: 409,
      data: envelope('customer_duplicate', "customer code 'C001' is taken", [
        { field: 'customer_code', message: "customer code 'C001' is taken" },
      ]),
    });
    await mountForm({ customer: customer({ id: 7, customer_code: 'C007' }) });
    await type('input-customer_code', 'C001');
    byTestId('customer-form-submit')!.click();
    await vi.waitFor(() =>
      expect(byTestId('field-customer_code')!.textContent).toContain('该客户编号已被其他客户使用'),
    );
    expect(mock.callsTo('PATCH', '/customers/7')[0].body).toEqual({ customer_code: 'C001' });
  });

  it('stops on the client-side hints before calling the backend', async () => {
    await mountForm({});
    await type('input-customer_code', 'C1');
    await type('input-company_name', '丙公司');
    await type('input-credit_code', '91350100M000100Y44');
    await type('input-credit_limit', '-5');
    byTestId('customer-form-submit')!.click();
    await vi.waitFor(() => expect(byTestId('field-credit_code')!.textContent).toContain('校验位不正确'));
    expect(byTestId('field-credit_limit')!.textContent).toContain('金额不能为负数');
    expect(mock.callsTo('POST', '/customers')).toHaveLength(0);
  });

  it('emits the saved customer with its money string on success', async () => {
    mock.on('POST', '/customers', (req) => ({
      status: 201,
      data: customer({ ...(req.body as object), credit_limit: '1000.50' }),
    }));
    const w = await mountForm({});
    await type('input-customer_code', 'C2');
    await type('input-company_name', '丁公司');
    await type('input-credit_limit', '1000.5');
    byTestId('customer-form-submit')!.click();
    await vi.waitFor(() => expect(w.emitted('saved')).toHaveLength(1));
    const [saved, created] = w.emitted('saved')![0] as [{ credit_limit: string }, boolean];
    expect(saved.credit_limit).toBe('1000.50');
    expect(created).toBe(true);
    expect(mock.callsTo('POST', '/customers')[0].body).toMatchObject({ credit_limit: '1000.5' });
    expect(w.emitted('update:visible')![0]).toEqual([false]);
  });
});
