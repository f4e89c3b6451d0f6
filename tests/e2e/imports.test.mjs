import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { withPage } from './support/browser.mjs';
import { logInAsAdmin, serverAndBrowser } from './support/suite.mjs';

const env = serverAndBrowser();

describe('imports', () => {
  it('downloads the template and validates it back: report and history, nothing written', { timeout: 90_000 }, async () => {
    await withPage(env.browser, 'imports-template-roundtrip', async (page) => {
      await logInAsAdmin(page, env.server, '/imports');

      // the template is an authenticated download
      const download = page.waitForEvent('download');
      await page.getByTestId('import-template').click();
      const template = await download;
      assert.match(template.suggestedFilename(), /\.xlsx$/);

      // upload it back in validate mode (the default)
      await page.getByTestId('import-upload').locator('input[type=file]').setInputFiles({
        name: template.suggestedFilename(),
        mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        buffer: await readFile(await template.path()),
      });
      await page.getByTestId('import-file').waitFor();
      const upload = page.waitForResponse((res) => res.url().endsWith('/api/v1/imports/customers'));
      await page.getByTestId('import-submit').click();
      const response = await upload;
      assert.equal(response.status(), 200);
      const reply = await response.json();
      assert.equal(reply.mode, 'validate');
      assert.equal(reply.status, 'succeeded');

      await page.getByTestId('import-report').waitFor();
      const total = Number(await page.getByTestId('report-total').locator('div').first().innerText());
      assert.equal(total, reply.report.total);
      assert.ok(total >= 1, 'the template carries an example row');
      // a validation says what an import would do, never that it was done
      const created = reply.report.created;
      assert.match(await page.getByTestId('report-validation').innerText(), new RegExp(`将新增 ${created}，将更新 0`));
      assert.match(await page.getByTestId('report-created').innerText(), /将新增/);
      assert.doesNotMatch(await page.getByTestId('import-report').innerText(), /(?<!将)新增/);

      // the import is listed; validate wrote no customer
      await page.getByTestId('import-history').locator('tbody tr').first().waitFor();
      assert.match(await page.getByTestId('import-history').innerText(), /仅校验/);
      assert.match(await page.getByTestId('import-history').innerText(), new RegExp(`将新增 ${created}，将更新 0`));
      await page.goto(`${env.server.baseURL}/customers`);
      await page.getByTestId('customer-table').locator('.arco-empty').waitFor();
    });
  });
});
