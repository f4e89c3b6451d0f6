/**
 * Copies Swagger UI (swagger-ui-dist) into dist/docs-assets so the API docs page at /docs works
 * on a closed intranet: sanic-ext's page asks for `<cdn>/<version>/swagger-ui*.min.*`, and the
 * backend points that at /docs-assets (see backend/opcms/app.py).
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const source = path.dirname(require.resolve('swagger-ui-dist/package.json'));
const target = path.join(here, '..', 'dist', 'docs-assets');

const FILES = {
  'swagger-ui.css': 'swagger-ui.min.css',
  'swagger-ui-bundle.js': 'swagger-ui-bundle.min.js',
  'swagger-ui-standalone-preset.js': 'swagger-ui-standalone-preset.min.js',
};

await mkdir(target, { recursive: true });
for (const [from, to] of Object.entries(FILES)) {
  await copyFile(path.join(source, from), path.join(target, to));
}
console.log(`docs assets: ${Object.keys(FILES).length} files in ${path.relative(process.cwd(), target)}`);
