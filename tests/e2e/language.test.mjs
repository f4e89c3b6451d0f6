/**
 * One language at a time: every page of the menu, the detail pages (customer, invoice, payment,
 * job execution) and the dialogs and drawers their toolbars open, walked as admin in English and in
 * Chinese on seeded data.
 *
 * - English: no Chinese character in the visible text, except data (the values seeded below, the
 *   notification templates the database ships with, the admin's display name) and the language
 *   switch, which names the other language in that language ("中文").
 * - Chinese: no visible text that looks like an untranslated message key (`invoice.status.void`)
 *   or a raw snake_case value (`no_charge`, `bank_transfer`, `status_change`), except data.
 *
 * The walk clicks the menu entries it finds in the page, so a page added to the menu is walked
 * without changing this file. A screenshot of each page in each language goes to var/e2e/.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, it, before } from 'node:test';
import { promisify } from 'node:util';
import { adminApi } from './support/api.mjs';
import { saveScreenshot, withPage } from './support/browser.mjs';
import { REPO_ROOT } from './support/paths.mjs';
import { logInAsAdmin, serverAndBrowser } from './support/suite.mjs';
import { lastMonth, today } from './support/dates.mjs';

const env = serverAndBrowser();
const api = adminApi(env);
const run = promisify(execFile);

const CJK = /[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]/;
/** a message key: two or more dotted lowercase words (`invoice.status.void`, `job.name.usage.pull_day`) */
const MESSAGE_KEY = /\b[a-z][a-zA-Z]*(?:\.[a-zA-Z_]+)+\b/g;
/** a raw enum value: lowercase words joined by underscores (`no_charge`, `bank_transfer`) */
const SNAKE_CASE = /\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b/g;
/** codes the backend sends that the UI must name (a text that is one of them is shown raw) */
const RAW_VALUES = new Set([
  ...['prospect', 'trial', 'active', 'suspended', 'closed'],
  ...['unsettled', 'partially_settled', 'settled', 'void'],
  ...['unallocated', 'partially_allocated', 'allocated', 'bank_transfer', 'cash', 'cheque', 'online'],
  ...['pending', 'running', 'success', 'partial', 'failed', 'cancelled', 'skipped'],
  ...['schedule', 'manual', 'cli', 'retry'],
  ...['open', 'accepted', 'corrected', 'rejected', 'spike', 'unknown_account', 'negative_quantity'],
  ...['wecom_bot', 'wecom_app', 'email', 'sms', 'sending', 'sent', 'dead', 'high', 'normal', 'low'],
  ...['validate', 'create', 'upsert', 'succeeded'],
  ...['per_unit', 'graduated', 'volume', 'package'],
  ...['admin', 'finance', 'operator', 'auditor'],
  ...['exact', 'combination', 'fifo'],
]);
/** an English phrase: four or more words in a row, the last three lowercase ("the oldest open invoices") */
const ENGLISH_PHRASE = /\b[A-Za-z]{2,}(?:[ ,:;()'-]+[a-z]{2,}){3,}\b/g;

const PERIOD = lastMonth();

/** What the test seeds: every value a page may show as data. */
const DATA = {
  companies: ['语言测试科技有限公司', '语言测试物流有限公司', '语言测试暂停有限公司'],
  shortNames: ['语测科技'],
  contact: '张三',
  metric: { code: 'lang_calls', name: '语言调用', unit: '次' },
  plan: { code: 'LANG-GRAD', name: '语言阶梯方案' },
  payer: '语言测试科技有限公司',
  unknownPayer: '未知付款单位',
  remark: '语言测试备注',
  reason: '语言测试原因',
  deleted: '语言测试已删除有限公司',
  channel: 'lang-sms',
};

/** Data found at run time (ids, template texts, the files' names): filled by `before`. */
const seeded = { ids: {}, strings: [] };

async function opcms(args) {
  const bin = process.env.OPCMS_BIN || path.join(REPO_ROOT, '.venv', 'bin', 'opcms');
  return run(bin, args, {
    cwd: REPO_ROOT,
    timeout: 120_000,
    env: {
      ...process.env,
      OPCMS_DATABASE_URL: `sqlite://${path.join(env.server.tmpDir, 'e2e.sqlite3')}`,
      OPCMS_VAR_DIR: path.join(env.server.tmpDir, 'var'),
    },
  });
}

async function seed() {
  const customers = [];
  const profiles = [
    { industry: 'internet', level: 'A', status: 'active', short_name: DATA.shortNames[0], contact_name: DATA.contact },
    { industry: '物流', level: 'S级', status: 'active' }, // given as Chinese labels: stored as codes
    { industry: 'finance', level: 'C', status: 'trial' },
  ];
  for (const [index, profile] of profiles.entries()) {
    customers.push(
      await api('POST', '/customers', {
        customer_code: `LANG-${index + 1}`,
        company_name: DATA.companies[index],
        payment_terms_days: 30,
        remark: DATA.remark,
        ...profile,
      }),
    );
  }
  // a status change in the customer's history (an enum the detail page shows)
  await api('POST', `/customers/${customers[2].id}/status`, { status: 'active', reason: DATA.reason }, [200, 201, 404, 405, 422]);

  await api('POST', '/usage-metrics', { code: DATA.metric.code, name: DATA.metric.name, unit: DATA.metric.unit });
  const plan = await api('POST', '/pricing-plans', {
    code: DATA.plan.code,
    name: DATA.plan.name,
    metric: DATA.metric.code,
    mode: 'graduated',
    tiers: [
      { up_to: '1000', unit_price: '0.01' },
      { up_to: null, unit_price: '0.008' },
    ],
    monthly_fee: '100',
    effective_from: '2024-01-01',
  });
  for (const customer of customers.slice(0, 2))
    await api('POST', '/subscriptions', { customer_id: customer.id, plan_id: plan.id, effective_from: '2024-01-01' });

  // usage from a file: two good days, one row of an unknown account and one negative (two anomalies)
  const source = await api('POST', '/data-sources', { name: 'lang-files', adapter: 'file', settings: {} });
  await api('POST', `/data-sources/${source.id}/accounts`, { customer_id: customers[0].id, external_account: 'acct-lang-1' });
  await api('POST', `/data-sources/${source.id}/accounts`, { customer_id: customers[1].id, external_account: 'acct-lang-2' });
  const csv = [
    'account,metric,day,quantity',
    `acct-lang-1,${DATA.metric.code},${PERIOD}-05,12000`,
    `acct-lang-2,${DATA.metric.code},${PERIOD}-06,500`,
    `acct-nobody,${DATA.metric.code},${PERIOD}-06,10`,
    `acct-lang-1,${DATA.metric.code},${PERIOD}-07,-5`,
  ].join('\n');
  const form = new FormData();
  form.append('file', new Blob([`${csv}\n`], { type: 'text/csv' }), 'lang-usage.csv');
  await api('POST', `/data-sources/${source.id}/uploads`, form);

  // the invoice run of last month, in this process (a task execution like the scheduled one)
  await opcms(['bill', '--period', PERIOD, '--json']);
  const { items: invoices } = await api('GET', `/invoices?customer_id=${customers[0].id}`);
  assert.ok(invoices.length >= 1, 'the invoice run billed the first customer');
  const invoice = invoices[0];

  // a payment allocated in part, and one from a payer nobody knows
  const payment = await api('POST', '/payments', {
    customer_id: customers[0].id,
    amount: '80',
    received_on: today(),
    method: 'bank_transfer',
    payer_name: DATA.payer,
    bank_reference: 'LANG-BANK-1',
    remark: DATA.remark,
  });
  await api('POST', '/allocations', { payment_id: payment.id, lines: [{ invoice_id: invoice.id, amount: '50.00' }] });
  const unknown = await api('POST', '/payments', {
    customer_id: null,
    amount: '20',
    received_on: today(),
    method: 'bank_transfer',
    payer_name: DATA.unknownPayer,
    bank_reference: 'LANG-BANK-2',
  });

  // a credit note on the invoice, a fourth customer soft-deleted (the deleted records), and the
  // other jobs run once each (their counters: scores, suspensions, reminders)
  await api('POST', '/credit-notes', { invoice_id: invoice.id, amount: '8', reason: DATA.reason });
  const gone = await api('POST', '/customers', { customer_code: 'LANG-4', company_name: DATA.deleted, status: 'prospect' });
  await api('DELETE', `/customers/${gone.id}?reason=${encodeURIComponent(DATA.reason)}`);
  for (const job of ['analytics.score_customers', 'customers.account_automation', 'reminders.send_overdue'])
    await opcms(['run-job', job, '--json']).catch((error) => {
      // partial or failed runs are states to show too (exit 1)
      if (error.code !== 1) throw error;
    });

  // a notification channel (its kind is an enum)
  await api(
    'POST',
    '/notification-channels',
    { name: DATA.channel, kind: 'sms', settings: { provider: 'logging' }, secrets: {} },
    [200, 201, 400, 422],
  );

  const { items: executions } = await api('GET', '/task-executions');
  assert.ok(executions.length >= 1, 'the invoice run is recorded');
  seeded.ids = {
    customer: customers[0].id,
    invoice: invoice.id,
    payment: payment.id,
    unknownPayment: unknown.id,
    execution: executions[0].id,
  };
  seeded.strings.push(invoice.number, ...invoices.map((i) => i.number));

  // the notification templates the database ships with are data too (Chinese as seeded)
  const templates = await api('GET', '/notification-templates?page_size=100', undefined, [200, 404]);
  for (const template of templates?.items ?? [])
    seeded.strings.push(template.code, template.name, template.title ?? '', template.body ?? '', ...(template.variables ?? []));
  // and so are the alert rules it ships with (their names and descriptions, Chinese as seeded, an admin's to edit)
  const rules = await api('GET', '/alert-rules?page_size=100', undefined, [200, 404]);
  for (const rule of rules?.items ?? []) seeded.strings.push(rule.name, rule.description ?? '');
}

/** Every string the pages may show that is data, longest first (so a longer one is removed whole). */
function dataStrings(server) {
  const strings = [
    ...DATA.companies,
    ...DATA.shortNames,
    DATA.contact,
    DATA.metric.code,
    DATA.metric.name,
    DATA.metric.unit,
    DATA.plan.code,
    DATA.plan.name,
    DATA.payer,
    DATA.unknownPayer,
    DATA.remark,
    DATA.reason,
    DATA.deleted,
    DATA.channel,
    server.adminDisplayName,
    'lang-usage.csv',
    // a template's text as shown, and its pieces between template expressions and lines
    ...seeded.strings,
    ...seeded.strings.flatMap((text) => text.split(/\n+|\{\{[^}]*\}\}|\{%[^%]*%\}/)),
  ];
  return [...new Set(strings.map((s) => s.trim()).filter(Boolean))].sort((a, b) => b.length - a.length);
}

/** Visible text with the data taken out. */
function withoutData(text, strings) {
  let rest = text;
  for (const value of strings) rest = rest.split(value).join(' ');
  return rest.replace(/\{\{[^}]*\}\}/g, ' '); // a template expression is a template's own syntax
}

