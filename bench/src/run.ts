import './env';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { CleanupTarget } from './cleanup-benchmark';
import { machineInfo, machineTable } from './machine';
import { seconds } from './stats';

const USAGE = `Usage: node --expose-gc --import tsx src/run.ts [options]

  --quick              smaller sizes for a smoke run (results go to results/quick/);
                       BENCH_QUICK=1 in the environment does the same
  --only <name>        run one benchmark: cleanup, listing, store-ops, cpu, e2e or cost
                       (results go to results/only-<name>/, or results/quick/only-<name>/;
                       results/results.md is only written by a run of every benchmark)
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
const quick = values.quick || process.env.BENCH_QUICK === '1';
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const BENCHMARKS = ['cleanup', 'listing', 'store-ops', 'cpu', 'e2e', 'cost'] as const;
type BenchmarkName = (typeof BENCHMARKS)[number];
if (values.only !== undefined && !(BENCHMARKS as readonly string[]).includes(values.only)) {
  console.error(`--only must be one of ${BENCHMARKS.join(', ')}\n\n${USAGE}`);
  process.exit(2);
}
const runs = (name: BenchmarkName) => values.only === undefined || values.only === name;

const sizes = quick
  ? {
      cleanupSessions: 2_000,
      rounds: 3,
      listingSessions: 5_000,
      storeOperations: 200,
      cpuOperations: 1_000,
      ownWorkIterations: 20_000,
      e2eRounds: 1,
      e2eSeconds: 2,
      e2eWarmupSeconds: 0.5,
      e2eCeilings: false,
      costSeconds: 2,
      e2eSessions: 100,
    }
  : {
      cleanupSessions: 20_000,
      rounds: 3,
      listingSessions: 100_000,
      storeOperations: 1_000,
      cpuOperations: 10_000,
      ownWorkIterations: 200_000,
      e2eRounds: 3,
      e2eSeconds: 8,
      e2eWarmupSeconds: 1,
      e2eCeilings: true,
      costSeconds: 5,
      e2eSessions: 200,
    };
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
const resultsDirectory = join(
  benchDirectory,
  'results',
  quick ? 'quick' : '',
  values.only ? `only-${values.only}` : '',
);
const started = performance.now();
const log = (line: string) =>
  console.error(`[${seconds(performance.now() - started).padStart(9)}] ${line}`);

ensureCoreBuilt();
const { cleanupMarkdown, runCleanupBenchmark } = await import('./cleanup-benchmark');
const { listingMarkdown, runListingBenchmark } = await import('./listing-benchmark');
const { runStoreOpsBenchmark, storeOpsMarkdown } = await import('./store-ops-benchmark');
const { cpuMarkdown, runCpuBenchmark } = await import('./cpu-benchmark');
const { e2eMarkdown, runE2eBenchmark } = await import('./e2e-benchmark');
const { costMarkdown, runCostBenchmark } = await import('./cost-benchmark');
const { headlineChart, SECTION_HEADINGS } = await import('./report');

const machine = machineInfo();
const header = [
  `# dynamodb-session benchmarks${quick ? ' (quick run)' : ''}`,
  `Command: \`node scripts/pnpm.mjs --filter @dynamodb-session/bench bench${quick ? ' --quick' : ''}${values.only ? ` --only ${values.only}` : ''}\``,
  machineTable(machine),
];
const sections: string[] = [];
const fresh = new Map<BenchmarkName, string[]>();
mkdirSync(resultsDirectory, { recursive: true });
for (const name of BENCHMARKS) rmSync(join(resultsDirectory, `${name}.json`), { force: true });

