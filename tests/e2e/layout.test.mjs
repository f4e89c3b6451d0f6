import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { adminApi } from './support/api.mjs';
import { REPO_ROOT } from './support/paths.mjs';
import { saveScreenshot, withPage } from './support/browser.mjs';
import { logInAsAdmin, serverAndBrowser } from './support/suite.mjs';

const env = serverAndBrowser();
const run = promisify(execFile);
const api = adminApi(env);

/** The list pages, and the menu group each is found under. */
const PAGES = [
  ['/customers', 'customers'],
  ['/imports', 'customers'],
  ['/pricing-plans', 'pricing-usage'],
  ['/subscriptions', 'pricing-usage'],
  ['/usage', 'pricing-usage'],
  ['/usage-anomalies', 'pricing-usage'],
  ['/data-sources', 'pricing-usage'],
  ['/invoices', 'invoices-payments'],
  ['/invoice-runs', 'invoices-payments'],
  ['/payments', 'invoices-payments'],
  ['/analytics/aging', 'invoices-payments'],
  ['/jobs', 'system-audit'],
  ['/job-schedules', 'system-audit'],
  ['/notifications', 'system-audit'],
  ['/notification-channels', 'system-audit'],
  ['/notification-templates', 'system-audit'],
];

/**
 * In the page: every table with a fixed column, each of its header cells brought into view by
 * scrolling the table the least (as a user would), and whatever of it stays outside the visible
 * part of the table or under a fixed column. [] when every column can be read whole.
 */
function hiddenColumns() {
  const problems = [];
  const tables = [...document.querySelectorAll('.arco-table')].filter((t) => t.offsetParent !== null);
  for (const [index, table] of tables.entries()) {
    const heads = [...table.querySelectorAll('thead th')];
    const fixedRight = heads.filter((th) => th.classList.contains('arco-table-col-fixed-right'));
    const fixedLeft = heads.filter((th) => th.classList.contains('arco-table-col-fixed-left'));
    if (!fixedRight.length && !fixedLeft.length) continue;
    const scroller = heads[0].closest('.arco-scrollbar-container') ?? heads[0].closest('.arco-table-content');
    const name = table.closest('[data-testid]')?.getAttribute('data-testid') ?? `table ${index}`;
    for (const th of heads) {
      if (fixedRight.includes(th) || fixedLeft.includes(th)) continue;
      const title = th.innerText.trim() || '(selection / expand)';
      // scroll just enough for the cell to come out from under the fixed columns
      scroller.scrollLeft = 0;
      const view = scroller.getBoundingClientRect();
      const leftEdge = Math.max(view.left, ...fixedLeft.map((f) => f.getBoundingClientRect().right));
      const rightEdge = Math.min(view.right, ...fixedRight.map((f) => f.getBoundingClientRect().left));
      const cell = th.getBoundingClientRect();
      if (cell.right > rightEdge) scroller.scrollLeft = cell.right - rightEdge;
      const seen = th.getBoundingClientRect();
      const left = Math.max(view.left, ...fixedLeft.map((f) => f.getBoundingClientRect().right));
      const right = Math.min(view.right, ...fixedRight.map((f) => f.getBoundingClientRect().left));
      if (seen.width < 24) problems.push(`${name}: "${title}" is ${Math.round(seen.width)} px wide`);
      else if (seen.left < left - 1 || seen.right > right + 1) {
        problems.push(
          `${name}: "${title}" at ${Math.round(seen.left)}–${Math.round(seen.right)} px, ` +
            `only ${Math.round(left)}–${Math.round(right)} px can be seen beside the fixed columns`,
        );
      }
    }
    scroller.scrollLeft = 0;
    const view = scroller.getBoundingClientRect();
    if (scroller.scrollWidth > scroller.clientWidth + 1) {
      // a table wider than its card says so: its horizontal scrollbar is drawn, not only under the pointer
      const thumb = table.querySelector('.arco-scrollbar-thumb-direction-horizontal');
      const shown = thumb && Number(getComputedStyle(thumb).opacity) > 0 && thumb.getBoundingClientRect().width > 0;
      if (!shown) problems.push(`${name}: scrolls sideways without a visible scrollbar`);
    } else {
      // one that fits fills its card: the fixed action column at the card's right edge
      for (const th of fixedRight) {
        const edge = th.getBoundingClientRect().right;
        if (Math.abs(edge - view.right) > 2) problems.push(`${name}: the action column ends at ${edge}, the table at ${view.right}`);
      }
    }
  }
  return { tables: tables.length, problems };
}

