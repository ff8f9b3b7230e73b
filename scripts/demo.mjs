#!/usr/bin/env node
/**
 * `npm run demo [-- express|koa|fastify]`: installs the workspace with the pinned pnpm, builds
 * the packages the example needs, and starts it (express by default).
 */
import { spawnSync } from 'node:child_process';

const framework = process.argv[2] ?? 'express';
if (!['express', 'koa', 'fastify'].includes(framework)) {
  console.error(`unknown demo "${framework}": use express, koa or fastify`);
  process.exit(2);
}
const example = `@dynamodb-session/example-${framework}`;
const pnpm = (...args) => {
  const result = spawnSync(process.execPath, ['scripts/pnpm.mjs', ...args], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
};
pnpm('install', '--frozen-lockfile');
pnpm('exec', 'turbo', 'run', 'build', `--filter=${example}...`, '--output-logs=errors-only');
pnpm('--filter', example, 'start');
