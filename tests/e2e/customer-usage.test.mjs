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

/** The exact sum of decimal strings (scaled BigInts), written plainly. */
function sumDecimals(values) {
  const scale = Math.max(0, ...values.map((v) => (v.split('.')[1] ?? '').length));
  const units = values.reduce((acc, v) => {
    const [integer, fraction = ''] = v.split('.');
    return acc + BigInt(integer + fraction.padEnd(scale, '0'));
  }, 0n);
  const digits = units.toString().padStart(scale + 1, '0');
  const text = scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

describe('customer pricing and usage', () => {
  // The demo data on the server's own database: customers, a subscription per metric for each
  // trial/active/suspended customer, and the last 35 days of usage pulled from the demo source.
  before(
    async () => {
      const bin = process.env.OPCMS_BIN || path.join(REPO_ROOT, '.venv', 'bin', 'opcms');
      const tmp = env.server.tmpDir;
      await run(bin, ['seed-demo', '--customers', '12'], {
        cwd: REPO_ROOT,
        timeout: 120_000,
        env: { ...process.env, OPCMS_DATABASE_URL: `sqlite://${path.join(tmp, 'e2e.sqlite3')}`, OPCMS_VAR_DIR: path.join(tmp, 'var') },
      });
    },
    { timeout: 150_000 },
  );

  it('shows an active customer\'s subscriptions, its daily usage chart and the exact month-to-date totals', { timeout: 90_000 }, async () => {
    const customer = (await api('/customers?status=active&page_size=1')).items[0];
    assert.ok(customer, 'the demo has an active customer');
    const { items: subscriptions } = await api(`/subscriptions?customer_id=${customer.id}&page_size=200`);
    assert.ok(subscriptions.length > 0, 'the demo customer has subscriptions');

    await withPage(env.browser, 'customer-usage', async (page) => {
      const daily = page.waitForResponse((res) => new URL(res.url()).pathname === '/api/v1/usage-records/daily');
      await logInAsAdmin(page, env.server, `/customers/${customer.id}`);
      const section = page.getByTestId('customer-pricing-usage');
      await section.waitFor();
      assert.match(await section.innerText(), /计费与用量/);

      // --- the subscriptions ---------------------------------------------------------------------------
      const table = page.getByTestId('customer-subscriptions');
      for (const s of subscriptions) await table.getByTestId(`customer-subscription-${s.id}`).waitFor();
      const text = await table.innerText();
      for (const s of subscriptions) {
        assert.match(text, new RegExp(s.plan_code));
        assert.match(text, new RegExp(`${s.effective_from} ~ ${s.effective_to ?? '长期'}`));
      }
      assert.equal(await page.getByTestId('customer-subscriptions-error').count(), 0);
      const toSubscriptions = new URL(await page.getByTestId('customer-subscriptions-link').getAttribute('href'), 'http://x');
      assert.equal(toSubscriptions.pathname, '/subscriptions');
      assert.equal(toSubscriptions.searchParams.get('customer_id'), String(customer.id));

      // --- the chart: the last 30 days by default, drawn on a canvas --------------------------------------
      const reply = await daily;
      assert.equal(reply.status(), 200);
      const query = new URL(reply.url()).searchParams;
      assert.equal(query.get('customer_id'), String(customer.id));
      const body = await reply.json();
      assert.ok(body.items.length > 0, 'the demo customer has usage');
      assert.equal(typeof body.items[0].quantity, 'string');
      const chart = page.getByTestId('customer-usage-chart');
      await chart.locator('canvas').first().waitFor();
      const box = await chart.boundingBox();
      assert.ok(box && box.width > 100 && box.height > 100, 'the chart has a size');
      assert.equal(await page.getByTestId('customer-usage-empty').count(), 0);
      assert.equal(await page.getByTestId('customer-usage-error').count(), 0);
      await page.getByTestId('customer-usage-presets').locator('.arco-radio-checked', { hasText: '近 30 天' }).waitFor();

      // --- month-to-date totals: the exact sum of the month's rows, per subscribed metric -----------------------
      const today = await page.evaluate(() => {
        const d = new Date();
        return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
      });
      const monthStart = `${today.slice(0, 7)}-01`;
      const month = await api(`/usage-records/daily?customer_id=${customer.id}&day_from=${monthStart}&day_to=${today}`);
      for (const metric of new Set(subscriptions.map((s) => s.metric))) {
        const rows = month.items.filter((i) => i.metric === metric);
        const total = page.getByTestId(`customer-usage-total-${metric}`).locator('[data-total]');
        assert.equal(await total.getAttribute('data-total'), sumDecimals(rows.map((r) => r.quantity)), metric);
      }

      // --- another preset asks again --------------------------------------------------------------------------
      const again = page.waitForResponse((res) => new URL(res.url()).pathname === '/api/v1/usage-records/daily');
      await page.getByTestId('customer-usage-presets').getByText('近 90 天').click();
      const wider = new URL((await again).url()).searchParams;
      assert.ok(wider.get('day_from') < query.get('day_from'), 'the 90 days start earlier');
      await chart.locator('canvas').first().waitFor();

      // --- the link opens the usage records filtered to this customer ------------------------------------------
      const records = page.waitForResponse((res) => new URL(res.url()).pathname === '/api/v1/usage-records');
      await page.getByTestId('customer-usage-link').click();
      const filtered = new URL((await records).url()).searchParams;
      assert.equal(filtered.get('customer_id'), String(customer.id));
      assert.match(await page.getByTestId('usage-filter-customer').innerText(), new RegExp(customer.customer_code));
    });
  });

  it('shows the empty states for a customer without subscriptions or usage', { timeout: 60_000 }, async () => {
    const customer = (await api('/customers?status=closed&page_size=1')).items[0];
    assert.ok(customer, 'the demo has a closed customer');
    await withPage(env.browser, 'customer-usage-empty', async (page) => {
      await logInAsAdmin(page, env.server, `/customers/${customer.id}`);
      await page.getByTestId('customer-usage-empty').waitFor();
      await page.getByTestId('customer-subscriptions').getByText('该客户暂无订阅').waitFor();
      assert.equal(await page.getByTestId('customer-usage-chart').count(), 0);
      await page.getByTestId('customer-usage-totals').getByText('本月暂无用量').waitFor();
    });
  });
});
