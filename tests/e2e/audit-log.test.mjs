import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminApi, pick } from './support/api.mjs';
import { saveScreenshot, withPage } from './support/browser.mjs';
import { serverAndBrowser } from './support/suite.mjs';
import { startWorker } from './support/worker.mjs';
import { lastMonth, today } from './support/dates.mjs';

const env = serverAndBrowser();
const api = adminApi(env);
let worker = null;

const AUDITOR = { username: 'e2e-auditor', password: 'Audit-Pa55word-2026', display_name: 'E2E 审计员' };

const PERIOD = lastMonth();
let invoice = null;

async function logInAsAuditor(page, path) {
  await page.goto(`${env.server.baseURL}/login?redirect=${encodeURIComponent(path)}`);
  await page.getByTestId('login-username').fill(AUDITOR.username);
  await page.getByTestId('login-password').fill(AUDITOR.password);
  await page.getByTestId('login-submit').click();
  await page.waitForURL((url) => url.pathname === path);
}

describe('audit log', () => {
  // an invoice (from a real invoice run on a worker) with part of a payment allocated to it, and an auditor
  before(
    async () => {
      worker = startWorker(env.server);
      const customer = await api('POST', '/customers', { customer_code: 'E2E-AUDIT', company_name: 'E2E 审计测试有限公司', status: 'active', payment_terms_days: 30 });
      await api('POST', '/usage-metrics', { code: 'e2e_audit_calls', name: 'E2E 审计调用', unit: '次' });
      const plan = await api('POST', '/pricing-plans', {
        code: 'E2E-AUDIT-PU', name: 'E2E 审计按量', metric: 'e2e_audit_calls', mode: 'per_unit', unit_price: '0.5', monthly_fee: '100', effective_from: '2024-01-01',
      });
      await api('POST', '/subscriptions', { customer_id: customer.id, plan_id: plan.id, effective_from: '2024-01-01' });
      const source = await api('POST', '/data-sources', { name: 'e2e-audit-files', adapter: 'file', settings: {} });
      await api('POST', `/data-sources/${source.id}/accounts`, { customer_id: customer.id, external_account: 'acct-e2e-audit' });
      const form = new FormData();
      const csv = `account,metric,day,quantity\nacct-e2e-audit,e2e_audit_calls,${PERIOD}-05,1000\nacct-e2e-audit,e2e_audit_calls,${PERIOD}-06,1000\n`;
      form.append('file', new Blob([csv], { type: 'text/csv' }), 'usage.csv');
      const upload = await api('POST', `/data-sources/${source.id}/uploads`, form);
      assert.equal(upload.status, 'success', JSON.stringify(upload));

      await api('POST', '/invoice-runs', { period: PERIOD }, [202]);
      const deadline = Date.now() + 90_000;
      while (!invoice) {
        const { items } = await api('GET', `/invoices?customer_id=${customer.id}`);
        if (items.length) [invoice] = items;
        else if (Date.now() > deadline) {
          console.error(`[e2e] worker log:\n${worker.log()}`);
          throw new Error('no invoice after 90 s');
        } else await new Promise((resolve) => setTimeout(resolve, 500));
      }
      assert.equal(invoice.total, '1100.00');
      const payment = await api('POST', '/payments', {
        customer_id: customer.id, amount: '1500.00', received_on: today(), method: 'bank_transfer', bank_reference: 'E2E-AUDIT-0001',
      });
      await api('POST', '/allocations', { payment_id: payment.id, lines: [{ invoice_id: invoice.id, amount: '1000.00' }] });
      await api('POST', '/users', { ...AUDITOR, role: 'auditor' });
    },
    { timeout: 150_000 },
  );

  after(async () => {
    await worker?.stop();
  });

  it('an auditor filters the log to one invoice, opens the diff of its allocation, and follows the invoice page\'s history link', { timeout: 120_000 }, async () => {
    await withPage(env.browser, 'audit-log', async (page) => {
      await logInAsAuditor(page, '/audit-log');
      await page.getByTestId('audit-log-page').waitFor();
      await page.getByTestId('side-menu').getByText('审计日志', { exact: true }).waitFor();
      await page.locator('[data-testid="audit-table"] .arco-table-tr').nth(1).waitFor();

      // --- filter to the invoice: its type and id ----------------------------------------------------------
      // (an exact pick: '红字发票' is an entity type too)
      await pick(page, 'audit-filter-entity-type', /^发票$/);
      await page.getByTestId('audit-filter-entity-id').fill(String(invoice.id));
      const searched = page.waitForResponse((res) => res.url().includes('/api/v1/audit-log?') && res.url().includes(`entity_id=${invoice.id}`));
      await page.getByTestId('audit-filter-search').click();
      const answer = await (await searched).json();
      await page.waitForURL((url) => url.searchParams.get('entity_type') === 'invoice' && url.searchParams.get('entity_id') === String(invoice.id));
      // newest first: the allocation, then the creation by the invoice run
      assert.deepEqual(answer.items.map((entry) => entry.action), ['allocate', 'create']);
      assert.ok(answer.items.every((entry) => entry.entity_type === 'invoice' && entry.entity_id === String(invoice.id)));
      assert.equal(answer.next_cursor, null);
      const rows = page.locator('[data-testid="audit-table"] tbody .arco-table-tr');
      await page.getByTestId('audit-end').waitFor();
      assert.equal(await rows.count(), 2);

      // --- the allocation's diff: the changed fields only, amounts formatted ------------------------------------
      const allocation = answer.items[0];
      await page.getByTestId(`audit-open-${allocation.id}`).click();
      const drawer = page.getByTestId('audit-drawer');
      await drawer.getByTestId('audit-diff').waitFor();
      const outstanding = drawer.getByTestId('audit-diff-row-outstanding');
      assert.match(await outstanding.innerText(), /1,100\.00\s+100\.00/);
      assert.match(await drawer.getByTestId('audit-diff-row-paid_amount').innerText(), /0\.00\s+1,000\.00/);
      assert.match(await drawer.getByTestId('audit-diff-row-status').innerText(), /未结算\s+部分结算/);
      assert.equal(await drawer.getByTestId('audit-diff-row-total').count(), 0, 'an unchanged field is not listed');
      assert.match(await drawer.innerText(), /核销/);
      // the drawer has slid in (its transition over) before the picture
      await page.waitForFunction(() => {
        const panel = document.querySelector('.arco-drawer');
        return panel !== null && panel.getAnimations({ subtree: true }).length === 0;
      });
      await saveScreenshot(page, 'audit-log-diff');

      // --- the export downloads the filtered log ---------------------------------------------------------------
      await page.keyboard.press('Escape');
      await drawer.waitFor({ state: 'hidden' });
      const download = page.waitForEvent('download');
      await page.getByTestId('audit-export').click();
      assert.match((await download).suggestedFilename(), /^audit-log-\d{8}-\d{6}\.xlsx$/);

      // --- the invoice's page links to its history, the filters filled in ----------------------------------------
      await page.goto(`${env.server.baseURL}/invoices/${invoice.id}`);
      await page.getByTestId('invoice-history').click();
      await page.waitForURL((url) => url.pathname === '/audit-log' && url.searchParams.get('entity_id') === String(invoice.id));
      assert.equal(await page.getByTestId('audit-filter-entity-id').inputValue(), String(invoice.id));
      await page.getByTestId('audit-end').waitFor();
      assert.equal(await rows.count(), 2);
      await saveScreenshot(page, 'audit-log');
    });
  });
});
