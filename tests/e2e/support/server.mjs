/**
 * Starts a real OP-CMS backend for an e2e run, fully self-contained:
 * a temp dir with its own SQLite database and var dir, a random secret key and a free port.
 *
 *   const server = await startServer();
 *   // server.baseURL, server.adminUser, server.adminPassword, server.logs()
 *   await server.stop();
 *
 * Env:
 *   OPCMS_BIN            opcms executable (default <repo>/.venv/bin/opcms)
 *   OPCMS_E2E_BUILD      auto (default: build frontend/dist if it is missing) | always | never
 *   OPCMS_E2E_KEEP_TMP   1 = keep the temp dir (database, var dir, server log) after stop()
 *
 * Every test file starts from the same database: migrated, with the admin user. Migrating and
 * creating the user take two Python processes and most of a server's start-up, so the first file
 * builds that database once as a template (keyed by the migrations' contents) and each file
 * copies it; the copy is the file's own, as before.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { FRONTEND_DIR, REPO_ROOT } from './paths.mjs';

const HEALTH_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;
const COMMAND_TIMEOUT_MS = 120_000;
const LOG_LINES_KEPT = 400;

export const ADMIN_USER = 'e2e-admin';
export const ADMIN_DISPLAY_NAME = 'E2E 管理员';

function opcmsBin() {
  return process.env.OPCMS_BIN || path.join(REPO_ROOT, '.venv', 'bin', 'opcms');
}

/** Asks the OS for a free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** 48 URL-safe random characters. */
function randomSecret() {
  return randomBytes(36).toString('base64url');
}

/** A password that satisfies usual complexity rules (upper, lower, digit, symbol, length). */
function randomPassword() {
  return `E2e-Pw-${randomBytes(12).toString('hex')}!9`;
}

/** Keeps the last N lines of a stream for error reports. */
function lineBuffer(limit = LOG_LINES_KEPT) {
  const lines = [];
  let partial = '';
  return {
    push(chunk) {
      const text = partial + chunk.toString('utf8');
      const parts = text.split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (lines.length > limit) lines.shift();
      }
    },
    text() {
      return [...lines, partial].filter(Boolean).join('\n');
    },
  };
}

/** Runs a command to completion; rejects with its output when it fails or times out. */
function run(cmd, args, { env, cwd = REPO_ROOT, input, timeoutMs = COMMAND_TIMEOUT_MS, label = cmd } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out = lineBuffer();
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => out.push(c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${label}: timed out after ${timeoutMs} ms\n${out.text()}`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${label}: cannot start ${cmd}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out.text());
      else reject(new Error(`${label}: exited with ${signal ?? code}\n${out.text()}`));
    });
    child.stdin.on('error', () => {}); // the process may exit before reading stdin
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

/** Builds frontend/dist when needed, since the backend serves the SPA from it. */
async function ensureFrontendBuilt() {
  const mode = process.env.OPCMS_E2E_BUILD || 'auto';
  const indexHtml = path.join(FRONTEND_DIR, 'dist', 'index.html');
  if (mode === 'never' || (mode === 'auto' && existsSync(indexHtml))) return;
  if (!existsSync(path.join(FRONTEND_DIR, 'node_modules'))) {
    throw new Error(`frontend/dist is missing and frontend/node_modules too: run \`npm ci\` in ${FRONTEND_DIR} first`);
  }
  await run('npm', ['run', 'build'], { cwd: FRONTEND_DIR, env: process.env, label: 'npm run build', timeoutMs: 300_000 });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const MIGRATIONS_DIR = path.join(REPO_ROOT, 'backend', 'opcms', 'migrations');

