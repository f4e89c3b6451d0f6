import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminApi, pick } from './support/api.mjs';
import { withPage } from './support/browser.mjs';
import { logInAsAdmin, serverAndBrowser } from './support/suite.mjs';
import { startWorker } from './support/worker.mjs';

const env = serverAndBrowser();
const api = adminApi(env);
let worker = null;

const SOURCE = 'e2e-demo';

describe('jobs, schedules and notification channels', () => {
  // The usage pull is a Celery job: a worker on the server's own database and file broker.
  before(
    async () => {
      worker = startWorker(env.server);
      // a demo source without mapped customers: its pull succeeds and says so in its log
      await api('POST', '/data-sources', { name: SOURCE, adapter: 'demo', settings: { metrics: ['api_calls'], base: 1000 } });
    },
    { timeout: 120_000 },
  );

  after(async () => {
    await worker?.stop();
  });

  it('runs a usage pull now and reads its log, disables a schedule, creates an SMS channel and checks it', { timeout: 180_000 }, async () => {
    await withPage(env.browser, 'jobs-notifications', async (page) => {
      await logInAsAdmin(page, env.server, '/jobs');
      await page.getByTestId('job-table').waitFor();
      const menu = page.getByTestId('side-menu');
      for (const entry of ['任务执行', '定时计划', '通知记录', '通知渠道', '通知模板']) await menu.getByText(entry, { exact: true }).waitFor();

      // --- run a usage pull of the demo source now; the list follows it until it has finished --------------
      await page.getByTestId('job-run-open').click();
      await pick(page, 'job-run-job', '拉取用量');
      await pick(page, 'job-param-input-source', SOURCE);
      const queued = page.waitForResponse((res) => res.url().endsWith('/api/v1/task-executions') && res.request().method() === 'POST');
      await page.getByTestId('job-run-submit').click();
      const queuedReply = await queued;
      assert.equal(queuedReply.status(), 202, await queuedReply.text());
      assert.deepEqual(queuedReply.request().postDataJSON(), { job: 'usage.pull_day', parameters: { source: SOURCE } });
      const execution = await queuedReply.json();
      await page.getByTestId('job-run-modal').waitFor({ state: 'hidden' });
      try {
        await page.locator(`[data-testid="job-status-${execution.id}"][data-status="success"]`).waitFor({ timeout: 90_000 });
      } catch (error) {
        console.error(`[e2e] worker log:\n${worker.log()}`);
        throw error;
      }

      // --- its page: parameters made concrete (yesterday), the log excerpt in a monospace block ---------------
      await page.getByTestId(`job-row-${execution.id}`).click();
      await page.waitForURL((url) => url.pathname === `/jobs/${execution.id}`);
      await page.locator('[data-testid="job-detail-status"][data-status="success"]').waitFor();
      const log = page.getByTestId('job-detail-log');
      assert.match(await log.innerText(), new RegExp(`${SOURCE}: no mapped customer, nothing to pull`));
      assert.match(await log.evaluate((el) => getComputedStyle(el).fontFamily), /mono|Menlo|Consolas/i);
      const parameters = JSON.parse(await page.getByTestId('job-detail-parameters').innerText());
      assert.equal(parameters.source, SOURCE);
      assert.match(parameters.first_day ?? parameters.day, /^\d{4}-\d{2}-\d{2}$/);
      assert.equal(await page.getByTestId('job-detail-retry').count(), 0, 'a successful run is not retried');

      // --- schedules: switch the nightly pull off; it stays off after a reload -------------------------------------
      await menu.getByText('定时计划', { exact: true }).click();
      await page.waitForURL((url) => url.pathname === '/job-schedules');
      const toggle = page.getByTestId('schedule-enabled-usage-pull-nightly');
      await page.locator('[data-testid="schedule-enabled-usage-pull-nightly"][data-enabled="true"]').waitFor();
      const patched = page.waitForResponse((res) => /\/api\/v1\/job-schedules\/\d+$/.test(res.url()) && res.request().method() === 'PATCH');
      await toggle.click();
      const patchedReply = await patched;
      assert.equal(patchedReply.status(), 200, await patchedReply.text());
      assert.deepEqual(patchedReply.request().postDataJSON(), { is_enabled: false });
      await page.locator('[data-testid="schedule-enabled-usage-pull-nightly"][data-enabled="false"]').waitFor();
      await page.reload();
      await page.locator('[data-testid="schedule-enabled-usage-pull-nightly"][data-enabled="false"]').waitFor();
      const { items: schedules } = await api('GET', '/job-schedules');
      const nightly = schedules.find((s) => s.name === 'usage-pull-nightly');
      assert.equal(nightly.is_enabled, false);
      assert.equal(schedules.filter((s) => s.is_enabled).length, schedules.length - 1, 'only that one was switched off');

      // --- notification channels: an SMS channel with the logging provider, health check OK ----------------------
      await menu.getByText('通知渠道', { exact: true }).click();
      await page.waitForURL((url) => url.pathname === '/notification-channels');
      await page.getByTestId('channel-create').click();
      await page.getByTestId('input-channel-name').fill('e2e-sms');
      assert.equal(await page.getByTestId('input-channel-setting-provider').inputValue(), 'logging');
      const created = page.waitForResponse((res) => res.url().endsWith('/api/v1/notification-channels') && res.request().method() === 'POST');
      await page.getByTestId('channel-submit').click();
      const createdReply = await created;
      assert.equal(createdReply.status(), 201, await createdReply.text());
      assert.deepEqual(createdReply.request().postDataJSON(), {
        name: 'e2e-sms', kind: 'sms', settings: { provider: 'logging' }, secrets: {}, is_enabled: true, rate_per_minute: 60, max_attempts: 5,
      });
      await page.getByTestId('channel-row-e2e-sms').waitFor();
      const checked = page.waitForResponse((res) => /\/api\/v1\/notification-channels\/\d+\/check$/.test(res.url()));
      await page.getByTestId('channel-check-e2e-sms').click();
      const checkedReply = await checked;
      assert.equal(checkedReply.status(), 200, await checkedReply.text());
      assert.equal((await checkedReply.json()).health_status, 'healthy');
      await page.locator('[data-testid="channel-health-status-e2e-sms"][data-status="healthy"]').waitFor();
      await page.getByText('渠道 e2e-sms 正常').waitFor();
      await page.locator('[data-testid="channel-health-e2e-sms"][data-ok="true"]').waitFor({ state: 'attached' });
    });
  });
});
