import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { adminApi } from './support/api.mjs';
import { CHROMIUM_ARGS, launchBrowser, withPage } from './support/browser.mjs';
import { REPO_ROOT } from './support/paths.mjs';
import { startServer } from './support/server.mjs';
import { logInAsAdmin } from './support/suite.mjs';

/**
 * The built UI and the Swagger page run under the API's Content-Security-Policy (no inline
 * script, nothing from another origin) without the browser refusing anything: every
 * `securitypolicyviolation` event and every "Refused to …" console message is a failure.
 *
 * The browser reaches the server by a host name, as in production: on 127.0.0.1 Swagger UI
 * leaves out its validator badge (an image from validator.swagger.io) and the test would miss it.
 */

const HOST = 'opcms.test';
/** `origin`: the server as the browser sees it; `server.baseURL` (127.0.0.1) is for the test's own calls. */
const env = { server: null, browser: null, origin: null };
const run = promisify(execFile);
const api = adminApi(env);
const site = () => ({ ...env.server, baseURL: env.origin });

before(
  async () => {
    env.server = await startServer();
    env.origin = `http://${HOST}:${env.server.port}`;
    env.browser = await launchBrowser({ args: [...CHROMIUM_ARGS, `--host-resolver-rules=MAP ${HOST} 127.0.0.1`] });
  },
  { timeout: 240_000 },
);
after(async () => {
  await env.browser?.close();
  await env.server?.stop();
});

/**
 * Collects every CSP refusal in the context of `page` (its later documents and the pages it
 * opens included): each `securitypolicyviolation` event, reported to the test as it happens,
 * and each console message about the policy. `refusals()` answers them all.
 */
async function watched(page) {
  const refused = [];
  const context = page.context();
  await context.exposeFunction('__reportCspViolation', (text) => refused.push(text));
  await context.addInitScript(() => {
    window.addEventListener(
      'securitypolicyviolation',
      (event) => {
        window.__reportCspViolation(`${event.effectiveDirective} blocked ${event.blockedURI || 'inline'} in ${location.href}: ${event.sample}`);
      },
      true,
    );
  });
  const listen = (opened) =>
    opened.on('console', (message) => {
      if (/Refused to|Content[- ]Security[- ]Policy/i.test(message.text())) refused.push(message.text());
    });
  listen(page);
  context.on('page', listen);
  return { refusals: () => [...refused] };
}

/** The response's policy: present, and it runs no inline script but those it names by hash. */
function assertStrictPolicy(response) {
  const policy = response.headers()['content-security-policy'] ?? '';
  const scriptSources = /(?:^|;)\s*script-src ([^;]*)/.exec(policy)?.[1] ?? '';
  assert.match(scriptSources, /^'self'/, `script-src of ${response.url()}: ${policy}`);
  assert.doesNotMatch(scriptSources, /unsafe-inline|unsafe-eval|\*|https?:/, policy);
  assert.match(policy, /frame-ancestors 'none'/);
  assert.match(policy, /connect-src 'self'(;|$)/);
  assert.equal(response.headers()['x-frame-options'], 'DENY');
  assert.equal(response.headers()['x-content-type-options'], 'nosniff');
  return policy;
}

