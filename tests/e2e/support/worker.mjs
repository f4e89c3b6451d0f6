import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './paths.mjs';

/**
 * A Celery worker (`opcms worker`) on the suite server's own database and file broker, for
 * the pages that queue jobs. `log()` is the tail of its output (print it when a wait fails);
 * `stop()` ends its process group (SIGTERM, then SIGKILL after 5 s).
 */
export function startWorker(server) {
  const bin = process.env.OPCMS_BIN || path.join(REPO_ROOT, '.venv', 'bin', 'opcms');
  const child = spawn(bin, ['worker'], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      OPCMS_DATABASE_URL: `sqlite://${path.join(server.tmpDir, 'e2e.sqlite3')}`,
      OPCMS_VAR_DIR: path.join(server.tmpDir, 'var'),
    },
  });
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);

  const signal = (name) => {
    try {
      process.kill(-child.pid, name);
    } catch {
      // already gone
    }
  };
  async function stop() {
    if (child.exitCode !== null) return;
    signal('SIGTERM');
    await new Promise((resolve) => {
      const timer = setTimeout(() => {
        signal('SIGKILL');
        resolve();
      }, 5_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  return { log: () => output, stop };
}
