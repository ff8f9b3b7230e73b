#!/usr/bin/env node
/**
 * `npm run demo [-- express|koa|fastify|crud|lambda|jest-app|vitest-app]`: installs the workspace
 * with the pinned pnpm, builds the packages the example needs, and starts it (express by
 * default): the web demos serve on a local port, `crud` runs its walkthrough of
 * SessionRepository, `lambda` invokes its Lambda handler with sample API Gateway events, and
 * `jest-app` / `vitest-app` run their own test suites (the testing helpers at work).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const examples = ['express', 'koa', 'fastify', 'crud', 'lambda', 'jest-app', 'vitest-app'];
/** Examples whose point is their own test suite: their `test` script runs instead of `start`. */
const suites = ['jest-app', 'vitest-app'];
const name = process.argv[2] ?? 'express';
if (!examples.includes(name)) {
  console.error(`unknown demo "${name}": use ${examples.join(', ')}`);
  process.exit(2);
}
const example = `@dynamodb-session/example-${name}`;
const pnpm = (...args) => {
  const result = spawnSync(process.execPath, ['scripts/pnpm.mjs', ...args], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
};
pnpm('install', '--frozen-lockfile');
pnpm('exec', 'turbo', 'run', 'build', `--filter=${example}...`, '--output-logs=errors-only');
if (suites.includes(name)) pnpm('--filter', example, 'test');
else start(join('examples', name));

/**
 * Runs the example's `start` script (`node <file>`) with this Node, directly rather than through
 * pnpm, so that Ctrl-C ends the demo quietly instead of as a failed pnpm run.
 */
function start(directory) {
  const { scripts } = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8'));
  const [command, ...args] = scripts.start.split(' ');
  if (command !== 'node') throw new Error(`${directory}: start is not a node command`);
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => {});
  const result = spawnSync(process.execPath, args, { cwd: directory, stdio: 'inherit' });
  const stoppedBySignal = result.signal === 'SIGINT' || result.signal === 'SIGTERM';
  process.exit(stoppedBySignal ? 0 : (result.status ?? 1));
}
