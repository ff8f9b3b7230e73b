import { spawnTypeScript } from './child-process';
import {
  benchClient,
  countSessions,
  dropTable,
  freshTable,
  loadSessions,
  startServer,
} from './local-table';
import { markdownTable } from './markdown';
import type { MemoryGrowth } from './memory-sampler';
import type { RequestCounts } from './request-counter';
import { megabytes, seconds, verdict } from './stats';

/** The memory target of the issue for `all()` and `clear()`: peak growth at most 50 MB. */
export const MEMORY_TARGET_BYTES = 50 * 1024 * 1024;

/** Sizes of the listing benchmark. */
export interface ListingOptions {
  /** Live sessions loaded before `all()` and `clear()`. */
  sessions: number;
  log: (line: string) => void;
}

/** One measured operation over the loaded sessions. */
export interface ListingRun {
  operation: 'all()' | 'clear()';
  /** Sessions the operation yielded (`all`) or deleted (`clear`). */
  sessions: number;
  ms: number;
  memory: MemoryGrowth;
  requests: RequestCounts;
}

/** An operation run again in a process whose JS heap cannot grow by more than the target. */
export interface CappedRun {
  operation: 'all()' | 'clear()';
  /** The V8 flags of the worker: old space = baseline heap + 50 MB - 3 MB, 1 MB semi-spaces. */
  nodeFlags: string[];
  /** Whether it finished (a JS heap out of memory crash otherwise). */
  completed: boolean;
  /** How the worker failed, when it did. */
  error?: string;
  run?: ListingRun;
}

/** The listing benchmark. */
export interface ListingResult {
  server: 'dynamodb-local';
  sessionsLoaded: number;
  loadMs: number;
  /** With V8's default heap settings: the measurement of the issue's target. */
  runs: ListingRun[];
  /** The same operations with the heap capped at baseline + 50 MB. */
  capped: CappedRun[];
  /** Sessions left after each `clear()`, counted by a separate scan (0 expected). */
  leftAfterClear: number[];
}

/**
 * Loads `sessions` live sessions into a fresh table on DynamoDB Local, then iterates `all()` to
 * the end (counting, keeping nothing) and runs `clear()`, each in a fresh Node process
 * (`listing-worker.ts`) with its own client and a memory sampler started after a full garbage
 * collection. Then runs both again in processes whose JS heap is capped at the baseline plus
 * the target (the table is loaded again for the second `clear()`): finishing there shows that
 * the operation never needed more, whatever the sampled peaks of the default run.
 */
export async function runListingBenchmark(options: ListingOptions): Promise<ListingResult> {
  options.log('listing: starting dynamodb-local');
  const server = await startServer('dynamodb-local');
  const admin = benchClient(server.endpoint);
  const load = async () => {
    const table = await freshTable(admin, 'listing');
    const start = performance.now();
    await loadSessions(admin, table, { count: options.sessions, expiredEvery: 0, concurrency: 8 });
    const ms = performance.now() - start;
    options.log(`listing: loaded ${options.sessions} sessions in ${seconds(ms)}`);
    return { table, ms };
  };
  const left = async (table: string) => {
    const counts = await countSessions(admin, table);
    await dropTable(admin, table);
    return counts.expired + counts.live;
  };
  const report = (label: string, run: ListingRun) =>
    options.log(
      `listing: ${label} ${run.sessions} sessions in ${seconds(run.ms)}, peak growth ` +
        `RSS ${megabytes(run.memory.peakRssBytes)}, heap ${megabytes(run.memory.peakHeapBytes)}`,
    );
  try {
    const first = await load();
    const listed = await measure(server.endpoint, first.table, 'all');
    report('all()', listed);
    const nodeFlags = cappedHeapFlags(listed.memory.baselineHeapBytes);
    const listedCapped = await measureCapped(server.endpoint, first.table, 'all', nodeFlags);
    if (listedCapped.run) report(`all() with ${nodeFlags.join(' ')}`, listedCapped.run);
    const cleared = await measure(server.endpoint, first.table, 'clear');
    report('clear()', cleared);
    const leftFirst = await left(first.table);

    const second = await load();
    const clearedCapped = await measureCapped(server.endpoint, second.table, 'clear', nodeFlags);
    if (clearedCapped.run) report(`clear() with ${nodeFlags.join(' ')}`, clearedCapped.run);
    const leftSecond = await left(second.table);
    return {
      server: 'dynamodb-local',
      sessionsLoaded: options.sessions,
      loadMs: first.ms,
      runs: [listed, cleared],
      capped: [listedCapped, clearedCapped],
      leftAfterClear: [leftFirst, leftSecond],
    };
  } finally {
    admin.destroy();
    await server.stop();
  }
}