if (runs('cleanup')) {
  const cleanup = await runCleanupBenchmark({
    sessions: sizes.cleanupSessions,
    rounds: sizes.rounds,
    targets,
    log,
  });
  writeJson('cleanup.json', { machine, sizes, results: cleanup });
  fresh.set('cleanup', [
    `## Cleanup: ${sizes.cleanupSessions} sessions, half expired, ${sizes.rounds} rounds`,
    cleanupMarkdown(cleanup),
  ]);
}
if (runs('listing')) {
  const listing = await runListingBenchmark({ sessions: sizes.listingSessions, log });
  writeJson('listing.json', { machine, sizes, result: listing });
  fresh.set('listing', [
    `## Listing: all() and clear() over ${sizes.listingSessions} sessions (DynamoDB Local)`,
    listingMarkdown(listing),
    `Sessions left after each clear(), counted by a separate scan: ${listing.leftAfterClear.join(', ')}.`,
  ]);
}
if (runs('store-ops')) {
  const storeOps = await runStoreOpsBenchmark({
    operations: sizes.storeOperations,
    rounds: sizes.rounds,
    servers: values['no-dynalite'] ? ['dynamodb-local'] : ['dynamodb-local', 'dynalite'],
    log,
  });
  writeJson('store-ops.json', { machine, sizes, results: storeOps });
  fresh.set('store-ops', [
    `${SECTION_HEADINGS['store-ops']}: get, set, touch, destroy of 1 KB sessions, ${sizes.rounds} rounds of ${sizes.storeOperations} of each`,
    storeOpsMarkdown(storeOps),
  ]);
}
if (runs('cpu')) {
  const cpu = await runCpuBenchmark({
    operations: sizes.cpuOperations,
    rounds: sizes.rounds,
    ownWorkIterations: sizes.ownWorkIterations,
    log,
  });
  writeJson('cpu.json', { machine, sizes, result: cpu });
  fresh.set('cpu', [`${SECTION_HEADINGS.cpu} per operation, transport stubbed`, cpuMarkdown(cpu)]);
}
const e2eBase = {
  sessions: sizes.e2eSessions,
  connections: 32,
  warmupSeconds: sizes.e2eWarmupSeconds,
  log,
};
if (runs('e2e')) {
  const { e2eApps, WORKLOADS } = await import('./e2e-benchmark');
  const loadBefore = os.loadavg()[0] ?? 0;
  const e2e = await runE2eBenchmark({
    ...e2eBase,
    apps: e2eApps(sizes.e2eCeilings),
    workloads: WORKLOADS,
    rounds: sizes.e2eRounds,
    durationSeconds: sizes.e2eSeconds,
    capacity: false,
  });
  writeJson('e2e.json', { machine, sizes, results: e2e });
  fresh.set('e2e', [
    `${SECTION_HEADINGS.e2e}: apps on DynamoDB Local under autocannon, ${sizes.e2eSessions} rotating sessions, 32 connections, ${sizes.e2eRounds} round${sizes.e2eRounds > 1 ? 's' : ''} of ${sizes.e2eSeconds} s a run`,
    e2eMarkdown(e2e),
    `Load average (1 min) before the e2e runs: ${loadBefore.toFixed(2)}, after: ${(os.loadavg()[0] ?? 0).toFixed(2)}.`,
  ]);
}
if (runs('cost')) {
  const cost = await runCostBenchmark({ ...e2eBase, durationSeconds: sizes.costSeconds });
  writeJson('cost.json', { machine, sizes, results: cost });
  fresh.set('cost', [
    `${SECTION_HEADINGS.cost}: DynamoDB capacity per 1,000 requests and on-demand price`,
    costMarkdown(cost),
  ]);
}
for (const name of BENCHMARKS) sections.push(...(fresh.get(name) ?? []));
const chart = headlineChart(resultsDirectory);
if (chart) {
  writeFileSync(join(resultsDirectory, 'ratios.svg'), chart);
  sections.push('Headline ratios: [ratios.svg](ratios.svg)');
}
sections.push(
  `Total benchmark time: ${seconds(performance.now() - started)}. ` +
    `Load average (1 min) at the start: ${machine.loadAverage.toFixed(2)}, ` +
    `at the end: ${os.loadavg()[0]?.toFixed(2)} (other processes share the cores).`,
);

const markdown = `${[...header, ...sections].join('\n\n')}\n`;
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
