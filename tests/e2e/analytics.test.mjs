import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { REPO_ROOT } from './support/paths.mjs';
import { adminApi } from './support/api.mjs';
import { withPage } from './support/browser.mjs';
import { logInAsAdmin, serverAndBrowser } from './support/suite.mjs';

const env = serverAndBrowser();
const run = promisify(execFile);
const adminCall = adminApi(env);
/** GET on the API as the e2e admin. */
const api = (pathAndQuery) => adminCall('GET', pathAndQuery, undefined, [200]);

/** The digits and the decimal point of a shown amount ("¥1,234.50" → "1234.50"). */
const plain = (text) => text.replace(/[^\d.-]/g, '');

/** Opens the app in English: the language is kept in localStorage, read when the app starts. */
const english = async (page) => page.addInitScript(() => localStorage.setItem('opcms.locale', 'en-US'));

describe('analytics', () => {
  // The demo with its 13 months of history on the server's own database, scored for today.
  before(
    async () => {
      const bin = process.env.OPCMS_BIN || path.join(REPO_ROOT, '.venv', 'bin', 'opcms');
      const tmp = env.server.tmpDir;
      await run(bin, ['seed-demo', '--customers', '40'], {
        cwd: REPO_ROOT,
        timeout: 180_000,
        env: { ...process.env, OPCMS_DATABASE_URL: `sqlite://${path.join(tmp, 'e2e.sqlite3')}`, OPCMS_VAR_DIR: path.join(tmp, 'var') },
      });
    },
    { timeout: 200_000 },
  );

  it('draws the dashboard from the demo: headline figures as the API computes them, and every chart', { timeout: 90_000 }, async () => {
    const board = await api('/analytics/dashboard');
    assert.deepEqual(board.errors, [], 'every block of the demo board computes');
    assert.ok(Number(board.figures.receivable.value) > 0 && board.figures.overdue.count > 0, 'the demo has overdue money');

    for (const [language, title] of [
      ['zh', /经营看板|看板|仪表盘/],
      ['en', /dashboard/i],
    ]) {
      await withPage(env.browser, `dashboard-${language}`, async (page) => {
        if (language === 'en') await english(page);
        await logInAsAdmin(page, env.server, '/dashboard');
        await page.getByTestId('dashboard-page').waitFor();
        assert.match(await page.getByTestId('dashboard-title').innerText(), title);
        const receivable = page.getByTestId('dashboard-figure-receivable-value');
        await receivable.waitFor();
        assert.equal(plain(await receivable.innerText()), board.figures.receivable.value);
        assert.equal(plain(await page.getByTestId('dashboard-figure-invoiced-value').innerText()), board.figures.invoiced.value);
        assert.equal(plain(await page.getByTestId('dashboard-figure-overdue-count').innerText()), String(board.figures.overdue.count));
        for (const block of ['aging', 'trend', 'movements', 'usage']) {
          await page.getByTestId(`dashboard-block-${block}`).locator('canvas').first().waitFor();
        }
        assert.equal(await page.locator('[data-testid^="dashboard-block-unavailable-"]').count(), 0);
        // the top customers in the API's order
        const top = await page.getByTestId('dashboard-top-customers-table').innerText();
        if (board.top_customers.length) assert.match(top, new RegExp(board.top_customers[0].customer_code));
        // one language at a time: the English page carries no Chinese label of ours
        if (language === 'en') {
          const text = await page.getByTestId('dashboard-page').innerText();
          const labels = text.replace(/[^\u4e00-\u9fff]+/g, ' ').trim();
          // company names are data and stay as entered; nothing else may be Chinese
          const names = new Set([...board.top_customers.map((c) => c.company_name), ...(board.customers.by_owner ?? []).map((o) => o.label ?? '')]);
          for (const word of labels.split(/\s+/).filter(Boolean)) {
            assert.ok([...names].some((name) => name.includes(word)), `Chinese on the English dashboard: ${word}`);
          }
        }
      });
    }
  });

  it('shows the aging report per customer and drills down to a customer\'s open invoices', { timeout: 90_000 }, async () => {
    const report = await api('/analytics/aging?page_size=20');
    assert.ok(report.items.length > 0, 'the demo has customers with open invoices');
    const first = report.items[0];
    const drill = await api(`/analytics/aging/customers/${first.customer_id}/invoices`);
    assert.ok(drill.items.length > 0);

    await withPage(env.browser, 'aging', async (page) => {
      await logInAsAdmin(page, env.server, '/analytics/aging');
      await page.getByTestId('aging-buckets').waitFor();
      assert.equal(plain(await page.getByTestId('aging-bucket-total-amount').innerText()), report.totals.total);
      for (const bucket of report.buckets) {
        assert.equal(plain(await page.getByTestId(`aging-bucket-${bucket.bucket}-amount`).innerText()), bucket.outstanding);
      }
      await page.getByTestId(`aging-customer-${first.customer_code}`).waitFor();
      await page.getByTestId(`aging-drill-${first.customer_code}`).click();
      const drawer = page.getByTestId('aging-invoices-drawer');
      await drawer.waitFor();
      for (const invoice of drill.items) await drawer.getByTestId(`aging-invoice-${invoice.number}`).waitFor();
      // an invoice number is a link to that invoice
      await drawer.getByTestId(`aging-invoice-${drill.items[0].number}`).click();
      await page.waitForURL((url) => url.pathname === `/invoices/${drill.items[0].id}`);
    });
  });

  it('explains a customer\'s churn warning and credit score with their numbers, in Chinese and in English', { timeout: 90_000 }, async () => {
    const { items } = await api('/customers?sort=-churn_score&page_size=1');
    const customer = items[0];
    assert.ok(customer && customer.churn_score > 0, 'the demo has a customer with a churn warning');
    const analytics = await api(`/customers/${customer.id}/analytics`);
    const reasons = analytics.score.churn.reasons;
    assert.ok(reasons.length > 0);
    const factorsSum = analytics.score.credit.factors.reduce((sum, f) => sum + f.points, 0);
    assert.equal(factorsSum, analytics.score.credit.score, 'the factors add up to the score');

    for (const [language, pattern] of [
      ['zh', /天|%|张|次/],
      ['en', /day|%|invoice|usage|plan|suspended/i],
    ]) {
      await withPage(env.browser, `customer-analytics-${language}`, async (page) => {
        if (language === 'en') await english(page);
        await logInAsAdmin(page, env.server, `/customers/${customer.id}`);
        const section = page.getByTestId('customer-analytics');
        await section.waitFor();
        await page.getByTestId('customer-analytics-scores').waitFor();
        assert.equal(plain(await page.getByTestId('customer-analytics-churn-score').innerText()), String(customer.churn_score));
        assert.equal(plain(await page.getByTestId('customer-analytics-credit-score').innerText()), String(customer.credit_score));
        for (const reason of reasons) {
          const shown = await page.getByTestId(`customer-analytics-reason-${reason.code}`).innerText();
          assert.match(shown, pattern);
          if (reason.value && /^-?\d/.test(reason.value)) {
            const number = String(Math.abs(Number(reason.value)));
            assert.ok(shown.includes(number), `the reason shows its number ${number}: ${shown}`);
          }
          if (language === 'en') assert.doesNotMatch(shown, /[\u4e00-\u9fff]/, `English reason: ${shown}`);
          else assert.match(shown, /[\u4e00-\u9fff]/, `Chinese reason: ${shown}`);
        }
        for (const factor of analytics.score.credit.factors) {
          const points = await page.getByTestId(`customer-analytics-factor-${factor.code}-points`).innerText();
          assert.equal(points.split('/')[0].trim(), String(factor.points));
          assert.match(points, new RegExp(`/ ${factor.max_points}`));
        }
        await page.getByTestId('customer-analytics-usage').locator('canvas').first().waitFor();
      });
    }
  });
});