/** The markdown report of the listing benchmark. */
export function listingMarkdown(result: ListingResult): string {
  const requests = (run: ListingRun) =>
    Object.entries(run.requests.commands)
      .map(([operation, count]) => `${operation} ${count}`)
      .join(', ');
  const withinTarget = (run: ListingRun) =>
    run.memory.peakRssBytes <= MEMORY_TARGET_BYTES &&
    run.memory.peakHeapBytes <= MEMORY_TARGET_BYTES;
  return [
    markdownTable(
      [
        'operation',
        'sessions',
        'time',
        'peak RSS growth',
        'peak heap growth',
        'heap retained after gc',
        'samples',
        'requests',
        'target ≤ 50 MB (RSS and heap)',
      ],
      result.runs.map((run) => [
        run.operation,
        run.sessions,
        seconds(run.ms),
        megabytes(run.memory.peakRssBytes),
        megabytes(run.memory.peakHeapBytes),
        megabytes(run.memory.retainedHeapBytes),
        run.memory.samples,
        requests(run),
        verdict(withinTarget(run)),
      ]),
    ),
    `Again with the JS heap capped at the baseline + 50 MB (\`${result.capped[0]?.nodeFlags.join(' ')}\`):`,
    markdownTable(
      [
        'operation',
        'sessions',
        'time',
        'peak RSS growth',
        'peak heap growth',
        'finished within the cap',
      ],
      result.capped.map((capped) => [
        capped.operation,
        capped.run?.sessions ?? '—',
        capped.run ? seconds(capped.run.ms) : '—',
        capped.run ? megabytes(capped.run.memory.peakRssBytes) : '—',
        capped.run ? megabytes(capped.run.memory.peakHeapBytes) : '—',
        capped.completed ? 'PASS' : 'FAIL (out of memory)',
      ]),
    ),
  ].join('\n\n');
}

/** Runs `all()` or `clear()` in a fresh `listing-worker.ts` process and returns what it measured. */
export async function measure(
  endpoint: string,
  table: string,
  operation: 'all' | 'clear',
  options?: Record<string, unknown>,
  nodeFlags: string[] = [],
): Promise<ListingRun> {
  const args = [endpoint, table, operation, ...(options ? [JSON.stringify(options)] : [])];
  const worker = spawnTypeScript('listing-worker.ts', args, nodeFlags);
  const lines = (await worker.output).trim().split('\n');
  return JSON.parse(lines[lines.length - 1] ?? '') as ListingRun;
}

async function measureCapped(
  endpoint: string,
  table: string,
  operation: 'all' | 'clear',
  nodeFlags: string[],
): Promise<CappedRun> {
  const label = operation === 'all' ? 'all()' : 'clear()';
  try {
    const run = await measure(endpoint, table, operation, undefined, nodeFlags);
    return { operation: label, nodeFlags, completed: true, run };
  } catch (error) {
    return { operation: label, nodeFlags, completed: false, error: (error as Error).message };
  }
}

/** V8 flags that keep the JS heap within `baselineHeapBytes` + the target. */
function cappedHeapFlags(baselineHeapBytes: number): string[] {
  const semiSpaceMb = 1;
  const oldSpaceMb =
    Math.floor((baselineHeapBytes + MEMORY_TARGET_BYTES) / 1024 / 1024) - 3 * semiSpaceMb;
  return [`--max-old-space-size=${oldSpaceMb}`, `--max-semi-space-size=${semiSpaceMb}`];
}
