/**
 * One real backend and one browser per test file:
 *
 *   const env = serverAndBrowser();          // registers before/after hooks
 *   await withPage(env.browser, 'name', async (page) => { await logInAsAdmin(page, env.server, '/customers'); … });
 */
import { after, before } from 'node:test';
import { launchBrowser } from './browser.mjs';
import { startServer } from './server.mjs';

export function serverAndBrowser() {
  const env = { server: null, browser: null };
  before(
    async () => {
      env.server = await startServer();
      env.browser = await launchBrowser();
    },
    { timeout: 240_000 },
  );
  after(async () => {
    await env.browser?.close();
    await env.server?.stop();
  });
  return env;
}

/** Signs in through the login page and waits until the app has routed to `path`. */
export async function logInAsAdmin(page, server, path) {
  await page.goto(`${server.baseURL}/login?redirect=${encodeURIComponent(path)}`);
  await page.getByTestId('login-username').fill(server.adminUser);
  await page.getByTestId('login-password').fill(server.adminPassword);
  await page.getByTestId('login-submit').click();
  await page.waitForURL((url) => url.pathname === path);
}
