import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { adminApi, pick } from './support/api.mjs';
import { withPage } from './support/browser.mjs';
import { REPO_ROOT } from './support/paths.mjs';
import { logInAsAdmin, serverAndBrowser } from './support/suite.mjs';
import { startWorker } from './support/worker.mjs';
import { lastMonth } from './support/dates.mjs';

const env = serverAndBrowser();
const api = adminApi(env);
let worker = null;

const PERIOD = lastMonth();
/**
 * An ICBC export (GBK, title lines, a blank line, an outgoing line, a totals row) of two incoming
 * lines: 1,100.00 from "E2E 流水甲有限公司" (the customer's own name, the amount of its invoice: a
 * high-confidence match) and 600.00 from "张三" (nobody we know: matched by hand to customer B).
 */
const STATEMENT = path.join(REPO_ROOT, 'tests', 'e2e', 'fixtures', 'icbc-statement.gbk.csv');
const CUSTOMERS = [
  { code: 'E2E-STMT-A', name: 'E2E 流水甲有限公司', account: 'acct-e2e-stmt-a', units: 1000 }, // 100 + 2 × 1000 × 0.5 = 1,100.00
  { code: 'E2E-STMT-B', name: 'E2E 流水乙有限公司', account: 'acct-e2e-stmt-b', units: 500 }, // 100 + 2 × 500 × 0.5 = 600.00
];
const invoices = {};
const AUDITOR = { username: 'e2e-stmt-auditor', password: 'Audit-Pa55word-2026', display_name: 'E2E 流水审计员' };
let statementId = null;

