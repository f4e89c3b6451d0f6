import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { adminApi } from './support/api.mjs';
import { saveScreenshot, withPage } from './support/browser.mjs';
import { logInAsAdmin, serverAndBrowser } from './support/suite.mjs';

const env = serverAndBrowser();
const api = adminApi(env);

/** Clicks OK in the popconfirm that is open. */
async function confirm(page) {
  await page.locator('.arco-popconfirm:visible .arco-btn-primary').click();
}

describe('deleted records', () => {
  it('an admin deletes a pricing plan on the pricing page and restores it from the deleted records page', { timeout: 120_000 }, async () => {
    // given a plan
    await api('POST', '/usage-metrics', { code: 'e2e_del_calls', name: 'E2E 删除指标', unit: '次' });
    const plan = await api('POST', '/pricing-plans', {
      code: 'E2E-DEL',
      name: 'E2E 待删除价目',
      metric: 'e2e_del_calls',
      mode: 'per_unit',
      unit_price: '0.01',
    });

    await withPage(env.browser, 'deleted-records-plan', async (page) => {
      // when the admin deletes it on the pricing page
      await logInAsAdmin(page, env.server, '/pricing-plans');
      await page.getByTestId('plan-row-E2E-DEL').waitFor();
      const deleted = page.waitForResponse(
        (res) => res.url().includes(`/api/v1/pricing-plans/${plan.id}`) && res.request().method() === 'DELETE',
      );
      await page.getByTestId('plan-delete-E2E-DEL').click();
      await confirm(page);
      assert.equal((await deleted).status(), 200);
      await page.getByTestId('plan-row-E2E-DEL').waitFor({ state: 'detached' });

      // then the deleted records page, in the System & audit menu, lists it under pricing plans
      await page.getByTestId('side-menu').getByText('已删除记录', { exact: true }).click();
      await page.waitForURL((url) => url.pathname === '/deleted-records');
      await page.getByTestId('deleted-kind-pricing_plan').click();
      await page.waitForURL((url) => url.searchParams.get('entity') === 'pricing_plan');
      const label = page.getByTestId(`deleted-label-${plan.id}`);
      await label.waitFor();
      assert.equal((await label.textContent()).trim(), 'E2E-DEL · E2E 待删除价目');
      const row = page.locator('tr', { has: label });
      const text = await row.textContent();
      assert.ok(text.includes('e2e-admin'), text);
      assert.ok(text.includes('未填写原因'), text);

      // the record as it was, in the drawer
      await label.click();
      const drawer = page.getByTestId('deleted-drawer');
      await drawer.getByTestId('deleted-detail-label').waitFor();
      assert.equal(await drawer.locator('[data-field="code"]').textContent(), 'E2E-DEL');
      assert.equal(await drawer.locator('[data-field="is_deleted"]').textContent(), 'true');
      await drawer.getByTestId('deleted-code-hint').waitFor();
      await saveScreenshot(page, 'deleted-records');

      // the admin restores it from the drawer
      const restored = page.waitForResponse((res) => res.url().endsWith(`/api/v1/deleted-records/pricing_plan/${plan.id}/restore`));
      await drawer.getByTestId('deleted-drawer-restore').click();
      await confirm(page);
      assert.equal((await restored).status(), 200);
      await page.locator('.arco-message', { hasText: '已恢复价目方案“E2E-DEL · E2E 待删除价目”' }).waitFor();
      await label.waitFor({ state: 'detached' });

      // and the plan is back on the pricing page
      await page.goto(`${env.server.baseURL}/pricing-plans`);
      await page.getByTestId('plan-row-E2E-DEL').waitFor();
    });
  });

  it('a restore whose customer code was taken again is refused with the reason', { timeout: 120_000 }, async () => {
    // given a customer deleted with a reason, and a new customer with its code since
    const old = await api('POST', '/customers', { customer_code: 'E2E-CONF', company_name: 'E2E 旧客户有限公司' });
    await api('DELETE', `/customers/${old.id}?reason=${encodeURIComponent('重复录入')}`);
    await api('POST', '/customers', { customer_code: 'E2E-CONF', company_name: 'E2E 新客户有限公司' });

    await withPage(env.browser, 'deleted-records-conflict', async (page) => {
      await logInAsAdmin(page, env.server, '/deleted-records');
      await page.getByTestId('deleted-kind-customer').click();
      const label = page.getByTestId(`deleted-label-${old.id}`);
      await label.waitFor();
      const row = page.locator('tr', { has: label });
      assert.ok((await row.textContent()).includes('重复录入'));

      // when the admin restores it
      const answered = page.waitForResponse((res) => res.url().endsWith(`/api/v1/deleted-records/customer/${old.id}/restore`));
      await page.getByTestId(`deleted-restore-${old.id}`).click();
      await confirm(page);

      // then the server's 409 is shown and the customer stays deleted
      const response = await answered;
      assert.equal(response.status(), 409);
      assert.equal((await response.json()).error.code, 'restore_conflict');
      await page.locator('.arco-message-error').waitFor();
      await label.waitFor();
      await saveScreenshot(page, 'deleted-records-conflict');
    });
  });
});