describe('tables at laptop widths', () => {
  before(
    async () => {
      // the demo's history (customers, plans, usage, invoices, runs, payments, jobs, an SMS
      // channel) on the server's own database, then a few rows of what it does not make
      const bin = process.env.OPCMS_BIN || path.join(REPO_ROOT, '.venv', 'bin', 'opcms');
      const tmp = env.server.tmpDir;
      await run(bin, ['seed-demo', '--customers', '6'], {
        cwd: REPO_ROOT,
        timeout: 180_000,
        env: { ...process.env, OPCMS_DATABASE_URL: `sqlite://${path.join(tmp, 'e2e.sqlite3')}`, OPCMS_VAR_DIR: path.join(tmp, 'var') },
      });
      await api('POST', '/data-sources', { name: 'e2e-layout-files', adapter: 'file', settings: {} });
      const { items: channels } = await api('GET', '/notification-channels');
      const { items: templates } = await api('GET', '/notification-templates?q=reminder.customer_sms');
      const variables = Object.fromEntries(templates[0].samples.map((s) => [s.name, s.sample]));
      for (const target of ['13800000001', '13800000002']) {
        await api(
          'POST',
          '/notifications',
          { template_code: 'reminder.customer_sms', target, variables, channel: channels[0].name },
          [202],
        );
      }
    },
    { timeout: 240_000 },
  );

  for (const width of [1366, 1440]) {
    it(`hides no column behind a fixed column at ${width} px`, { timeout: 240_000 }, async () => {
      await withPage(
        env.browser,
        `layout-${width}`,
        async (page) => {
          await logInAsAdmin(page, env.server, '/dashboard');
          const problems = [];
          for (const [pathname, group] of PAGES) {
            // reached through the menu, its group open
            const menu = page.getByTestId('side-menu');
            await menu.locator(`[data-menu-group="${group}"]`).waitFor();
            await page.goto(`${env.server.baseURL}${pathname}`);
            await page.locator('.arco-table tbody tr').first().waitFor();
            await page.waitForLoadState('networkidle');
            const found = await page.evaluate(hiddenColumns);
            assert.ok(found.tables > 0, `${pathname}: no table`);
            problems.push(...found.problems.map((p) => `${pathname} ${p}`));
            await saveScreenshot(page, `layout-${width}${pathname.replaceAll('/', '-')}`);
          }
          // the pages of one invoice, one payment and one customer, whose tables have fixed columns too
          const [invoice] = (await api('GET', '/invoices?page_size=1')).items;
          const [payment] = (await api('GET', '/payments?page_size=1')).items;
          for (const pathname of [`/invoices/${invoice.id}`, `/payments/${payment.id}`, `/customers/${invoice.customer_id}`]) {
            await page.goto(`${env.server.baseURL}${pathname}`);
            await page.locator('.arco-table').first().waitFor();
            await page.waitForLoadState('networkidle');
            const found = await page.evaluate(hiddenColumns);
            problems.push(...found.problems.map((p) => `${pathname} ${p}`));
            await saveScreenshot(page, `layout-${width}${pathname.replaceAll('/', '-')}`);
          }
          assert.deepEqual(problems, []);
        },
        { viewport: { width, height: 800 } },
      );
    });
  }
});