/** The lines of `text` that break the language rule of `lang`, with what broke it. */
export function offences(text, lang, strings) {
  const rest = withoutData(text, strings);
  const found = [];
  for (const line of rest.split('\n')) {
    if (lang === 'en-US') {
      // the language switch names Chinese in Chinese
      const cleaned = line.replace('中文', '');
      if (CJK.test(cleaned)) found.push(line.trim());
    } else {
      const keys = [...line.matchAll(MESSAGE_KEY)].map((m) => m[0]).filter((key) => !/\.(csv|xlsx|json|com|cn)$/.test(key));
      const raw = [...line.matchAll(SNAKE_CASE)].map((m) => m[0]);
      const english = [...line.matchAll(ENGLISH_PHRASE)].map((m) => m[0]);
      if (RAW_VALUES.has(line.trim())) english.push(line.trim());
      if (keys.length || raw.length || english.length)
        found.push(`${line.trim()}  ⟵ ${[...keys, ...raw, ...english].join(', ')}`);
    }
  }
  return found;
}

/**
 * The visible text under `scope`, one text node (or placeholder) a line: inline pieces stay apart
 * ("失败 0" and "no_charge 0" are two lines, not "失败 0no_charge 0"). Code and JSON shown as such
 * (`pre`, `code`) are what the system calls things and stay as they are.
 */
