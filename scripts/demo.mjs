#!/usr/bin/env node
/**
 * `npm run demo [-- express|koa|fastify|crud|lambda|jest-app|vitest-app]`: installs the workspace
 * with the pinned pnpm, builds the packages the example needs, and starts it (express by
 * default): the web demos serve on a local port, `crud` runs its walkthrough of
 * SessionRepository, `lambda` invokes its Lambda handler with sample API Gateway events, and
 * `jest-app` / `vitest-app` run their own test suites (the testing helpers at work).
 */
import { spawn } from 'node:child_process';
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

/**
 * The child running now. SIGINT and SIGTERM are passed on to it, and this script ends when it
 * does: `kill -TERM` of `npm run demo` (npm passes the signal to this script) stops the server
 * too, and nothing is left running. A signal between two steps ends the script at once.
 */
let current;
let stopSignal;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopSignal = signal;
    if (current && current.exitCode === null && current.signalCode === null) current.kill(signal);
    else process.exit(0);
  });
}

// `npm run demo` runs this script through `sh -c`, and a plain sh (dash) dies of the SIGTERM npm
// passes on without passing it further: a parent gone (this process adopted by another) is
// taken as that SIGTERM.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.emit('SIGTERM', 'SIGTERM');
}, 250).unref();

const pnpm = (...args) => run(process.execPath, ['scripts/pnpm.mjs', ...args]);
await pnpm('install', '--frozen-lockfile');
await pnpm('exec', 'turbo', 'run', 'build', `--filter=${example}...`, '--output-logs=errors-only');
if (suites.includes(name)) await pnpm('--filter', example, 'test');
else await start(join('examples', name));

/**
 * Runs the example's `start` script (`node <file>`) with this Node, directly rather than through
 * pnpm, so that Ctrl-C ends the demo quietly instead of as a failed pnpm run.
 */
async function start(directory) {
  const { scripts } = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8'));
  const [command, ...args] = scripts.start.split(' ');
  if (command !== 'node') throw new Error(`${directory}: start is not a node command`);
  const demoCommand = name === 'express' ? 'npm run demo' : `npm run demo -- ${name}`;
  await run(process.execPath, args, {
    cwd: directory,
    env: { ...process.env, DEMO_COMMAND: demoCommand },
  });
  process.exit(0);
}

/**
 * Runs one step and resolves when it succeeds. A failing step ends the script with its exit
 * code; a step stopped by the signal this script passed on ends it with 0 (a requested stop).
 */
function run(command, args, options = {}) {
  return new Promise((resolve) => {
    current = spawn(command, args, { stdio: 'inherit', ...options });
    current.on('error', (error) => {
      console.error(`demo: cannot run ${command}: ${error.message}`);
      process.exit(1);
    });
    current.on('exit', (code, signal) => {
      if (stopSignal !== undefined) process.exit(0);
      if (code === 0) resolve(undefined);
      else process.exit(code ?? (signal === 'SIGINT' ? 130 : 1));
    });
  });
}
