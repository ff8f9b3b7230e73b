#!/usr/bin/env node
/**
 * `npm run pack:local`: until the packages are on the npm registry, builds every public package
 * and packs it with the pinned pnpm (which rewrites `workspace:*` to the real versions, as
 * publishing does) into `.packs/`, then prints the `npm install` line that installs the
 * tarballs into an app.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const destination = join(root, '.packs');
const pnpm = (args, stdio = 'inherit') => {
  const result = spawnSync(process.execPath, ['scripts/pnpm.mjs', ...args], {
    cwd: root,
    stdio: ['ignore', stdio, 'inherit'],
    encoding: 'utf8',
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
  return result.stdout;
};

pnpm(['install', '--frozen-lockfile']);
pnpm(['exec', 'turbo', 'run', 'build', '--filter=./packages/*', '--output-logs=errors-only']);
rmSync(destination, { recursive: true, force: true });
mkdirSync(destination);
const packed = JSON.parse(
  pnpm(['--filter', './packages/*', 'pack', '--pack-destination', destination, '--json'], 'pipe'),
);
const tarballs = [packed].flat().map((entry) => entry.filename);
console.log(`\nPacked ${tarballs.length} packages into ${destination}. In your app, run:\n`);
console.log(`npm install ${tarballs.join(' ')}\n`);
console.log('(install the stores you use and always the core; add your framework and the SDK.)');
