import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { createMemoryHistory, createRouter } from 'vue-router';
import ArcoVue from '@arco-design/web-vue';
import ArcoVueIcon from '@arco-design/web-vue/es/icon';
import { useAuthStore } from '@/store/auth';
import PaymentForm from '@/views/payments/form.vue';
import PaymentsPage from '@/views/payments/list.vue';
import PaymentDetailPage from '@/views/payments/detail.vue';
import AllocationEditor from '@/views/payments/components/allocation-editor.vue';
import type { AllocationDraft } from '@/views/payments/data';
import { envelope, mockTheApi } from '../helpers/mock-adapter';
import { userWithRole } from '../helpers/fixtures';

const mock = mockTheApi();
let pinia: Pinia;
let wrapper: VueWrapper | undefined;

beforeEach(() => {
  localStorage.clear();
  pinia = createPinia();
  setActivePinia(pinia);
});

afterEach(() => {
  wrapper?.unmount();
  wrapper = undefined;
  document.body.innerHTML = '';
});

function router() {
  return createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/:p(.*)*', name: 'any', component: { template: '<div />' } },
      { path: '/invoices/:id', name: 'invoice-detail', component: { template: '<div />' } },
      { path: '/payments/:id', name: 'payment-detail', component: { template: '<div />' } },
      { path: '/customers/:id', name: 'customer-detail', component: { template: '<div />' } },
    ],
  });
}

function input(testid: string): HTMLInputElement {
  return document.body.querySelector(`[data-testid="${testid}"]`) as HTMLInputElement;
}

async function type(testid: string, value: string) {
  const el = input(testid);
  el.value = value;
  el.dispatchEvent(new Event('input'));
  await flushPromises();
}

async function click(testid: string) {
  (document.body.querySelector(`[data-testid="${testid}"]`) as HTMLElement).click();
  await flushPromises();
}

describe('record payment form', () => {
  it('sends one Idempotency-Key for every submit of an opened form, a new one when reopened, and shows a 409 duplicate reference', async () => {
    useAuthStore().user = userWithRole('finance', { permissions: ['payments:write'] });
    mock.on('POST', '/payments', {
      status: 409,
      data: envelope('payment_duplicate', 'bank_transfer reference B-1 is already recorded (payment #3)', [
        { field: 'bank_reference', message: 'already recorded' },
      ]),
    });
    wrapper = mount(PaymentForm, {
      props: { visible: true },
      global: { plugins: [pinia, router(), ArcoVue, ArcoVueIcon] },
      attachTo: document.body,
    });
    await flushPromises();
    await type('input-payment-amount', '1,234.50');
    await type('input-payment-reference', 'B-1');
    await click('payment-submit');
    await click('payment-submit');
    const calls = mock.callsTo('POST', '/payments');
    expect(calls).toHaveLength(2);
    const key = calls[0].headers.get('Idempotency-Key');
    expect(key).toMatch(/^[0-9a-f-]{36}$/);
    expect(calls[1].headers.get('Idempotency-Key')).toBe(key);
    expect(calls[0].body).toMatchObject({
      amount: '1234.50',
      method: 'bank_transfer',
      bank_reference: 'B-1',
    });
    expect(document.body.querySelector('[data-testid="payment-conflict"]')?.textContent).toContain(
      'B-1 is already recorded',
    );

    await wrapper.setProps({ visible: false });
    await wrapper.setProps({ visible: true });
    await flushPromises();
    await type('input-payment-amount', '10');
    await click('payment-submit');
    expect(mock.callsTo('POST', '/payments')[2].headers.get('Idempotency-Key')).not.toBe(key);
  });

  it('does not send an amount that is not > 0 with two decimals', async () => {
    useAuthStore().user = userWithRole('finance', { permissions: ['payments:write'] });
    wrapper = mount(PaymentForm, {
      props: { visible: true },
      global: { plugins: [pinia, router(), ArcoVue, ArcoVueIcon] },
      attachTo: document.body,
    });
    await flushPromises();
    await type('input-payment-amount', '10.001');
    await click('payment-submit');
    expect(mock.callsTo('POST', '/payments')).toHaveLength(0);
  });
});

