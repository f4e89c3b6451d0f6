/**
 * The import rules of the source tree, read from the files themselves (static, dynamic and
 * re-exporting imports alike):
 * - the API modules (`src/api/*.ts`) import one another without a cycle (billing and payments
 *   both read settlement; neither reads the other);
 * - a page folder (`src/views/<domain>/`) imports no other page folder, and the shared layers
 *   (components, composables, api, utils, store, locale) import no page: only the router does.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');
const VIEWS = join(SRC, 'views');
const IMPORT = /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|vue)$/.test(entry.name) ? [path] : [];
  });
}

/** The project files a file imports, as paths relative to `src` without `.ts` ('api/types'). */
function importsOf(file: string): string[] {
  const targets: string[] = [];
  for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
    const spec = match[1];
    let target: string;
    if (spec.startsWith('@/')) target = join(SRC, spec.slice(2));
    else if (spec.startsWith('.')) target = resolve(dirname(file), spec);
    else continue;
    targets.push(relative(SRC, target).split(sep).join('/').replace(/\.ts$/, ''));
  }
  return targets;
}

/** One cycle of the graph as a path `a -> b -> a`, or null. */
function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  function visit(node: string): string[] | null {
    if (state.get(node) === 'done') return null;
    if (state.get(node) === 'open') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, 'done');
    return null;
  }
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return null;
}

describe('import rules', () => {
  it('the API modules import one another without a cycle', () => {
    const graph = new Map<string, string[]>();
    for (const file of sourceFiles(join(SRC, 'api'))) {
      const name = relative(SRC, file).split(sep).join('/').replace(/\.ts$/, '');
      graph.set(
        name,
        importsOf(file).filter((target) => target.startsWith('api/')),
      );
    }
    expect(graph.has('api/billing') && graph.has('api/payments')).toBe(true);
    expect(findCycle(graph)).toBeNull();
  });

  it('finds a cycle when there is one (the check itself works)', () => {
    const graph = new Map([
      ['api/billing', ['api/settlement', 'api/types']],
      ['api/settlement', ['api/payments']],
      ['api/payments', ['api/billing']],
      ['api/types', []],
    ]);
    expect(findCycle(graph)).toEqual(['api/billing', 'api/settlement', 'api/payments', 'api/billing']);
  });

  it('no view folder imports another view folder', () => {
    const crossings: string[] = [];
    for (const file of sourceFiles(VIEWS)) {
      const folder = relative(VIEWS, file).split(sep)[0];
      for (const target of importsOf(file)) {
        if (!target.startsWith('views/')) continue;
        if (target.split('/')[1] !== folder) crossings.push(`${relative(SRC, file)} -> ${target}`);
      }
    }
    expect(crossings).toEqual([]);
  });

  it('only the router imports pages', () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const path = relative(SRC, file).split(sep).join('/');
      if (path.startsWith('views/') || path.startsWith('router/')) continue;
      for (const target of importsOf(file)) {
        if (target.startsWith('views/')) offenders.push(`${path} -> ${target}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
