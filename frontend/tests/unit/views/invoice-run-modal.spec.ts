import { describe, expect, it } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import { defineComponent, h, ref } from 'vue';
import type { InvoiceRun } from '@/api/billing';
import RunModal from '@/views/invoices/components/run-modal.vue';
import AutoReconcileModal from '@/views/payments/components/auto-reconcile-modal.vue';
import { mockTheApi } from '../helpers/mock-adapter';
import { mountedViews } from '../helpers/mount-view';

const mock = mockTheApi();
const { mountView } = mountedViews();

function finishedRun(): InvoiceRun {
  return {
    id: 7,
    task_name: 'billing.run_period',
    trigger: 'manual',
    parameters: { period: '2026-10' },
    status: 'success',
    created_at: '2026-11-01T00:00:00Z',
    started_at: '2026-11-01T00:00:00Z',
    finished_at: '2026-11-01T00:00:01Z',
    duration_ms: 1000,
    counters: {},
    log_excerpt: null,
    error: null,
    triggered_by: 'finance',
    retry_of_id: null,
    result: {
      period: '2026-10',
      invoices: 3,
      receivable_total: '3300.00',
      skipped: 0,
      failed: 0,
      no_charge: 0,
      by_level: [],
      by_industry: [],
    },
  };
}

const visible = ref(true);
const Host = defineComponent({
  setup() {
    visible.value = true;
    return () =>
      h(RunModal, { visible: visible.value, 'onUpdate:visible': (v: boolean) => (visible.value = v) });
  },
});

function modal(): HTMLElement {
  return document.body.querySelector('[data-testid="run-modal"]') as HTMLElement;
}

describe('invoice run dialog', () => {
  it('shows a finished run with exactly one close button', async () => {
    // given the dialog open on a period
    mock.on('POST', '/invoice-runs', { status: 202, data: finishedRun() });
    await mountView(Host);
    expect(modal().querySelectorAll('.arco-modal-footer button')).toHaveLength(2); // Cancel, Start
    // when the run is started and has finished
    (document.body.querySelector('[data-testid="run-submit"]') as HTMLElement).click();
    for (let i = 0; i < 3; i += 1) await flushPromises();
    expect(document.body.querySelector('[data-testid="run-summary"]')).not.toBeNull();
    // then one button closes it: the footer's, and no close in the header
    const buttons = modal().querySelectorAll('.arco-modal-footer button');
    expect(Array.from(buttons).map((b) => b.textContent?.trim())).toEqual(['关闭']);
    expect(modal().querySelector('.arco-modal-close-btn')).toBeNull();
    (buttons[0] as HTMLElement).click();
    await flushPromises();
    expect(visible.value).toBe(false);
  });
});

describe('auto-reconcile dialog', () => {
  it('shows what it allocated with exactly one close button', async () => {
    // given one payment with exactly one matching invoice
    const planned = [
      { payment_id: 1, invoice_id: 2, invoice_number: 'INV-202610-000001', amount: '1100.00' },
    ];
    const answer = { allocations: [], planned, considered: 1, allocated: 1, waiting: 0 };
    mock.on('POST', '/allocations/auto', { status: 200, data: answer });
    const AutoHost = defineComponent({
      setup() {
        visible.value = true;
        return () =>
          h(AutoReconcileModal, {
            visible: visible.value,
            'onUpdate:visible': (v: boolean) => (visible.value = v),
          });
      },
    });
    await mountView(AutoHost);
    const dialog = () => document.body.querySelector('[data-testid="auto-modal"]') as HTMLElement;
    expect(dialog().querySelectorAll('.arco-modal-footer button')).toHaveLength(2); // Cancel, Confirm
    // when it is confirmed
    (document.body.querySelector('[data-testid="auto-submit"]') as HTMLElement).click();
    for (let i = 0; i < 3; i += 1) await flushPromises();
    // then the result closes one way
    const buttons = dialog().querySelectorAll('.arco-modal-footer button');
    expect(Array.from(buttons).map((b) => b.textContent?.trim())).toEqual(['关闭']);
    expect(dialog().querySelector('.arco-modal-close-btn')).toBeNull();
  });
});