describe('allocation table', () => {
  function mountEditor(
    drafts: AllocationDraft[],
    unallocated: string,
    suggested: AllocationDraft[] | null = null,
  ) {
    useAuthStore().user = userWithRole('finance', { permissions: ['payments:allocate'] });
    wrapper = mount(AllocationEditor, {
      props: {
        paymentId: 5,
        unallocated,
        openInvoices: [],
        drafts,
        suggested,
        'onUpdate:drafts': (value: AllocationDraft[]) => wrapper?.setProps({ drafts: value }),
      },
      global: { plugins: [pinia, router(), ArcoVue, ArcoVueIcon] },
      attachTo: document.body,
    });
    return flushPromises();
  }
  const line = (id: number, outstanding: string, amount: string): AllocationDraft => ({
    invoice_id: id,
    number: `INV-${id}`,
    period: '2026-01',
    due_date: '2026-02-28',
    outstanding,
    amount,
  });

  it('never posts a line over its outstanding or lines over the unallocated amount', async () => {
    await mountEditor([line(1, '100.00', '100.01')], '500.00');
    await click('allocation-confirm');
    expect(mock.callsTo('POST', '/allocations')).toHaveLength(0);
    expect(document.body.querySelector('[data-testid="allocation-line-error-1"]')?.textContent).toContain(
      '100.00',
    );

    await wrapper!.setProps({
      drafts: [line(1, '100.00', '60.00'), line(2, '100.00', '40.01')],
      unallocated: '100.00',
    });
    await click('allocation-confirm');
    expect(mock.callsTo('POST', '/allocations')).toHaveLength(0);
    expect(document.body.querySelector('[data-testid="allocation-total-error"]')?.textContent).toContain(
      '100.00',
    );
    expect(document.body.querySelector('[data-testid="allocation-remaining"]')?.textContent).toBe('-0.01');
  });

  it('posts valid lines exactly as typed (separators dropped) and clears the table', async () => {
    mock.on('POST', '/allocations', { status: 201, data: { allocations: [{ id: 1 }] } });
    await mountEditor([line(1, '1500.00', '1,000.10'), line(2, '100.00', '0.20')], '1000.30');
    expect(document.body.querySelector('[data-testid="allocation-sum"]')?.textContent).toBe('1,000.30');
    await click('allocation-confirm');
    expect(mock.callsTo('POST', '/allocations')[0].body).toEqual({
      payment_id: 5,
      lines: [
        { invoice_id: 1, amount: '1000.10' },
        { invoice_id: 2, amount: '0.20' },
      ],
      source: 'manual',
    });
    expect(wrapper!.emitted('allocated')).toHaveLength(1);
    expect((wrapper!.props() as { drafts: unknown }).drafts).toEqual([]);
  });

  it('posts a suggestion applied as offered as a suggestion, and as manual once a line is changed', async () => {
    mock.on('POST', '/allocations', { status: 201, data: { allocations: [{ id: 1 }] } });
    // given a suggestion applied: its lines, unchanged
    const offered = [line(1, '100.00', '100.00'), line(2, '200.00', '200.00')];
    await mountEditor([...offered], '300.00', offered);
    await click('allocation-confirm');
    expect(mock.callsTo('POST', '/allocations')[0].body).toMatchObject({ source: 'suggestion' });
    // given the same suggestion with one amount changed by hand
    await wrapper!.setProps({ drafts: [line(1, '100.00', '100.00'), line(2, '200.00', '150.00')] });
    await flushPromises();
    await click('allocation-confirm');
    expect(mock.callsTo('POST', '/allocations')[1].body).toMatchObject({ source: 'manual' });
  });

  it('sends the same lines again under the same Idempotency-Key and changed lines under a new one', async () => {
    // the first answer is lost (a 502 from the proxy): confirming again must not allocate twice
    mock.on('POST', '/allocations', { status: 502, data: {} });
    await mountEditor([line(1, '100.00', '40.00')], '100.00');
    await click('allocation-confirm');
    await click('allocation-confirm');
    await wrapper!.setProps({ drafts: [line(1, '100.00', '50.00')] });
    await flushPromises();
    await click('allocation-confirm');
    const keys = mock.callsTo('POST', '/allocations').map((call) => call.headers.get('Idempotency-Key'));
    expect(keys).toHaveLength(3);
    expect(keys[0]).toBeTruthy();
    expect(keys[1]).toBe(keys[0]);
    expect(keys[2]).not.toBe(keys[0]);
  });
});