function visibleText(page, scope) {
  return page.evaluate((selector) => {
    const lines = [];
    const visible = (el) => el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true });
    for (const root of document.querySelectorAll(selector)) {
      if (!visible(root)) continue;
      const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const el = node.parentElement;
        const text = node.textContent.trim();
        if (!text || !el || el.closest('pre, code, script, style') || !visible(el)) continue;
        lines.push(text);
      }
      for (const input of root.querySelectorAll('input[placeholder], textarea[placeholder]'))
        if (visible(input) && input.placeholder.trim()) lines.push(input.placeholder.trim());
    }
    return lines.join('\n');
  }, scope);
}

/** Waits until the page has had no request in flight for a moment (at most 15 s). */
function trackRequests(page) {
  let inFlight = 0;
  let lastChange = Date.now();
  const change = (delta) => () => {
    inFlight = Math.max(0, inFlight + delta);
    lastChange = Date.now();
  };
  page.on('request', change(1));
  page.on('requestfinished', change(-1));
  page.on('requestfailed', change(-1));
  return async function settle() {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (inFlight === 0 && Date.now() - lastChange > 400) break;
      await page.waitForTimeout(100);
    }
    await page
      .locator('.arco-spin-loading')
      .first()
      .waitFor({ state: 'hidden', timeout: 5_000 })
      .catch(() => {});
    await page.waitForTimeout(150);
  };
}

