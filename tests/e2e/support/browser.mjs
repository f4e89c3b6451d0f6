/**
 * Browser helpers for the e2e suite: playwright-core (installed in frontend/) drives Debian's
 * Chromium. Never download browsers (`npx playwright install` does not work here).
 *
 * Env: OPCMS_CHROMIUM  Chromium executable (default /usr/bin/chromium)
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ARTIFACTS_DIR, FRONTEND_DIR } from './paths.mjs';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

const requireFromFrontend = createRequire(path.join(FRONTEND_DIR, 'package.json'));

export function loadPlaywright() {
  try {
    return requireFromFrontend('playwright-core');
  } catch (err) {
    throw new Error(`playwright-core is not installed: run \`npm ci\` in ${FRONTEND_DIR} (${err.message})`);
  }
}

export async function launchBrowser(options = {}) {
  const { chromium } = loadPlaywright();
  const executablePath = process.env.OPCMS_CHROMIUM || '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new Error(`Chromium not found at ${executablePath}: apt-get install -y chromium (or set OPCMS_CHROMIUM)`);
  }
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS, ...options });
}

/** Saves a full-page screenshot to <repo>/var/e2e/<name>.png and returns its path. */
export async function saveScreenshot(page, name) {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const safe = String(name).replace(/[^\w.-]+/g, '_').slice(0, 120) || 'screenshot';
  const file = path.join(ARTIFACTS_DIR, `${safe}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Runs `fn(page)` in a fresh browser context (empty localStorage, zh-CN). On failure it saves
 * a screenshot named `name` and prints it with the page's console errors, then rethrows.
 */
export async function withPage(browser, name, fn, contextOptions = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN', ...contextOptions });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const pageLog = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') pageLog.push(`[console.${msg.type()}] ${msg.text()}`);
  });
  page.on('pageerror', (err) => pageLog.push(`[pageerror] ${err.message}`));
  try {
    return await fn(page);
  } catch (err) {
    let shot = '(screenshot failed)';
    try {
      shot = await saveScreenshot(page, name);
    } catch (shotErr) {
      shot = `(screenshot failed: ${shotErr.message})`;
    }
    console.error(`[e2e] ${name} failed at ${page.url()}\n[e2e] screenshot: ${shot}${pageLog.length ? `\n${pageLog.join('\n')}` : ''}`);
    throw err;
  } finally {
    await context.close();
  }
}