describe('payments page', () => {
  it('hides recording and auto-reconcile from a read-only role', async () => {
    mock.on('GET', '/payments', { status: 200, data: { items: [], total: 0, page: 1, page_size: 20 } });
    useAuthStore().user = userWithRole('auditor', { permissions: ['payments:read', 'billing:read'] });
    const r = router();
    await r.push('/payments');
    wrapper = mount(PaymentsPage, {
      global: { plugins: [pinia, r, ArcoVue, ArcoVueIcon] },
      attachTo: document.body,
    });
    await flushPromises();
    expect(mock.callsTo('GET', '/payments')[0].params).toEqual({
      page: 1,
      page_size: 20,
      sort: '-received_on',
    });
    expect(wrapper.find('[data-testid="payment-create"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="payment-auto-open"]').exists()).toBe(false);
  });

  it('shows them to finance', async () => {
    mock.on('GET', '/payments', { status: 200, data: { items: [], total: 0, page: 1, page_size: 20 } });
    useAuthStore().user = userWithRole('finance', {
      permissions: ['payments:read', 'payments:write', 'payments:allocate'],
    });
    const r = router();
    await r.push('/payments?customer_id=7&customer=C007');
    wrapper = mount(PaymentsPage, {
      global: { plugins: [pinia, r, ArcoVue, ArcoVueIcon] },
      attachTo: document.body,
    });
    await flushPromises();
    expect(mock.callsTo('GET', '/payments')[0].params).toMatchObject({ customer_id: 7 });
    expect(wrapper.find('[data-testid="payment-create"]').exists()).toBe(true);
    expect(wrapper.find('[data-testid="payment-auto-open"]').exists()).toBe(true);
  });
});

describe('payment detail: void', () => {
  const payment = (fields: Record<string, unknown>) => ({
    id: 5,
    customer_id: 7,
    customer_code: 'C7',
    company_name: '示例',
    amount: '100.00',
    currency: 'CNY',
    received_on: '2026-02-03',
    method: 'bank_transfer',
    payer_name: null,
    bank_reference: 'B-1',
    remark: null,
    allocated_amount: '0.00',
    unallocated_amount: '100.00',
    status: 'unallocated',
    created_at: '2026-02-03T00:00:00Z',
    created_by: 'finance',
    allocations: [],
    ...fields,
  });
  async function mountDetail(role: Parameters<typeof userWithRole>[0], permissions: string[]) {
    useAuthStore().user = userWithRole(role, { permissions });
    const r = router();
    await r.push('/payments/5');
    wrapper = mount(PaymentDetailPage, {
      global: { plugins: [pinia, r, ArcoVue, ArcoVueIcon] },
      attachTo: document.body,
    });
    await flushPromises();
  }

  it('voids an unallocated payment with a reason, and shows who voided it', async () => {
    mock.on('GET', '/payments/5', { status: 200, data: payment({}) });
    mock.on('GET', '/payments/5/suggestions', {
      status: 200,
      data: { payment_id: 5, unallocated_amount: '100.00', suggestions: [], customer_candidates: [] },
    });
    mock.on('GET', '/invoices', { status: 200, data: { items: [], total: 0, page: 1, page_size: 200 } });
    mock.on('POST', '/payments/5/void', { status: 200, data: payment({ status: 'void' }) });
    await mountDetail('finance', ['payments:read', 'payments:write', 'payments:allocate', 'billing:read']);
    await click('payment-void');
    const reason = document.body.querySelector(
      '[data-testid="payment-void-dialog-reason"] textarea',
    ) as HTMLTextAreaElement;
    reason.value = ' 金额录错 ';
    reason.dispatchEvent(new Event('input'));
    await flushPromises();
    mock.on('GET', '/payments/5', {
      status: 200,
      data: payment({
        status: 'void',
        unallocated_amount: '0.00',
        voided_by: 'finance',
        voided_at: '2026-02-04T01:00:00Z',
        void_reason: '金额录错',
      }),
    });
    await click('payment-void-dialog-submit');
    expect(mock.callsTo('POST', '/payments/5/void')[0].body).toEqual({ reason: '金额录错' });
    expect(document.body.querySelector('[data-testid="payment-void-info"]')?.textContent).toContain(
      '金额录错',
    );
    expect(document.body.querySelector('[data-testid="payment-void"]')).toBeNull();
  });

  it('offers no void for a payment with allocations, nor to a read-only role', async () => {
    mock.on('GET', '/payments/5', {
      status: 200,
      data: payment({
        allocated_amount: '40.00',
        unallocated_amount: '60.00',
        status: 'partially_allocated',
      }),
    });
    mock.on('GET', '/payments/5/suggestions', {
      status: 200,
      data: { payment_id: 5, unallocated_amount: '60.00', suggestions: [], customer_candidates: [] },
    });
    mock.on('GET', '/invoices', { status: 200, data: { items: [], total: 0, page: 1, page_size: 200 } });
    await mountDetail('finance', ['payments:read', 'payments:write', 'payments:allocate', 'billing:read']);
    expect(document.body.querySelector('[data-testid="payment-void"]')).toBeNull();
    wrapper?.unmount();
    mock.on('GET', '/payments/5', { status: 200, data: payment({}) });
    await mountDetail('auditor', ['payments:read', 'billing:read']);
    expect(document.body.querySelector('[data-testid="payment-status"]')).not.toBeNull();
    expect(document.body.querySelector('[data-testid="payment-void"]')).toBeNull();
  });
});