async function walk(browser, server, lang) {
  const strings = dataStrings(server);
  const problems = [];
  const visited = [];
  const check = async (page, name, scope = 'body') => {
    const text = await visibleText(page, scope);
    for (const line of offences(text, lang, strings)) problems.push(`[${name}] ${line}`);
    visited.push(name);
    await saveScreenshot(page, `language-${lang}-${name}`);
  };

  await withPage(
    browser,
    `language-${lang}`,
    async (page) => {
      await page.addInitScript((locale) => globalThis.localStorage.setItem('opcms.locale', locale), lang);
      const settle = trackRequests(page);

      await page.goto(`${server.baseURL}/login`);
      await page.getByTestId('login-submit').waitFor();
      await check(page, 'login');

      await logInAsAdmin(page, server, '/dashboard');
      await settle();
      const menu = page.getByTestId('side-menu');
      const entries = await menu.locator('[data-menu]').evaluateAll((items) => items.map((item) => item.getAttribute('data-menu')));
      assert.ok(entries.length >= 10, `the menu lists the pages: ${entries.join(', ')}`);

      for (const entry of entries) {
        const item = menu.locator(`[data-menu="${entry}"]`);
        await item.scrollIntoViewIfNeeded();
        await item.click();
        await settle();
        await check(page, entry);
        const pageUrl = page.url();

        // the dialogs and drawers the page's buttons open (create, run, pull, upload…)
        const openers = await page
          .locator('.layout-content [data-testid$="-create"]:visible, .layout-content [data-testid$="-open"]:visible')
          .evaluateAll((buttons) => [...new Set(buttons.map((b) => b.getAttribute('data-testid')))]);
        for (const opener of openers) {
          const button = page.locator(`.layout-content [data-testid="${opener}"]:visible`).first();
          if (!(await button.isEnabled())) continue;
          await button.click();
          await settle();
          const overlay = page.locator('.arco-modal:visible, .arco-drawer:visible').last();
          if (await overlay.count()) {
            await check(page, `${entry}-${opener}`, '.arco-modal, .arco-drawer');
            await page.keyboard.press('Escape');
            await overlay.waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => {});
            const close = page.locator('.arco-modal:visible .arco-modal-close-btn, .arco-drawer:visible .arco-drawer-close-btn');
            if (await close.count()) await close.first().click();
            await page.locator('.arco-modal:visible, .arco-drawer:visible').first().waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => {});
          } else if (page.url() !== pageUrl) {
            await check(page, `${entry}-${opener}`);
            await page.goBack();
            await settle();
          }
        }

        // the first row's "view" (a drawer of the record, or its page)
        const view = page
          .locator('.layout-content .arco-table tbody')
          .first()
          .locator('button:visible, a:visible', { hasText: /^\s*(查看|View)\s*$/ })
          .first();
        if (await view.count()) {
          await view.click();
          await settle();
          const overlay = page.locator('.arco-modal:visible, .arco-drawer:visible').last();
          if (await overlay.count()) {
            await check(page, `${entry}-row`, '.arco-modal, .arco-drawer');
            await page.keyboard.press('Escape');
            await overlay.waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => {});
          } else if (page.url() !== pageUrl) {
            await check(page, `${entry}-row`);
            await page.goto(pageUrl);
            await settle();
          }
        }
      }

      // the detail pages of the seeded records, and the customer detail's tabs
      const details = [
        ['customer', `/customers/${seeded.ids.customer}`],
        ['invoice', `/invoices/${seeded.ids.invoice}`],
        ['payment', `/payments/${seeded.ids.payment}`],
        ['payment-unknown-payer', `/payments/${seeded.ids.unknownPayment}`],
        ['job-execution', `/jobs/${seeded.ids.execution}`],
        ['account', '/account'], // one's own account: not in the menu
      ];
      for (const [name, where] of details) {
        await page.goto(`${server.baseURL}${where}`);
        await settle();
        await check(page, `detail-${name}`);
        if (name === 'invoice') {
          // the printed invoice, opened in a new tab, in the same language
          const popup = page.waitForEvent('popup');
          await page.getByTestId('invoice-print').click();
          const printed = await popup;
          await printed.waitForLoadState();
          const text = await visibleText(printed, 'body');
          assert.match(text, lang === 'en-US' ? /INVOICE/ : /账 单/);
          for (const line of offences(text, lang, strings)) problems.push(`[print] ${line}`);
          visited.push('print');
          await saveScreenshot(printed, `language-${lang}-invoice-print`);
          await printed.close();
        }
        const tabs = page.locator('.layout-content .arco-tabs-tab:visible');
        const count = await tabs.count();
        for (let i = 1; i < count; i += 1) {
          await tabs.nth(i).click();
          await settle();
          await check(page, `detail-${name}-tab${i}`);
        }
      }
    },
    { locale: lang },
  );
  return { problems, visited };
}

describe('one language at a time', () => {
  before(seed, { timeout: 240_000 });

  for (const lang of ['en-US', 'zh-CN']) {
    it(`every page in ${lang} shows ${lang === 'en-US' ? 'no Chinese but data' : 'no untranslated key'}`, { timeout: 600_000 }, async () => {
      const { problems, visited } = await walk(env.browser, env.server, lang);
      assert.ok(visited.length >= 15, `walked: ${visited.join(', ')}`);
      assert.deepEqual(problems, [], `${problems.length} lines not in ${lang}:\n${problems.join('\n')}`);
    });
  }
});
