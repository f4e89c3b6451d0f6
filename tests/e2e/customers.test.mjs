import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { withPage } from './support/browser.mjs';
import { logInAsAdmin, serverAndBrowser } from './support/suite.mjs';

const env = serverAndBrowser();

async function logIn(page) {
  await logInAsAdmin(page, env.server, '/customers');
  await page.getByTestId('customer-table').waitFor();
}

/** Fills the create form and submits it; resolves to the POST /customers response. */
async function submitNewCustomer(page, { code, name, creditLimit, phone }) {
  await page.getByTestId('customer-create').click();
  await page.getByTestId('customer-form-submit').waitFor();
  await page.getByTestId('input-customer_code').fill(code);
  await page.getByTestId('input-company_name').fill(name);
  if (phone) await page.getByTestId('input-contact_phone').fill(phone);
  if (creditLimit) await page.getByTestId('input-credit_limit').fill(creditLimit);
  const response = page.waitForResponse((res) => res.url().endsWith('/api/v1/customers') && res.request().method() === 'POST');
  await page.getByTestId('customer-form-submit').click();
  return response;
}

describe('customers', () => {
  it('creates a customer, moves its status, refuses a duplicate code and exports', { timeout: 90_000 }, async () => {
    await withPage(env.browser, 'customers-flow', async (page) => {
      await logIn(page);
      // the sider has the customer pages
      const menu = page.getByTestId('side-menu');
      await menu.getByText('客户管理').waitFor();
      await menu.getByText('客户导入').waitFor();

      // --- create through the form; it appears in the list -------------------------------------
      const created = await submitNewCustomer(page, {
        code: 'E2E-001',
        name: 'E2E 测试科技有限公司',
        creditLimit: '12345.6',
        phone: '+86 138-0013-8000',
      });
      assert.equal(created.status(), 201);
      const body = await created.json();
      assert.equal(body.credit_limit, '12345.60'); // money stays a decimal string
      assert.equal(created.request().postDataJSON().credit_limit, '12345.6');
      assert.equal(body.contact_phone, '13800138000');
      await page.getByTestId('customer-form').waitFor({ state: 'hidden' });

      const link = page.getByTestId('customer-link-E2E-001');
      await link.waitFor();
      const row = page.locator('tr', { has: link });
      assert.match(await row.innerText(), /E2E 测试科技有限公司/);
      assert.match(await row.innerText(), /12,345\.60/);
      assert.match(await row.innerText(), /潜在/);

      // --- status prospect -> trial with a reason, seen in the history --------------------------
      await link.click();
      await page.getByTestId('detail-profile').waitFor();
      assert.equal(await page.getByTestId('detail-code').innerText(), 'E2E-001');
      await page.locator('[data-testid="detail-status"] [data-status="prospect"]').waitFor();

      await page.getByTestId('status-change-button').click();
      const targets = page.getByTestId('status-target');
      await targets.waitFor();
      // only the legal targets of a prospect are offered
      assert.deepEqual(
        await targets.locator('[data-value]').evaluateAll((els) => els.map((el) => el.getAttribute('data-value'))),
        ['trial', 'closed'],
      );
      await targets.locator('[data-value="trial"]').click();
      await page.getByTestId('status-reason').locator('textarea').fill('E2E 开通试用');
      const moved = page.waitForResponse((res) => /\/api\/v1\/customers\/\d+\/status$/.test(res.url()));
      await page.getByTestId('status-submit').click();
      assert.equal((await moved).status(), 200);

      await page.locator('[data-testid="detail-status"] [data-status="trial"]').waitFor();
      const newest = page.getByTestId('status-history-item').first();
      await newest.locator('[data-status="trial"]').waitFor();
      assert.ok(await newest.locator('[data-status="prospect"]').count(), 'history shows the move from prospect');
      assert.equal(await page.getByTestId('status-history-reason').first().innerText(), 'E2E 开通试用');

      // --- a duplicate code is refused and shown on the field ------------------------------------
      await page.getByTestId('detail-back').click();
      await page.getByTestId('customer-link-E2E-001').waitFor();
      const duplicate = await submitNewCustomer(page, { code: 'E2E-001', name: 'E2E 另一家公司' });
      assert.equal(duplicate.status(), 409);
      const codeField = page.getByTestId('field-customer_code');
      await codeField.getByText('已被其他客户使用').waitFor();
      assert.match(await codeField.innerText(), /客户编号/);
      assert.doesNotMatch(await page.getByTestId('field-company_name').innerText(), /已被其他客户使用/);
      await page.keyboard.press('Escape');
      await page.getByTestId('customer-form').waitFor({ state: 'hidden' });

      // --- export with the current filters: an authenticated xlsx download -----------------------
      await page.getByTestId('filter-keyword').fill('E2E');
      await page.getByTestId('filter-search').click();
      await page.locator('[data-testid^="customer-link-"]').first().waitFor();
      const exportRequest = page.waitForRequest((req) => req.url().includes('/api/v1/customers/export'));
      const download = page.waitForEvent('download');
      await page.getByTestId('customer-export').click();
      const request = await exportRequest;
      assert.match(request.headers().authorization ?? '', /^Bearer /);
      assert.equal(new URL(request.url()).searchParams.get('keyword'), 'E2E');
      const file = await download;
      assert.match(file.suggestedFilename(), /^customers-.*\.xlsx$/);
      const bytes = await readFile(await file.path());
      assert.equal(bytes.subarray(0, 2).toString('latin1'), 'PK'); // an xlsx is a zip
    });
  });
});
