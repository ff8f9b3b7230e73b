#!/usr/bin/env node
/**
 * `npm run demo [-- express|koa|fastify|crud|lambda|jest-app|vitest-app]`: installs the workspace
 * with the pinned pnpm, builds the packages the example needs, and starts it (express by
 * default): the web demos serve on a local port, `crud` runs its walkthrough of
 * SessionRepository, `lambda` invokes its Lambda handler with sample API Gateway events, and
 * `jest-app` / `vitest-app` run their own test suites (the testing helpers at work).
 */
import { spawnSync } from 'node:child_process';

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
pnpm('--filter', example, suites.includes(name) ? 'test' : 'start');
