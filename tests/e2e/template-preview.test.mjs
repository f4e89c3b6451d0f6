import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { saveScreenshot, withPage } from './support/browser.mjs';
import { logInAsAdmin, serverAndBrowser } from './support/suite.mjs';

const env = serverAndBrowser();

describe('notification template preview', () => {
  it('previews a seeded reminder template from its samples, with a number typed in the form', { timeout: 120_000 }, async () => {
    await withPage(env.browser, 'template-preview', async (page) => {
      await logInAsAdmin(page, env.server, '/notification-templates');
      // given the customer e-mail reminder seeded by the migrations (it compares days_overdue > 0)
      await page.getByTestId('template-row-reminder.customer_email').waitFor();
      await page.getByTestId('template-preview-reminder.customer_email').click();
      const dialog = page.getByTestId('template-preview');
      await dialog.waitFor();
      // the form holds a sample of every variable
      const days = page.getByTestId('preview-var-days_overdue');
      assert.equal(await days.inputValue(), '7');
      assert.equal(await page.getByTestId('preview-var-outstanding').inputValue(), '1100.00');
      // when 35 days overdue is typed and the preview asked for
      await days.fill('35');
      const rendered = page.waitForResponse((res) => /\/notification-templates\/\d+\/preview$/.test(res.url()));
      await page.getByTestId('preview-render').click();
      const reply = await rendered;
      // then the number went as a number, and the template compared it
      assert.equal(reply.status(), 200, await reply.text());
      assert.equal(reply.request().postDataJSON().variables.days_overdue, 35);
      assert.equal(reply.request().postDataJSON().variables.outstanding, '1100.00'); // an amount: text, never a float
      await page.getByTestId('preview-result').waitFor();
      assert.equal(await page.getByTestId('preview-error').count(), 0);
      assert.match(await page.getByTestId('preview-content').innerText(), /目前已逾期 35 天/);
      assert.equal((await page.getByTestId('preview-title').innerText()).trim(), '【账单提醒】INV-202610-000001 未付 1100.00 CNY');
      await saveScreenshot(page, 'template-preview-reminder');
    });
  });
});
