import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withPage } from './support/browser.mjs';
import { serverAndBrowser } from './support/suite.mjs';

const env = serverAndBrowser();

describe('login', () => {
  it('redirects to the login page, logs in as the admin and shows the layout', { timeout: 90_000 }, async () => {
    await withPage(env.browser, 'login-success', async (page) => {
      await page.goto(`${env.server.baseURL}/`);
      await page.waitForURL((url) => url.pathname === '/login');
      assert.equal(new URL(page.url()).searchParams.get('redirect'), '/dashboard');

      await page.getByTestId('login-username').fill(env.server.adminUser);
      await page.getByTestId('login-password').fill(env.server.adminPassword);
      const loginResponse = page.waitForResponse((res) => res.url().endsWith('/api/v1/auth/login'));
      await page.getByTestId('login-submit').click();
      assert.equal((await loginResponse).status(), 200);

      const currentUser = page.getByTestId('current-user');
      await currentUser.filter({ hasText: env.server.adminDisplayName }).waitFor();
      assert.match(await currentUser.innerText(), /E2E 管理员/);
      assert.equal(new URL(page.url()).pathname, '/dashboard');
      await page.getByTestId('logout').waitFor();

      // the session survives a reload (tokens in localStorage, user from /auth/me)
      await page.reload();
      await currentUser.filter({ hasText: env.server.adminDisplayName }).waitFor();
    });
  });

  it('shows the error for a wrong password and stays on the login page', { timeout: 90_000 }, async () => {
    await withPage(env.browser, 'login-wrong-password', async (page) => {
      await page.goto(`${env.server.baseURL}/login`);
      await page.getByTestId('login-username').fill(env.server.adminUser);
      await page.getByTestId('login-password').fill(`${env.server.adminPassword}-wrong`);
      const loginResponse = page.waitForResponse((res) => res.url().endsWith('/api/v1/auth/login'));
      await page.getByTestId('login-submit').click();
      assert.equal((await loginResponse).status(), 401);

      const error = page.getByTestId('login-error');
      await error.waitFor();
      assert.notEqual((await error.innerText()).trim(), '');
      assert.equal(new URL(page.url()).pathname, '/login');
      assert.equal(await page.getByTestId('current-user').count(), 0);
    });
  });

  it('renders the API docs from this server alone (no CDN on a closed network)', { timeout: 60_000 }, async () => {
    await withPage(env.browser, 'api-docs', async (page) => {
      const foreign = [];
      page.on('request', (req) => {
        if (!req.url().startsWith(env.server.baseURL)) foreign.push(req.url());
      });
      await page.goto(`${env.server.baseURL}/docs`);
      await page.locator('.swagger-ui .info .title').filter({ hasText: 'OP-CMS API' }).waitFor();
      await page.locator('.opblock-summary-path', { hasText: '/api/v1/customers' }).first().waitFor();
      assert.deepEqual(foreign, []);
    });
  });
});
