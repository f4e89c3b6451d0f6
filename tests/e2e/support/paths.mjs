import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (tests/e2e/support/ -> ../../..). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const FRONTEND_DIR = path.join(REPO_ROOT, 'frontend');
/** Screenshots and other artefacts of failed runs. */
export const ARTIFACTS_DIR = path.join(REPO_ROOT, 'var', 'e2e');
