import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pick } from './support/api.mjs';
import { withPage } from './support/browser.mjs';
import { logInAsAdmin, serverAndBrowser } from './support/suite.mjs';

const env = serverAndBrowser();

// A graduated plan: the first 10,000 at 0.012, the rest at 0.0085 plus a flat fee of 5 once reached,
// and a monthly fee of 100. For 1,234,567.5: 120 + 1,224,567.5 × 0.0085 (10,408.82375) + 5 + 100
// = 10,633.82375, rounded once to 10,633.82.
const QUANTITY = '1234567.5';
const AMOUNT = '10,633.82';

describe('pricing and usage', () => {
  it('creates a metric and a graduated plan through the UI, previews a price and opens the anomalies', { timeout: 120_000 }, async () => {
    await withPage(env.browser, 'pricing-plan-flow', async (page) => {
      await logInAsAdmin(page, env.server, '/pricing-plans');
      await page.getByTestId('plan-table').waitFor();
      const menu = page.getByTestId('side-menu');
      for (const entry of ['计费方案', '订阅', '用量', '用量异常', '数据源']) await menu.getByText(entry, { exact: true }).waitFor();

      // --- a metric, on the metrics tab ---------------------------------------------------------------
      await page.getByTestId('pricing-tabs').getByText('计量指标').click();
      await page.getByTestId('metric-create').click();
      await page.getByTestId('input-metric-code').fill('e2e_calls');
      await page.getByTestId('input-metric-name').fill('E2E 调用');
      await page.getByTestId('input-metric-unit').fill('次');
      const metricCreated = page.waitForResponse((res) => res.url().endsWith('/api/v1/usage-metrics') && res.request().method() === 'POST');
      await page.getByTestId('metric-submit').click();
      assert.equal((await metricCreated).status(), 201);
      await page.getByTestId('metric-table').getByText('e2e_calls').waitFor();

      // --- a graduated plan -------------------------------------------------------------------------------
      await page.getByTestId('pricing-tabs').getByText('计费方案').click();
      await page.getByTestId('plan-create').click();
      await page.getByTestId('plan-form-submit').waitFor();
      await page.getByTestId('input-code').fill('E2E-GRAD');
      await page.getByTestId('input-name').fill('E2E 阶梯价');
      await pick(page, 'input-metric', 'E2E 调用 (e2e_calls)');
      await page.locator('[data-testid="plan-mode"] [data-mode="graduated"]').click();
      await page.getByTestId('tiers-editor').waitFor();
      // the last tier is open-ended
      assert.equal((await page.getByTestId('tier-up_to-2').innerText()).trim(), '∞');
      await page.getByTestId('tier-up_to-1').fill('10000');
      await page.getByTestId('tier-unit_price-1').fill('0.012');
      await page.getByTestId('tier-unit_price-2').fill('0.0085');
      await page.getByTestId('tier-flat_fee-2').fill('5');
      await page.getByTestId('input-monthly_fee').fill('100');
      // the ranges read as people say them
      assert.equal((await page.getByTestId('tier-range-1').innerText()).trim(), '0 – 10,000');
      assert.equal((await page.getByTestId('tier-range-2').innerText()).trim(), '10,001 及以上');

      // the live preview of the terms being typed
      const formPreview = page.getByTestId('plan-form').getByTestId('preview-panel');
      const previewed = page.waitForResponse((res) => res.url().endsWith('/api/v1/pricing/preview'));
      await formPreview.getByTestId('preview-quantity').fill(QUANTITY);
      const previewReply = await previewed;
      assert.equal(previewReply.status(), 200);
      assert.equal(previewReply.request().postDataJSON().quantity, QUANTITY); // a string, never a float
      await formPreview.getByTestId('preview-amount').getByText(AMOUNT, { exact: true }).waitFor();
      assert.equal(await formPreview.getByTestId('preview-breakdown').locator('tbody tr').count(), 2);
      const breakdownText = await formPreview.getByTestId('preview-breakdown').innerText();
      assert.match(breakdownText, /0 – 10,000/);
      assert.match(breakdownText, /10,001 及以上/);

      // a bound that does not ascend is caught in the browser, naming the tiers like the backend does
      const notAscending = '第 2 层：上限 5000 必须大于第 1 层的上限 10000';
      await page.getByTestId('tier-add').click();
      await page.getByTestId('tier-up_to-2').fill('5000');
      await page.getByTestId('tier-unit_price-3').fill('0.006');
      const blocked = formPreview.getByTestId('preview-blocked');
      await blocked.getByText(notAscending).waitFor();
      await page.getByTestId('plan-form-submit').click();
      await page.getByTestId('tier-error-2').getByText(notAscending).waitFor();
      // dropping the third tier makes the second one the open-ended last tier again
      await page.getByTestId('tier-remove-3').click();
      await blocked.waitFor({ state: 'hidden' });
      assert.equal((await page.getByTestId('tier-up_to-2').innerText()).trim(), '∞');
      await formPreview.getByTestId('preview-amount').getByText(AMOUNT, { exact: true }).waitFor();

      const planCreated = page.waitForResponse((res) => res.url().endsWith('/api/v1/pricing-plans') && res.request().method() === 'POST');
      await page.getByTestId('plan-form-submit').click();
      const created = await planCreated;
      assert.equal(created.status(), 201);
      assert.deepEqual(created.request().postDataJSON().tiers, [
        { up_to: '10000', unit_price: '0.012', flat_fee: '0' },
        { up_to: null, unit_price: '0.0085', flat_fee: '5' },
      ]);
      await page.getByTestId('plan-form').waitFor({ state: 'hidden' });
      const row = page.locator('tr', { has: page.getByTestId('plan-row-E2E-GRAD') });
      await row.waitFor();
      assert.match(await row.innerText(), /多层阶梯\(分段累进\)/);
      assert.match(await row.innerText(), /v1/);
      assert.equal(await page.getByTestId('plan-load-error').count(), 0);

      // --- the preview of the stored plan gives the same amount ------------------------------------------
      await page.getByTestId('plan-preview-E2E-GRAD').click();
      const modal = page.getByTestId('plan-preview-modal');
      await modal.getByTestId('preview-quantity').fill(QUANTITY);
      await modal.getByTestId('preview-amount').getByText(AMOUNT, { exact: true }).waitFor();
      assert.equal(await modal.getByTestId('preview-amount').innerText(), AMOUNT);
      await page.keyboard.press('Escape');
      await modal.waitFor({ state: 'hidden' });

      // --- the versions of the plan ----------------------------------------------------------------------------
      await page.getByTestId('plan-versions-E2E-GRAD').click();
      await page.getByTestId('versions-table').getByTestId('version-1').waitFor();
      await page.keyboard.press('Escape');

      // --- the anomalies page -------------------------------------------------------------------------------------
      await menu.getByText('用量异常', { exact: true }).click();
      await page.waitForURL((url) => url.pathname === '/usage-anomalies');
      await page.getByTestId('anomaly-table').waitFor();
      await page.getByTestId('anomaly-filter-status').getByText('待处理').waitFor();
      await page.getByTestId('anomaly-table').locator('.arco-empty').waitFor(); // no usage pulled yet
      assert.equal(await page.getByTestId('anomaly-load-error').count(), 0);
      assert.equal(await page.getByTestId('anomaly-accept').isDisabled(), true); // nothing selected
    });
  });

  it('shows the usage pulls and keeps data source secrets write-only', { timeout: 90_000 }, async () => {
    await withPage(env.browser, 'usage-data-sources', async (page) => {
      await logInAsAdmin(page, env.server, '/data-sources');
      await page.getByTestId('source-table').waitFor();

      await page.getByTestId('source-create').click();
      await page.getByTestId('input-source-name').fill('e2e-vendor');
      await pick(page, 'input-source-adapter', 'http_json');
      // the settings are checked as JSON while they are typed
      await page.getByTestId('input-source-settings').locator('textarea').fill('{"base_url": "https://vendor.example.com/api", "auth": "bearer",}');
      await page.getByTestId('field-source-settings').getByText('不是有效的 JSON').waitFor();
      await page.getByTestId('input-source-settings').locator('textarea').fill('{"base_url": "https://vendor.example.com/api", "auth": "bearer"}');
      await page.getByTestId('secret-add-needed').click();
      await page.getByTestId('secret-value').fill('s3cret-token');
      const sourceCreated = page.waitForResponse((res) => res.url().endsWith('/api/v1/data-sources') && res.request().method() === 'POST');
      await page.getByTestId('source-submit').click();
      const reply = await sourceCreated;
      assert.equal(reply.status(), 201);
      const body = await reply.json();
      assert.deepEqual(body.secret_names, ['token']);
      assert.doesNotMatch(JSON.stringify(body), /s3cret-token/);
      const row = page.locator('tr', { has: page.getByTestId('source-row-e2e-vendor') });
      await row.waitFor();
      assert.match(await row.innerText(), /token/);

      // editing shows the secret's name, never its value
      await page.getByTestId('source-edit-e2e-vendor').click();
      await page.getByTestId('secret-row-token').waitFor();
      assert.equal(await page.getByTestId('secret-row-token').getByTestId('secret-value').inputValue(), '');
      await page.keyboard.press('Escape');
      assert.equal(await page.getByTestId('source-load-error').count(), 0);

      // the subscriptions page lists nothing yet
      await page.getByTestId('side-menu').getByText('订阅', { exact: true }).click();
      await page.waitForURL((url) => url.pathname === '/subscriptions');
      await page.getByTestId('subscription-table').locator('.arco-empty').waitFor();
      assert.equal(await page.getByTestId('subscription-load-error').count(), 0);

      // the usage page: records, then the pulls tab
      await page.getByTestId('side-menu').getByText('用量', { exact: true }).click();
      await page.waitForURL((url) => url.pathname === '/usage');
      await page.getByTestId('usage-table').locator('.arco-empty').waitFor();
      assert.equal(await page.getByTestId('usage-load-error').count(), 0);
      await page.getByTestId('usage-tabs').getByText('拉取任务').click();
      await page.getByTestId('pull-table').locator('.arco-empty').waitFor();
      assert.equal(await page.getByTestId('pull-load-error').count(), 0);
      await page.getByTestId('pull-open').click();
      await page.getByTestId('pull-modal').getByTestId('pull-day').waitFor();
      await page.keyboard.press('Escape');
    });
  });
});
