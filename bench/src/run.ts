import './env';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { CleanupTarget } from './cleanup-benchmark';
import { machineInfo, machineTable } from './machine';
import { seconds } from './stats';

const USAGE = `Usage: node --expose-gc --import tsx src/run.ts [options]

  --quick              smaller sizes for a smoke run (results go to results/quick/)
  --only <name>        run one benchmark: cleanup or listing
  --no-dynalite        cleanup on DynamoDB Local only
  --latency-ms <n>     also run the cleanup on DynamoDB Local with n ms added before every
                       request (a stand-in for the network round trip); default 5, 0 skips it
  --help               this text`;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    'no-dynalite': { type: 'boolean', default: false },
    'latency-ms': { type: 'string', default: '5' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (values.only !== undefined && values.only !== 'cleanup' && values.only !== 'listing') {
  console.error(`--only must be cleanup or listing\n\n${USAGE}`);
  process.exit(2);
}

const sizes = values.quick
  ? { cleanupSessions: 2_000, rounds: 3, listingSessions: 5_000 }
  : { cleanupSessions: 20_000, rounds: 3, listingSessions: 100_000 };
const latencyMs = Number(values['latency-ms']);
if (!Number.isInteger(latencyMs) || latencyMs < 0) {
  console.error(`--latency-ms must be a whole number of milliseconds\n\n${USAGE}`);
  process.exit(2);
}
const targets: CleanupTarget[] = [
  { server: 'dynamodb-local', addedLatencyMs: 0 },
  ...(latencyMs > 0 ? [{ server: 'dynamodb-local' as const, addedLatencyMs: latencyMs }] : []),
  ...(values['no-dynalite'] ? [] : [{ server: 'dynalite' as const, addedLatencyMs: 0 }]),
];
const benchDirectory = fileURLToPath(new URL('..', import.meta.url));
const resultsDirectory = join(benchDirectory, 'results', values.quick ? 'quick' : '');
const started = performance.now();
const log = (line: string) =>
  console.error(`[${seconds(performance.now() - started).padStart(9)}] ${line}`);

ensureCoreBuilt();
const { cleanupMarkdown, runCleanupBenchmark } = await import('./cleanup-benchmark');
const { listingMarkdown, runListingBenchmark } = await import('./listing-benchmark');

const machine = machineInfo();
const sections = [
  `# dynamodb-session benchmarks${values.quick ? ' (quick run)' : ''}`,
  `Command: \`node scripts/pnpm.mjs --filter @dynamodb-session/bench bench${values.quick ? ' --quick' : ''}\``,
  machineTable(machine),
];
mkdirSync(resultsDirectory, { recursive: true });

if (values.only !== 'listing') {
  const cleanup = await runCleanupBenchmark({
    sessions: sizes.cleanupSessions,
    rounds: sizes.rounds,
    targets,
    log,
  });
  writeJson('cleanup.json', { machine, sizes, results: cleanup });
  sections.push(
    `## Cleanup: ${sizes.cleanupSessions} sessions, half expired, ${sizes.rounds} rounds`,
    cleanupMarkdown(cleanup),
  );
}
if (values.only !== 'cleanup') {
  const listing = await runListingBenchmark({ sessions: sizes.listingSessions, log });
  writeJson('listing.json', { machine, sizes, result: listing });
  sections.push(
    `## Listing: all() and clear() over ${sizes.listingSessions} sessions (DynamoDB Local)`,
    listingMarkdown(listing),
    `Sessions left after each clear(), counted by a separate scan: ${listing.leftAfterClear.join(', ')}.`,
  );
}
sections.push(
  `Total benchmark time: ${seconds(performance.now() - started)}. ` +
    `Load average (1 min) at the start: ${machine.loadAverage.toFixed(2)}, ` +
    `at the end: ${os.loadavg()[0]?.toFixed(2)} (other processes share the cores).`,
);

const markdown = `${sections.join('\n\n')}\n`;
writeFileSync(join(resultsDirectory, 'results.md'), markdown);
console.log(markdown);
log(`results written to ${resultsDirectory}`);

function writeJson(name: string, value: unknown): void {
  writeFileSync(join(resultsDirectory, name), `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * The benchmarks import the core through its package exports (`dist`): builds it first when
 * `dist` is missing or older than a file of `src`.
 */
function ensureCoreBuilt(): void {
  const core = join(benchDirectory, '..', 'packages', 'core');
  const built = join(core, 'dist', 'index.js');
  const newestSource = Math.max(
    ...readdirSync(join(core, 'src')).map((file) => statSync(join(core, 'src', file)).mtimeMs),
  );
  if (existsSync(built) && statSync(built).mtimeMs >= newestSource) return;
  log('building @dynamodb-session/core (dist is missing or older than src)');
  const build = spawnSync(
    process.execPath,
    ['../scripts/pnpm.mjs', '--filter', '@dynamodb-session/core', 'build'],
    {
      cwd: benchDirectory,
      stdio: 'inherit',
    },
  );
  if (build.status !== 0) throw new Error('building @dynamodb-session/core failed');
}
