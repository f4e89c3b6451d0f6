import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { saveScreenshot, withPage } from './support/browser.mjs';
import { logInAsAdmin, serverAndBrowser } from './support/suite.mjs';

const env = serverAndBrowser();

const USER = 'e2e-op';
const FINAL_PASSWORD = 'Chosen-by-me-42';

/** Clicks OK in the popconfirm that is open. */
async function confirm(page) {
  await page.locator('.arco-popconfirm:visible .arco-btn-primary').click();
}

describe('users and roles, my account', () => {
  let oneTime = null;

  it('an admin creates a user, sees the matrix, resets the password once and cannot disable the last admin', { timeout: 180_000 }, async () => {
    await withPage(env.browser, 'users', async (page) => {
      await logInAsAdmin(page, env.server, '/users');
      await page.getByTestId(`user-row-${env.server.adminUser}`).waitFor();
      await page.getByTestId('side-menu').getByText('用户与角色', { exact: true }).waitFor();
      await saveScreenshot(page, 'users');

      // --- create: the password rule's refusal under the field, then a good one ------------------------------
      await page.getByTestId('user-create').click();
      await page.getByTestId('user-form').waitFor();
      await page.getByTestId('input-user-username').fill(USER);
      await page.getByTestId('input-user-display-name').fill('E2E 运营');
      await page.getByTestId('input-user-role-operator').click();
      await page.getByTestId('input-user-password').fill('password12');
      const refused = page.waitForResponse((res) => res.url().endsWith('/api/v1/users') && res.request().method() === 'POST');
      await page.getByTestId('user-submit').click();
      assert.equal((await refused).status(), 422);
      const passwordField = page.getByTestId('field-user-password');
      await passwordField.locator('.arco-form-item-message').waitFor();
      assert.match(await passwordField.innerText(), /常见|common/);
      await saveScreenshot(page, 'users-create-refused');
      await page.getByTestId('input-user-password').fill('First-pass-2026');
      const created = page.waitForResponse((res) => res.url().endsWith('/api/v1/users') && res.request().method() === 'POST');
      await page.getByTestId('user-submit').click();
      const createdReply = await created;
      assert.equal(createdReply.status(), 201, await createdReply.text());
      assert.equal((await createdReply.json()).role, 'operator');
      await page.getByTestId(`user-row-${USER}`).waitFor();
      assert.equal(await page.getByTestId(`user-role-${USER}`).innerText(), '运营');

      // --- the role → permission matrix, read-only ----------------------------------------------------------
      await page.getByTestId('user-matrix-open').click();
      await page.getByTestId('user-matrix-row-users:write').waitFor();
      assert.equal(await page.getByTestId('user-matrix-users:write-admin').count(), 1);
      assert.equal(await page.getByTestId('user-matrix-users:write-auditor').count(), 0);
      await saveScreenshot(page, 'users-permission-matrix');
      await page.keyboard.press('Escape');
      await page.getByTestId('user-matrix-table').waitFor({ state: 'hidden' });

      // --- reset the password: a one-time password, shown once ---------------------------------------------
      await page.getByTestId(`user-reset-${USER}`).click();
      await page.getByTestId('user-reset-modal').waitFor();
      const reset = page.waitForResponse((res) => /\/api\/v1\/users\/\d+\/password$/.test(res.url()));
      await page.getByTestId('user-reset-submit').click();
      const resetReply = await reset;
      assert.equal(resetReply.status(), 200, await resetReply.text());
      oneTime = (await page.getByTestId('user-reset-password').innerText()).trim();
      assert.equal(oneTime, (await resetReply.json()).one_time_password);
      assert.match(oneTime, /^[A-Za-z0-9]{4}(-[A-Za-z0-9]{4}){3}$/);
      await page.getByTestId('user-reset-copy').waitFor();
      await saveScreenshot(page, 'users-one-time-password');
      await page.getByTestId('user-reset-submit').click();
      await page.getByTestId('user-reset-modal').waitFor({ state: 'hidden' });
      await page.getByTestId(`user-one-time-${USER}`).waitFor();

      // --- the last active admin: disabling it is refused, in words ----------------------------------------
      await page.getByTestId(`user-toggle-${env.server.adminUser}`).click();
      const disabled = page.waitForResponse((res) => /\/api\/v1\/users\/\d+$/.test(res.url()) && res.request().method() === 'PATCH');
      await confirm(page);
      const disabledReply = await disabled;
      assert.equal(disabledReply.status(), 409);
      assert.equal((await disabledReply.json()).error.code, 'last_admin');
      await page.locator('.arco-message-error', { hasText: '最后一个启用的管理员' }).waitFor();
      assert.equal(await page.getByTestId(`user-status-${env.server.adminUser}`).innerText(), '启用');
      await saveScreenshot(page, 'users-last-admin');
    });
  });

  it('the user signs in with the one-time password, is held on My account until they change it', { timeout: 120_000 }, async () => {
    assert.ok(oneTime, 'the reset above gave a one-time password');
    await withPage(env.browser, 'account', async (page) => {
      await page.goto(`${env.server.baseURL}/login?redirect=${encodeURIComponent('/customers')}`);
      await page.getByTestId('login-username').fill(USER);
      await page.getByTestId('login-password').fill(oneTime);
      await page.getByTestId('login-submit').click();
      // sent to My account with a notice, whatever was asked for
      await page.waitForURL((url) => url.pathname === '/account');
      await page.getByTestId('account-forced').waitFor();
      await page.goto(`${env.server.baseURL}/customers`);
      await page.waitForURL((url) => url.pathname === '/account');
      await page.getByTestId('account-forced').waitFor();
      await saveScreenshot(page, 'account-forced');

      // the same password again is refused under its field
      await page.getByTestId('account-current').fill(oneTime);
      await page.getByTestId('account-new').fill(oneTime);
      await page.getByTestId('account-confirm').fill(oneTime);
      const unchanged = page.waitForResponse((res) => res.url().endsWith('/api/v1/auth/password'));
      await page.getByTestId('account-password-submit').click();
      assert.equal((await unchanged).status(), 422);
      await page.locator('[data-testid="field-account-new"].arco-form-item-status-error').waitFor();

      // a new one of their own: the rest of the app opens
      await page.getByTestId('account-new').fill(FINAL_PASSWORD);
      await page.getByTestId('account-confirm').fill(FINAL_PASSWORD);
      const changed = page.waitForResponse((res) => res.url().endsWith('/api/v1/auth/password'));
      await page.getByTestId('account-password-submit').click();
      const changedReply = await changed;
      assert.equal(changedReply.status(), 200, await changedReply.text());
      assert.equal((await changedReply.json()).must_change_password, false);
      await page.waitForURL((url) => url.pathname !== '/account');
      await page.goto(`${env.server.baseURL}/customers`);
      await page.waitForURL((url) => url.pathname === '/customers');

      // My account from the header: the sessions, this one marked
      await page.getByTestId('current-user').click();
      await page.waitForURL((url) => url.pathname === '/account');
      await page.getByTestId('account-session-current').waitFor();
      assert.equal(await page.getByTestId('account-forced').count(), 0);
      assert.equal(await page.getByTestId('account-username').innerText(), USER);
      await saveScreenshot(page, 'account');
    });
  });
});
