import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminApi, pick } from './support/api.mjs';
import { withPage } from './support/browser.mjs';
import { logInAsAdmin, serverAndBrowser } from './support/suite.mjs';
import { startWorker } from './support/worker.mjs';
import { lastMonth } from './support/dates.mjs';

const env = serverAndBrowser();
const api = adminApi(env);
let worker = null;

const PERIOD = lastMonth();
// per unit 0.5 on 2,000 units (two days of 1,000) plus a monthly fee of 100: 1,100.00
const TOTAL = '1100.00';

describe('invoices, payments and reconciliation', () => {
  // The invoice run is a Celery job: a worker on the server's own database and file broker.
  before(
    async () => {
      worker = startWorker(env.server);

      // a customer with a per-unit subscription and two days of usage in the period
      const customer = await api('POST', '/customers', { customer_code: 'E2E-BILL', company_name: 'E2E 结算测试有限公司', status: 'active', payment_terms_days: 30 });
      await api('POST', '/usage-metrics', { code: 'e2e_bill_calls', name: 'E2E 计费调用', unit: '次' });
      const plan = await api('POST', '/pricing-plans', {
        code: 'E2E-BILL-PU', name: 'E2E 按量', metric: 'e2e_bill_calls', mode: 'per_unit', unit_price: '0.5', monthly_fee: '100', effective_from: '2024-01-01',
      });
      await api('POST', '/subscriptions', { customer_id: customer.id, plan_id: plan.id, effective_from: '2024-01-01' });
      const source = await api('POST', '/data-sources', { name: 'e2e-bill-files', adapter: 'file', settings: {} });
      await api('POST', `/data-sources/${source.id}/accounts`, { customer_id: customer.id, external_account: 'acct-e2e-bill' });
      const form = new FormData();
      const csv = `account,metric,day,quantity\nacct-e2e-bill,e2e_bill_calls,${PERIOD}-05,1000\nacct-e2e-bill,e2e_bill_calls,${PERIOD}-06,1000\n`;
      form.append('file', new Blob([csv], { type: 'text/csv' }), 'usage.csv');
      const upload = await api('POST', `/data-sources/${source.id}/uploads`, form);
      assert.equal(upload.status, 'success', JSON.stringify(upload));
    },
    { timeout: 120_000 },
  );

  after(async () => {
    await worker?.stop();
  });

  it('generates last month\'s invoice, records a payment, allocates it, and reverses the allocation', { timeout: 180_000 }, async () => {
    await withPage(env.browser, 'billing-payments', async (page) => {
      await logInAsAdmin(page, env.server, '/invoices');
      await page.getByTestId('invoice-table').waitFor();
      const menu = page.getByTestId('side-menu');
      for (const entry of ['账单', '账单生成记录', '收款核销']) await menu.getByText(entry, { exact: true }).waitFor();

      // --- generate the period's invoices through the UI; the dialog follows the run ---------------------
      await page.getByTestId('invoice-run-open').click();
      const queued = page.waitForResponse((res) => res.url().endsWith('/api/v1/invoice-runs') && res.request().method() === 'POST');
      await page.getByTestId('run-submit').click();
      const queuedReply = await queued;
      assert.equal(queuedReply.status(), 202, await queuedReply.text());
      assert.deepEqual(queuedReply.request().postDataJSON(), { period: PERIOD });
      try {
        await page.locator('[data-testid="run-status"][data-status="success"]').waitFor({ timeout: 90_000 });
      } catch (error) {
        console.error(`[e2e] worker log:\n${worker.log()}`);
        throw error;
      }
      assert.equal((await page.getByTestId('run-summary-invoices').innerText()).trim(), '1');
      assert.equal((await page.getByTestId('run-summary-receivable').innerText()).trim(), '¥ 1,100.00');
      // the result has one close button: the footer's, no Cancel beside it, no close in the header
      const runModal = page.getByTestId('run-modal');
      assert.deepEqual(
        (await runModal.locator('.arco-modal-footer button').allInnerTexts()).map((text) => text.trim()),
        ['关闭'],
      );
      assert.equal(await runModal.locator('.arco-modal-close-btn').count(), 0);
      await page.getByTestId('run-submit').click(); // close
      await runModal.waitFor({ state: 'hidden' });

      // --- the invoice, its lines and the tier breakdown --------------------------------------------------------
      const { items: invoices } = await api('GET', `/invoices?customer_id=${(await api('GET', '/customers?keyword=E2E-BILL')).items[0].id}`);
      assert.equal(invoices.length, 1);
      const invoice = invoices[0];
      assert.equal(invoice.total, TOTAL);
      await page.getByTestId(`invoice-row-${invoice.number}`).click();
      await page.waitForURL((url) => url.pathname === `/invoices/${invoice.id}`);
      await page.locator('[data-testid="invoice-status"][data-status="unsettled"]').waitFor();
      assert.equal(await page.getByTestId('invoice-amount-total').getAttribute('data-value'), TOTAL);
      assert.equal(await page.getByTestId('invoice-amount-outstanding').getAttribute('data-value'), TOTAL);
      const lines = page.getByTestId('invoice-lines');
      await lines.getByTestId('invoice-line-1').getByText('E2E 计费调用').waitFor();
      assert.equal((await lines.getByTestId('invoice-line-amount-1').innerText()).trim(), '1,100.00');
      await lines.locator('.arco-table-expand-btn').first().click();
      await lines.getByTestId('invoice-breakdown-1').waitFor();
      assert.match(await lines.getByTestId('invoice-breakdown-1').innerText(), /2,000/);

      // --- record a payment through the UI (a double click records it once) --------------------------------
      await menu.getByText('收款核销', { exact: true }).click();
      await page.waitForURL((url) => url.pathname === '/payments');
      await page.getByTestId('payment-create').click();
      await pick(page, 'input-payment-customer', 'E2E-BILL');
      await page.getByTestId('input-payment-amount').fill('1,100');
      await page.getByTestId('input-payment-payer').fill('E2E 结算测试有限公司');
      await page.getByTestId('input-payment-reference').fill('E2E-BANK-0001');
      const recorded = page.waitForResponse((res) => res.url().endsWith('/api/v1/payments') && res.request().method() === 'POST');
      await page.getByTestId('payment-submit').dblclick();
      const recordedReply = await recorded;
      assert.equal(recordedReply.status(), 201, await recordedReply.text());
      assert.ok(recordedReply.request().headers()['idempotency-key'], 'the payment is sent with an Idempotency-Key');
      assert.equal(recordedReply.request().postDataJSON().amount, '1100');
      const payment = await recordedReply.json();
      await page.waitForURL((url) => url.pathname === `/payments/${payment.id}`);
      const { items: payments } = await api('GET', '/payments?q=E2E-BANK-0001');
      assert.equal(payments.length, 1, 'one payment for one form');

      // --- allocate it on the reconcile page from the exact-match suggestion --------------------------------------
      await page.locator('[data-testid="payment-status"][data-status="unallocated"]').waitFor();
      await page.getByTestId('suggestions-exact').waitFor();
      await page.getByTestId('suggestion-apply-exact-0').click();
      assert.equal(await page.getByTestId(`allocation-amount-input-${invoice.id}`).inputValue(), TOTAL);
      assert.equal((await page.getByTestId('allocation-remaining').innerText()).trim(), '0.00');
      const allocated = page.waitForResponse((res) => res.url().endsWith('/api/v1/allocations') && res.request().method() === 'POST');
      await page.getByTestId('allocation-confirm').click();
      const allocatedReply = await allocated;
      assert.equal(allocatedReply.status(), 201, await allocatedReply.text());
      // the suggestion applied as offered is recorded as such, not as a manual allocation
      assert.deepEqual(allocatedReply.request().postDataJSON(), {
        payment_id: payment.id,
        lines: [{ invoice_id: invoice.id, amount: TOTAL }],
        source: 'suggestion',
      });
      assert.equal((await allocatedReply.json()).allocations[0].source, 'suggestion');
      await page.locator('[data-testid="payment-status"][data-status="allocated"]').waitFor();
      assert.equal((await page.getByTestId('payment-unallocated').innerText()).trim(), '¥ 0.00');
      await page.getByTestId('payment-allocations').getByText('按建议', { exact: true }).waitFor();

      // --- the invoice is settled; reversing the allocation makes it unsettled again ---------------------------
      await page.getByTestId('payment-allocations').getByText(invoice.number).click();
      await page.waitForURL((url) => url.pathname === `/invoices/${invoice.id}`);
      await page.locator('[data-testid="invoice-status"][data-status="settled"]').waitFor();
      assert.equal(await page.getByTestId('invoice-amount-outstanding').getAttribute('data-value'), '0.00');
      assert.equal(await page.getByTestId('invoice-amount-paid').getAttribute('data-value'), TOTAL);
      const [allocation] = (await allocatedReply.json()).allocations;
      await page.getByTestId(`allocation-reverse-${allocation.id}`).click();
      await page.getByTestId('reverse-dialog-submit').click(); // a reason is required
      await page.getByTestId('reverse-dialog').getByText('请填写原因').waitFor();
      await page.getByTestId('reverse-dialog-reason').locator('textarea').fill('E2E 误核销');
      await page.getByTestId('reverse-dialog-submit').click();
      await page.locator('[data-testid="invoice-status"][data-status="unsettled"]').waitFor();
      assert.equal(await page.getByTestId('invoice-amount-outstanding').getAttribute('data-value'), TOTAL);
      await page.getByTestId(`allocation-reversed-${allocation.id}`).waitFor();
      const reversed = await api('GET', `/payments/${payment.id}`);
      assert.equal(reversed.unallocated_amount, TOTAL);
      assert.equal(reversed.status, 'unallocated');
    });
  });
});
