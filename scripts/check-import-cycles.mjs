#!/usr/bin/env node
/**
 * `node scripts/check-import-cycles.mjs [dir...]`: fails when the relative imports (type-only
 * ones included) of the TypeScript files under each directory form a cycle, and prints it.
 * Default: packages/core/src. Part of `npm test`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const directories = process.argv.slice(2);
const IMPORT = /(?:import|export)\s[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]/g;

let failed = false;
for (const directory of directories.length > 0 ? directories : ['packages/core/src']) {
  const graph = new Map();
  for (const file of filesOf(resolve(root, directory))) {
    const targets = [...readFileSync(file, 'utf8').matchAll(IMPORT)].map((match) =>
      resolveImport(file, match[1]),
    );
    graph.set(file, targets.filter(Boolean));
  }
  const cycle = findCycle(graph);
  if (cycle) {
    failed = true;
    console.error(
      `import cycle in ${directory}: ${cycle.map((f) => relative(root, f)).join(' -> ')}`,
    );
  } else {
    console.log(`no import cycle in ${directory} (${graph.size} files)`);
  }
}
process.exit(failed ? 1 : 0);

function filesOf(directory) {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) return filesOf(path);
    return /\.ts$/.test(name) && !/\.d\.ts$/.test(name) ? [path] : [];
  });
}

function resolveImport(from, specifier) {
  const base = resolve(dirname(from), specifier);
  for (const candidate of [`${base}.ts`, join(base, 'index.ts'), base]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {}
  }
  return undefined;
}

function findCycle(graph) {
  const state = new Map();
  const path = [];
  const visit = (node) => {
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') return [...path.slice(path.indexOf(next)), next];
      if (!state.has(next)) {
        const found = visit(next);
        if (found) return found;
      }
    }
    path.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of graph.keys()) {
    if (!state.has(node)) {
      const found = visit(node);
      if (found) return found;
    }
  }
  return undefined;
}