describe('bank statements', () => {
  // two customers with one invoice each, from a real invoice run on a worker
  before(
    async () => {
      worker = startWorker(env.server);
      await api('POST', '/usage-metrics', { code: 'e2e_stmt_calls', name: 'E2E 流水调用', unit: '次' });
      const plan = await api('POST', '/pricing-plans', {
        code: 'E2E-STMT-PU', name: 'E2E 流水按量', metric: 'e2e_stmt_calls', mode: 'per_unit', unit_price: '0.5', monthly_fee: '100', effective_from: '2024-01-01',
      });
      const source = await api('POST', '/data-sources', { name: 'e2e-stmt-files', adapter: 'file', settings: {} });
      let csv = 'account,metric,day,quantity\n';
      for (const c of CUSTOMERS) {
        const customer = await api('POST', '/customers', { customer_code: c.code, company_name: c.name, status: 'active', payment_terms_days: 30 });
        c.id = customer.id;
        await api('POST', '/subscriptions', { customer_id: customer.id, plan_id: plan.id, effective_from: '2024-01-01' });
        await api('POST', `/data-sources/${source.id}/accounts`, { customer_id: customer.id, external_account: c.account });
        csv += `${c.account},e2e_stmt_calls,${PERIOD}-05,${c.units}\n${c.account},e2e_stmt_calls,${PERIOD}-06,${c.units}\n`;
      }
      const form = new FormData();
      form.append('file', new Blob([csv], { type: 'text/csv' }), 'usage.csv');
      const upload = await api('POST', `/data-sources/${source.id}/uploads`, form);
      assert.equal(upload.status, 'success', JSON.stringify(upload));

      await api('POST', '/invoice-runs', { period: PERIOD }, [202]);
      const deadline = Date.now() + 90_000;
      while (Object.keys(invoices).length < CUSTOMERS.length) {
        for (const c of CUSTOMERS) {
          const { items } = await api('GET', `/invoices?customer_id=${c.id}`);
          if (items.length) invoices[c.code] = items[0];
        }
        if (Object.keys(invoices).length === CUSTOMERS.length) break;
        if (Date.now() > deadline) {
          console.error(`[e2e] worker log:\n${worker.log()}`);
          throw new Error('no invoices after 90 s');
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      assert.equal(invoices['E2E-STMT-A'].total, '1100.00');
      assert.equal(invoices['E2E-STMT-B'].total, '600.00');
    },
    { timeout: 150_000 },
  );

  after(async () => {
    await worker?.stop();
  });

  it('imports a GBK statement, accepts the high-confidence match, matches one line by hand and settles both invoices, then undoes that line and splits it across both customers', { timeout: 180_000 }, async () => {
    await withPage(env.browser, 'bank-statements', async (page) => {
      await logInAsAdmin(page, env.server, '/bank-statements');
      await page.getByTestId('statement-table').waitFor();
      await page.getByTestId('side-menu').getByText('银行流水', { exact: true }).waitFor();

      // --- import: the preview reads it as ICBC, then the import says what it found ----------------------
      await page.getByTestId('statement-create').click();
      await page.getByTestId('statement-upload').locator('input[type=file]').setInputFiles({
        name: 'icbc-statement.csv',
        mimeType: 'text/csv',
        buffer: await readFile(STATEMENT),
      });
      await page.getByTestId('statement-file').waitFor();
      const previewed = page.waitForResponse((res) => res.url().endsWith('/api/v1/bank-statements/preview'));
      await page.getByTestId('statement-import-submit').click();
      assert.equal((await previewed).status(), 200, await (await previewed).text());
      const detected = await page.getByTestId('statement-detected').innerText();
      assert.match(detected, /工商银行/);
      assert.match(detected, /gb18030/i);
      assert.match(await page.getByTestId('statement-preview-lines').innerText(), /支出，不是收款/);

      // correct the mapping (the payer's bank from the 对方行号 column), read it again, save it under a name
      await pick(page, 'statement-mapping-payer_bank', '对方行号');
      const reread = page.waitForResponse((res) => res.url().endsWith('/api/v1/bank-statements/preview'));
      await page.getByTestId('statement-preview-again').click();
      assert.equal((await reread).status(), 200, await (await reread).text());
      await page.getByTestId('statement-save-as').fill('E2E 工行带行号');

      const imported = page.waitForResponse((res) => res.url().endsWith('/api/v1/bank-statements') && res.request().method() === 'POST');
      await page.getByTestId('statement-import-submit').click();
      const importedReply = await imported;
      assert.equal(importedReply.status(), 201, await importedReply.text());
      // the corrected mapping was imported with and saved under its name
      const { items: profiles } = await api('GET', '/bank-statement-profiles');
      const saved = profiles.find((p) => p.name === 'E2E 工行带行号');
      assert.equal(saved?.builtin, false, JSON.stringify(profiles.map((p) => p.name)));
      assert.equal(saved.mapping.payer_bank, '对方行号');
      const statement = await importedReply.json();
      statementId = statement.id;
      assert.equal(statement.incoming, 2);
      assert.equal(statement.duplicates, 0);
      await page.getByTestId('statement-import-done').waitFor();
      assert.equal((await page.getByTestId('statement-import-incoming').innerText()).trim().split('\n')[0], '2');
      const skipped = await page.getByTestId('statement-import-skipped-lines').innerText();
      assert.match(skipped, /支出，不是收款/);
      assert.match(skipped, /合计行/);

      // --- the workbench: one line proposed with high confidence, one without a customer -------------------
      await page.getByTestId('statement-import-submit').click(); // 去核销
      await page.waitForURL((url) => url.pathname === `/bank-statements/${statement.id}`);
      const { items: lines } = await api('GET', `/bank-statements/${statement.id}/lines?kind=incoming`);
      const high = lines.find((l) => l.serial === 'E2E-SN-000001');
      const stranger = lines.find((l) => l.serial === 'E2E-SN-000002');
      assert.equal(high.confidence, 'high', JSON.stringify(high));
      assert.equal(high.customer_id, CUSTOMERS[0].id);
      assert.equal(stranger.customer_id, null, JSON.stringify(stranger));
      assert.equal(await page.getByTestId(`line-confidence-${high.id}`).getAttribute('data-confidence'), 'high');
      await page.getByTestId('statement-lines').getByText('付款户名与客户名称一致；金额与一张账单的未结金额一致').waitFor();

      // --- accept every high-confidence line in one action ----------------------------------------------------
      const acceptedAll = page.waitForResponse((res) => res.url().endsWith(`/api/v1/bank-statements/${statement.id}/accept`));
      await page.getByTestId('statement-accept-high').click();
      const acceptedReply = await acceptedAll;
      assert.equal(acceptedReply.status(), 200, await acceptedReply.text());
      assert.deepEqual(acceptedReply.request().postDataJSON(), { confidence: 'high' });
      assert.equal((await acceptedReply.json()).accepted, 1);
      await page.locator(`[data-testid="line-status-${high.id}"][data-status="accepted"]`).waitFor();
      await page.locator(`[data-testid="line-status-${stranger.id}"][data-status="open"]`).waitFor();

      // --- match the stranger's line by hand: customer B, its invoice ------------------------------------------
      await page.getByTestId(`line-hand-${stranger.id}`).click();
      await pick(page, 'statement-hand-customer', 'E2E-STMT-B');
      await pick(page, 'statement-hand-add', invoices['E2E-STMT-B'].number);
      assert.equal(await page.getByTestId(`statement-hand-amount-${invoices['E2E-STMT-B'].id}`).inputValue(), '600.00');
      assert.equal((await page.getByTestId('statement-hand-remaining').innerText()).trim(), '0.00');
      const byHand = page.waitForResponse((res) => res.url().endsWith(`/api/v1/bank-statement-lines/${stranger.id}/accept`));
      await page.getByTestId('statement-hand-submit').click();
      const byHandReply = await byHand;
      assert.equal(byHandReply.status(), 200, await byHandReply.text());
      assert.deepEqual(byHandReply.request().postDataJSON(), {
        customer_id: CUSTOMERS[1].id,
        allocations: [{ invoice_id: invoices['E2E-STMT-B'].id, amount: '600.00' }],
      });
      await page.locator(`[data-testid="line-status-${stranger.id}"][data-status="accepted"]`).waitFor();

      // --- the report: one line automatically, one by hand, none open ----------------------------------------
      const figure = (key) => page.getByTestId(`statement-report-${key}`).locator('[data-count]');
      await page.locator('[data-testid="statement-report-by_hand"] [data-count="1"]').waitFor();
      assert.equal(await figure('auto').getAttribute('data-amount'), '1100.00');
      assert.equal(await figure('auto').getAttribute('data-count'), '1');
      assert.equal(await figure('by_hand').getAttribute('data-amount'), '600.00');
      assert.equal(await figure('open').getAttribute('data-count'), '0');
      const download = page.waitForEvent('download');
      await page.getByTestId('statement-report-download').click();
      assert.match((await download).suggestedFilename(), /\.xlsx$/);

      // --- both invoices are settled: the accepted line's payment carries the bank's serial ---------------------
      for (const code of ['E2E-STMT-A', 'E2E-STMT-B']) {
        await page.goto(`${env.server.baseURL}/invoices/${invoices[code].id}`);
        await page.locator('[data-testid="invoice-status"][data-status="settled"]').waitFor();
        assert.equal(await page.getByTestId('invoice-amount-outstanding').getAttribute('data-value'), '0.00');
      }
      const { items: payments } = await api('GET', '/payments?q=E2E-SN-000001');
      assert.equal(payments.length, 1);
      assert.equal(payments[0].bank_reference, 'E2E-SN-000001');
      assert.equal(payments[0].customer_id, CUSTOMERS[0].id);

      // --- the same file again creates nothing twice --------------------------------------------------------------
      const again = new FormData();
      again.append('file', new Blob([await readFile(STATEMENT)], { type: 'text/csv' }), 'icbc-statement.csv');
      const second = await api('POST', '/bank-statements', again, [201]);
      assert.equal(second.duplicates, 2);
      const { items: allPayments } = await api('GET', '/payments?q=E2E-SN-0000');
      assert.equal(allPayments.length, 2);

      // --- undo the line matched by hand (a reason is required), then split it across both customers -----------
      await page.goto(`${env.server.baseURL}/bank-statements/${statement.id}`);
      await page.getByTestId(`line-undo-${stranger.id}`).click();
      await page.getByTestId('statement-undo-dialog-reason').locator('textarea').fill('E2E 应拆分给两家客户');
      const undone = page.waitForResponse((res) => res.url().endsWith(`/api/v1/bank-statement-lines/${stranger.id}/undo`));
      await page.getByTestId('statement-undo-dialog-submit').click();
      assert.equal((await undone).status(), 200, await (await undone).text());
      await page.locator(`[data-testid="line-status-${stranger.id}"][data-status="open"]`).waitFor();
      assert.equal((await api('GET', `/invoices/${invoices['E2E-STMT-B'].id}`)).status, 'unsettled');

      await page.getByTestId(`line-hand-${stranger.id}`).click();
      await page.getByTestId('statement-hand-split').click();
      // the payer's account was learned for customer B when the line was accepted: B is proposed
      await page.getByTestId('statement-part-customer-0').getByText('E2E 流水乙有限公司').waitFor();
      await page.getByTestId('statement-part-amount-0').fill('500');
      await pick(page, 'statement-part-invoices-0', invoices['E2E-STMT-B'].number);
      await page.getByTestId('statement-hand-modal').locator('.arco-modal-title').click(); // closes the invoice list
      await pick(page, 'statement-part-customer-1', 'E2E-STMT-A');
      await page.getByTestId('statement-part-amount-1').fill('100');
      assert.equal((await page.getByTestId('statement-parts-remaining').innerText()).trim(), '0.00');
      const split = page.waitForResponse((res) => res.url().endsWith(`/api/v1/bank-statement-lines/${stranger.id}/accept`));
      await page.getByTestId('statement-hand-submit').click();
      const splitReply = await split;
      assert.equal(splitReply.status(), 200, await splitReply.text());
      assert.deepEqual(splitReply.request().postDataJSON(), {
        parts: [
          { customer_id: CUSTOMERS[1].id, amount: '500.00', allocations: [{ invoice_id: invoices['E2E-STMT-B'].id, amount: '500.00' }] },
          { customer_id: CUSTOMERS[0].id, amount: '100.00', allocations: [] },
        ],
      });
      assert.equal((await splitReply.json()).payments.length, 2);
      await page.locator(`[data-testid="line-status-${stranger.id}"][data-status="accepted"]`).waitFor();
      const partly = await api('GET', `/invoices/${invoices['E2E-STMT-B'].id}`);
      assert.equal(partly.status, 'partially_settled');
      assert.equal(partly.outstanding, '100.00');
    });
  });

  it('deletes the saved mapping from the import dialog, with a reason, and no longer offers it', { timeout: 90_000 }, async () => {
    const { items: before } = await api('GET', '/bank-statement-profiles');
    const saved = before.find((p) => p.name === 'E2E 工行带行号');
    assert.ok(saved?.id, 'the mapping saved by the test before');
    await withPage(env.browser, 'bank-statements-profile', async (page) => {
      await logInAsAdmin(page, env.server, '/bank-statements');
      await page.getByTestId('statement-create').click();
      // a bank's own format offers no delete; the saved mapping does
      await pick(page, 'statement-profile', '工商银行');
      assert.equal(await page.getByTestId('statement-profile-delete').count(), 0);
      await pick(page, 'statement-profile', 'E2E 工行带行号');
      await page.getByTestId('statement-profile-delete').click();
      await page.getByTestId('statement-profile-delete-dialog-reason').locator('textarea').fill('E2E 工行改版，映射作废');
      const deleted = page.waitForResponse((res) => res.url().includes(`/api/v1/bank-statement-profiles/${saved.id}`) && res.request().method() === 'DELETE');
      await page.getByTestId('statement-profile-delete-dialog-submit').click();
      const deletedReply = await deleted;
      assert.equal(deletedReply.status(), 200, await deletedReply.text());
      assert.equal(new URL(deletedReply.url()).searchParams.get('reason'), 'E2E 工行改版，映射作废');
      await page.getByText('已删除已保存的映射 E2E 工行带行号').waitFor();
      // the choice is back to "detect", and the list of formats no longer has it
      assert.equal(await page.getByTestId('statement-profile-delete').count(), 0);
      await page.getByTestId('statement-profile').click();
      await page.locator('.arco-select-dropdown .arco-select-option:visible', { hasText: '工商银行' }).first().waitFor();
      assert.equal(await page.locator('.arco-select-dropdown .arco-select-option:visible', { hasText: 'E2E 工行带行号' }).count(), 0);
    });
    const { items: after } = await api('GET', '/bank-statement-profiles');
    assert.equal(after.some((p) => p.name === 'E2E 工行带行号'), false, JSON.stringify(after.map((p) => p.name)));
    // the deletion is in the audit log, with its reason
    const { items: audit } = await api('GET', `/audit-log?entity_type=bank_statement_profile&entity_id=${saved.id}`);
    assert.ok(audit.some((entry) => entry.action === 'delete' && JSON.stringify(entry).includes('E2E 工行改版，映射作废')), JSON.stringify(audit));
  });

  it('shows an auditor the statement, its lines and report, with nothing to import, accept or undo', { timeout: 90_000 }, async () => {
    assert.ok(statementId, 'the statement of the test before');
    await api('POST', '/users', { ...AUDITOR, role: 'auditor' });
    await withPage(env.browser, 'bank-statements-auditor', async (page) => {
      const workbench = `/bank-statements/${statementId}`;
      await page.goto(`${env.server.baseURL}/login?redirect=${encodeURIComponent(workbench)}`);
      await page.getByTestId('login-username').fill(AUDITOR.username);
      await page.getByTestId('login-password').fill(AUDITOR.password);
      await page.getByTestId('login-submit').click();
      await page.waitForURL((url) => url.pathname === workbench);
      await page.getByTestId('statement-readonly').waitFor();
      await page.locator('[data-testid="statement-report-auto"] [data-count="1"]').waitFor();
      await page.locator('[data-testid^="line-status-"][data-status="accepted"]').first().waitFor();
      assert.equal(await page.getByTestId('statement-accept-high').count(), 0);
      assert.equal(await page.locator('[data-testid^="line-undo-"], [data-testid^="line-hand-"]').count(), 0);
      await page.getByTestId('side-menu').getByText('银行流水', { exact: true }).click();
      await page.waitForURL((url) => url.pathname === '/bank-statements');
      await page.getByTestId(`statement-open-${statementId}`).waitFor();
      assert.equal(await page.getByTestId('statement-create').count(), 0);
    });
  });
});