describe('content security policy', () => {
  // a few demo customers with a year of invoices, so the dashboard draws real charts
  before(
    async () => {
      const bin = process.env.OPCMS_BIN || path.join(REPO_ROOT, '.venv', 'bin', 'opcms');
      const tmp = env.server.tmpDir;
      await run(bin, ['seed-demo', '--customers', '8'], {
        cwd: REPO_ROOT,
        timeout: 180_000,
        env: { ...process.env, OPCMS_DATABASE_URL: `sqlite://${path.join(tmp, 'e2e.sqlite3')}`, OPCMS_VAR_DIR: path.join(tmp, 'var') },
      });
    },
    { timeout: 200_000 },
  );

  it('logs in, draws the dashboard, a list page and a printed invoice with nothing refused', { timeout: 180_000 }, async () => {
    await withPage(env.browser, 'csp-ui', async (page) => {
      const csp = await watched(page);
      const documents = [];
      page.on('response', (response) => {
        if (response.request().resourceType() === 'document') documents.push(response);
      });

      // login: the page the UI starts on, under the strict policy
      await logInAsAdmin(page, site(), '/dashboard');

      // the dashboard: ECharts draws every block, and its tooltip (HTML with inline styles) shows
      await page.getByTestId('dashboard-page').waitFor();
      for (const block of ['aging', 'trend', 'movements', 'usage']) {
        await page.getByTestId(`dashboard-block-${block}`).locator('canvas').first().waitFor();
      }
      assert.equal(await page.locator('[data-testid^="dashboard-block-unavailable-"]').count(), 0);
      const trend = page.getByTestId('dashboard-block-trend').locator('canvas').first();
      const box = await trend.boundingBox();
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.move(box.x + box.width / 2 + 5, box.y + box.height / 2);
      await page.getByTestId('dashboard-block-trend').locator('div[style*="z-index"]').filter({ hasText: /\S/ }).first().waitFor();

      // a list page: the customers table with the demo's rows, and an Arco dropdown popup
      await page.getByTestId('side-menu').getByText('客户管理').click();
      await page.waitForURL((url) => url.pathname === '/customers');
      await page.getByTestId('customer-link-C000008').waitFor();
      assert.equal(await page.locator('[data-testid^="customer-link-"]').count(), 8);
      await page.getByTestId('filter-status').click();
      await page.locator('.arco-select-dropdown .arco-select-option:visible').first().waitFor();
      await page.keyboard.press('Escape');
      await page.getByTestId('customer-columns').click();
      await page.locator('.column-settings:visible').waitFor();

      // then a reload (the session from localStorage) still renders under the policy
      await page.reload();
      await page.getByTestId('customer-link-C000001').waitFor();
      assert.match(await page.getByTestId('current-user').innerText(), /E2E 管理员/);

      // an invoice printed: its page opens from a blob URL, so it runs under the UI's policy
      // (a blob document inherits its creator's) and is styled by its own <style> block
      const [invoice] = (await api('GET', '/invoices?page_size=1', undefined, [200])).items;
      await page.goto(`${env.origin}/invoices/${invoice.id}`);
      await page.getByTestId('invoice-number').filter({ hasText: invoice.number }).waitFor();
      const opened = page.context().waitForEvent('page');
      await page.getByTestId('invoice-print').click();
      const printed = await opened;
      await printed.waitForLoadState();
      assert.match(printed.url(), /^blob:/);
      assert.match(await printed.locator('body').innerText(), new RegExp(invoice.number));
      const printedColor = await printed.locator('body').evaluate((body) => getComputedStyle(body).color);
      assert.equal(printedColor, 'rgb(29, 33, 41)', "the page's own <style> applies (#1d2129)");
      await printed.close();

      // every page the UI loaded came under the strict policy, and nothing was refused
      assert.ok(documents.length >= 3, 'login, reload and invoice page were loaded as documents');
      for (const document of documents) assertStrictPolicy(document);
      assert.deepEqual(csp.refusals(), []);

      // and the watch is not blind: a script added inline is refused, seen, and does not run
      await page.evaluate(() => {
        const script = document.createElement('script');
        script.textContent = 'window.__inlineRan = true';
        document.head.append(script);
      });
      for (let waited = 0; csp.refusals().length === 0 && waited < 5_000; waited += 50) await sleep(50);
      assert.equal(await page.evaluate(() => window.__inlineRan), undefined);
      assert.match(csp.refusals().join('\n'), /script-src/);
    });
  });

  // Swagger UI draws every operation of the spec expanded: a page of megabytes that takes a
  // loaded machine a minute or more, whatever the policy
  it('runs the Swagger page at /docs under the policy (its start-up script allowed by hash)', { timeout: 300_000 }, async () => {
    await withPage(env.browser, 'csp-docs', async (page) => {
      page.setDefaultTimeout(240_000);
      const csp = await watched(page);
      const foreign = [];
      page.on('request', (request) => {
        if (!request.url().startsWith(env.origin)) foreign.push(request.url());
      });
      const response = await page.goto(`${env.origin}/docs`);
      const policy = assertStrictPolicy(response);
      assert.match(policy, /script-src 'self' 'sha256-[A-Za-z0-9+/]+={0,2}'/);

      // the inline start-up script ran: Swagger UI rendered the spec
      await page.locator('.swagger-ui .info .title').filter({ hasText: 'OP-CMS API' }).waitFor();
      await page.locator('.opblock-summary-path', { hasText: '/api/v1/customers' }).first().waitFor();
      assert.deepEqual(csp.refusals(), []);
      assert.deepEqual(foreign, []);
    });
  });
});
