#!/usr/bin/env node
/**
 * `npm run check:node-matrix`: runs a subset of the test suite on the newer Node versions users
 * run (22 and 24), each an exact `node` package from the npm registry started through `npx`:
 * the repository contract and the built packages of the core; the adapter contracts and built
 * packages of express, koa and fastify (real frameworks on real local servers); the
 * connect-dynamodb drop-in (CommonJS); the CLI's executable, on dynalite only (which then runs
 * on that Node too; DynamoDB Local, a Java server, is the same whatever the Node). The
 * machine's own Node (20) runs the whole suite, on both servers, in `vitest run`. Prints one line per Node
 * version and, last, the total of the whole test command (the counts the preceding `vitest run`
 * left in node_modules/.cache/test-summary.json, plus these); exits non-zero on any failure.
 * Run after the build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Exact Node versions, the latest 22.x and 24.x on the registry when last updated. */
const NODE_VERSIONS = ['22.23.3', '24.21.0'];

/** Test files run on every version, with the vitest project each belongs to. */
const SUITE = {
  core: ['packages/core/test/contract.test.ts', 'packages/core/test/packaging.test.ts'],
  express: [
    'packages/express/test/adapter-contract.test.ts',
    'packages/express/test/connect-dynamodb-compat.test.ts',
    'packages/express/test/packaging.test.ts',
  ],
  koa: ['packages/koa/test/adapter-contract.test.ts', 'packages/koa/test/packaging.test.ts'],
  fastify: [
    'packages/fastify/test/adapter-contract.test.ts',
    'packages/fastify/test/packaging.test.ts',
  ],
  cli: ['packages/cli/test/bin.test.ts'],
};

/** Test files sleep on expiry and I/O more than they compute: four workers overlap the waits. */
const MAX_WORKERS = '4';

const root = fileURLToPath(new URL('..', import.meta.url));
const vitest = join(root, 'node_modules/vitest/vitest.mjs');
const reports = mkdtempSync(join(tmpdir(), 'node-matrix-'));
const totals = { passed: 0, failed: 0, skipped: 0 };
const passedOn = [];
let ok = true;
try {
  for (const version of NODE_VERSIONS) {
    const result = runOn(version);
    totals.passed += result.passed;
    passedOn.push(result.passed);
    totals.failed += result.failed;
    totals.skipped += result.skipped;
    ok &&= result.ok;
    console.log(
      `node ${version}: tests: ${result.passed} passed, ${result.failed} failed, ${result.skipped} skipped` +
        ` (${result.files} files, ${result.seconds.toFixed(1)} s)${result.ok ? '' : ` FAILED: ${result.problem}`}`,
    );
  }
} finally {
  rmSync(reports, { recursive: true, force: true });
}
const summaryFile = join(root, 'node_modules/.cache/test-summary.json');
const main = existsSync(summaryFile) ? JSON.parse(readFileSync(summaryFile, 'utf8')) : undefined;
rmSync(summaryFile, { force: true });
const runs = [
  ...(main ? [`node ${main.node}: ${main.passed}`] : []),
  ...NODE_VERSIONS.map((version, i) => `node ${version}: ${passedOn[i]}`),
];
const all = {
  passed: totals.passed + (main?.passed ?? 0),
  failed: totals.failed + (main?.failed ?? 0),
  skipped: totals.skipped + (main?.skipped ?? 0),
};
console.log(
  `\ntests: ${all.passed} passed, ${all.failed} failed, ${all.skipped} skipped (passed per run: ${runs.join(', ')})`,
);
process.exitCode = ok ? 0 : 1;

/** Runs the suite on Node `version`; counts come from vitest's JSON report. */
function runOn(version) {
  const started = performance.now();
  const actual = npxNode(version, ['--version'], 'pipe').stdout.trim();
  if (actual !== `v${version}`) {
    return failure(started, `npx started node ${actual || '(nothing)'} instead of v${version}`);
  }
  const report = join(reports, `node-${version}.json`);
  const projects = Object.keys(SUITE).flatMap((project) => ['--project', project]);
  const files = Object.values(SUITE).flat();
  const run = npxNode(
    version,
    [
      vitest,
      'run',
      ...projects,
      `--maxWorkers=${MAX_WORKERS}`,
      '--silent',
      '--reporter=dot',
      '--reporter=json',
      `--outputFile.json=${report}`,
      ...files,
    ],
    'inherit',
  );
  let json;
  try {
    json = JSON.parse(readFileSync(report, 'utf8'));
  } catch {
    return failure(started, `vitest exited ${run.status} without a report`);
  }
  const skipped = json.numPendingTests + json.numTodoTests;
  const counts = { passed: json.numPassedTests, failed: json.numFailedTests, skipped };
  const problem =
    run.status !== 0
      ? `vitest exited ${run.status}`
      : json.numTotalTests === 0 || json.numTotalTestSuites === 0
        ? 'no test ran'
        : json.testResults.length !== files.length
          ? `ran ${json.testResults.length} of ${files.length} files`
          : counts.failed > 0 || skipped > 0
            ? 'some tests failed or were skipped'
            : undefined;
  return {
    ...counts,
    files: json.testResults.length,
    seconds: (performance.now() - started) / 1000,
    ok: problem === undefined,
    problem,
  };
}

function npxNode(version, args, stdout) {
  return spawnSync('npx', ['--yes', '--package', `node@${version}`, '--', 'node', ...args], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', stdout, 'inherit'],
    env: {
      ...process.env,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      TEST_SERVERS: 'dynalite',
    },
  });
}

function failure(started, problem) {
  const seconds = (performance.now() - started) / 1000;
  return { passed: 0, failed: 0, skipped: 0, files: 0, seconds, ok: false, problem };
}