/** What the template depends on: the executable, the migrations' contents and the admin user. */
async function templateKey(bin) {
  const hash = createHash('sha256').update(`${bin}\n${ADMIN_USER}\n${ADMIN_DISPLAY_NAME}\n`);
  for (const name of (await readdir(MIGRATIONS_DIR)).filter((n) => n.endsWith('.py')).sort()) {
    hash.update(name).update(await readFile(path.join(MIGRATIONS_DIR, name)));
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * A migrated database with the admin user, built once for all test files by `opcms migrate` and
 * `opcms createuser` (built in a folder of its own, then renamed into place, so a file running
 * beside another never reads a half-built one). Answers its path and the admin's password.
 */
async function migratedTemplate(bin) {
  const folder = path.join(os.tmpdir(), `opcms-e2e-template-${await templateKey(bin)}`);
  const database = path.join(folder, 'e2e.sqlite3');
  const passwordFile = path.join(folder, 'admin-password');
  if (!existsSync(passwordFile)) {
    const building = await mkdtemp(path.join(os.tmpdir(), 'opcms-e2e-template-building-'));
    const adminPassword = randomPassword();
    const env = {
      ...process.env,
      OPCMS_DATABASE_URL: `sqlite://${path.join(building, 'e2e.sqlite3')}`,
      OPCMS_VAR_DIR: path.join(building, 'var'),
      OPCMS_SECRET_KEY: randomSecret(),
    };
    try {
      await run(bin, ['migrate'], { env, label: 'opcms migrate' });
      await run(
        bin,
        ['createuser', ADMIN_USER, '--role', 'admin', '--password-stdin', '--display-name', ADMIN_DISPLAY_NAME],
        { env, input: `${adminPassword}\n`, label: 'opcms createuser' },
      );
      await rm(path.join(building, 'var'), { recursive: true, force: true });
      await writeFile(path.join(building, 'admin-password'), adminPassword);
      await rename(building, folder);
    } catch (err) {
      await rm(building, { recursive: true, force: true });
      // another file built it meanwhile: take that one
      if (!existsSync(passwordFile)) throw err;
    }
  }
  return { database, adminPassword: (await readFile(passwordFile, 'utf8')).trim() };
}

export async function startServer() {
  const bin = opcmsBin();
  if (!existsSync(bin)) {
    throw new Error(`opcms executable not found at ${bin} (set OPCMS_BIN, or install the backend into <repo>/.venv)`);
  }
  await ensureFrontendBuilt();

  const tmp = await mkdtemp(path.join(os.tmpdir(), 'opcms-e2e-'));
  const varDir = path.join(tmp, 'var');
  await mkdir(varDir, { recursive: true });
  const port = await freePort();
  const host = '127.0.0.1';
  const baseURL = `http://${host}:${port}`;

  const env = {
    ...process.env,
    OPCMS_DATABASE_URL: `sqlite://${path.join(tmp, 'e2e.sqlite3')}`,
    OPCMS_VAR_DIR: varDir,
    OPCMS_SECRET_KEY: randomSecret(),
    OPCMS_PORT: String(port),
    OPCMS_HOST: host,
  };

  const cleanupTmp = async () => {
    if (process.env.OPCMS_E2E_KEEP_TMP === '1') return;
    await rm(tmp, { recursive: true, force: true });
  };

  let adminPassword;
  try {
    const template = await migratedTemplate(bin);
    await copyFile(template.database, path.join(tmp, 'e2e.sqlite3'));
    adminPassword = template.adminPassword;
  } catch (err) {
    await cleanupTmp();
    throw err;
  }

  // Own process group, so stop() also reaches any worker processes the API server forks.
  const child = spawn(bin, ['api'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const stdout = lineBuffer();
  const stderr = lineBuffer();
  child.stdout.on('data', (c) => stdout.push(c));
  child.stderr.on('data', (c) => stderr.push(c));

  let exited = null;
  const exitPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    });
    child.on('error', (err) => {
      exited = { code: null, signal: null, error: err };
      resolve(exited);
    });
  });

  const killGroup = (signal) => {
    if (exited || child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      try {
        child.kill(signal);
      } catch {
        // already gone
      }
    }
  };
  const killOnExit = () => killGroup('SIGKILL');
  process.on('exit', killOnExit);

  let stopped = false;
  async function stop() {
    if (stopped) return;
    stopped = true;
    if (!exited) {
      killGroup('SIGTERM');
      const timedOut = await Promise.race([exitPromise.then(() => false), sleep(STOP_GRACE_MS).then(() => true)]);
      if (timedOut) {
        killGroup('SIGKILL');
        await exitPromise;
      }
    }
    process.off('exit', killOnExit);
    if (process.env.OPCMS_E2E_KEEP_TMP === '1') {
      await writeFile(path.join(tmp, 'api.log'), `${stdout.text()}\n--- stderr ---\n${stderr.text()}\n`).catch(() => {});
    }
    await cleanupTmp();
  }

  const logs = () => `--- opcms api stdout ---\n${stdout.text()}\n--- opcms api stderr ---\n${stderr.text()}`;

  // Wait for GET /healthz -> 200.
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  let lastProblem = 'no answer yet';
  while (true) {
    if (exited) {
      const why = exited.error ? exited.error.message : `exit ${exited.signal ?? exited.code}`;
      await stop();
      throw new Error(`opcms api died before becoming healthy (${why})\n${logs()}`);
    }
    try {
      const res = await fetch(`${baseURL}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) break;
      lastProblem = `HTTP ${res.status}`;
    } catch (err) {
      lastProblem = err.cause?.code ?? err.message;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`opcms api not healthy after ${HEALTH_TIMEOUT_MS / 1000} s (last: ${lastProblem})\n${logs()}`);
    }
    await sleep(250);
  }

  return {
    baseURL,
    port,
    tmpDir: tmp,
    adminUser: ADMIN_USER,
    adminDisplayName: ADMIN_DISPLAY_NAME,
    adminPassword,
    logs,
    stop,
  };
}
