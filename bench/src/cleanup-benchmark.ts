import { type ReapResult, SessionRepository } from '@dynamodb-session/core';
import type { LocalServerName } from '@dynamodb-session/test-support';
import { connectDynamoDBReap } from './connect-dynamodb-reap';
import {
  benchClient,
  countSessions,
  dropTable,
  freshTable,
  loadSessions,
  startServer,
} from './local-table';
import { markdownTable } from './markdown';
import { collectGarbage } from './memory-sampler';
import { RequestCounter, type RequestCounts, totalCommands } from './request-counter';
import { seconds, spread, verdict } from './stats';

/** A server the cleanups run against, optionally behind a simulated network latency. */
export interface CleanupTarget {
  server: LocalServerName;
  /** Milliseconds added before every request of the measured clients (0: none). */
  addedLatencyMs: number;
}

/** Sizes of the cleanup benchmark. */
export interface CleanupOptions {
  /** Sessions loaded before each run; every second one is expired. */
  sessions: number;
  rounds: number;
  targets: CleanupTarget[];
  /** Prints progress. */
  log: (line: string) => void;
}

/** The two cleanups compared. */
export type Implementation = 'dynamodb-session' | 'connect-dynamodb';

const IMPLEMENTATIONS: readonly Implementation[] = ['dynamodb-session', 'connect-dynamodb'];

/** One timed cleanup. */
export interface CleanupRun {
  round: number;
  implementation: Implementation;
  /** Wall time until the cleanup was complete (see the README for each implementation). */
  ms: number;
  /** connect-dynamodb only: when its callback was first called. */
  firstCallbackMs?: number;
  requests: RequestCounts;
  /** Requests still unanswered when the run was taken as complete (0 expected). */
  inFlightAtCompletion: number;
  expiredLoaded: number;
  /** Left after the run, counted by a separate scan (0 expired expected, every live one kept). */
  after: { expired: number; live: number };
  /** dynamodb-session only: what `reap()` resolved. */
  reapResult?: ReapResult;
  loadMs: number;
}

/** The cleanup benchmark on one server. */
export interface CleanupServerResult extends CleanupTarget {
  /** The server and the added latency, e.g. `dynamodb-local + 5 ms/request`. */
  label: string;
  sessions: number;
  runs: CleanupRun[];
}

/**
 * For each server: one untimed warm-up cleanup per implementation (the JVM of DynamoDB Local
 * compiles its hot paths during the first runs), then for each round: loads the same data set
 * into a fresh table, runs one cleanup, checks what is left, drops the table; then the same for
 * the other implementation (the order alternates between rounds).
 */
export async function runCleanupBenchmark(options: CleanupOptions): Promise<CleanupServerResult[]> {
  const results: CleanupServerResult[] = [];
  for (const target of options.targets) {
    const label = targetLabel(target);
    options.log(`cleanup: starting ${label}`);
    const server = await startServer(target.server);
    const admin = benchClient(server.endpoint);
    const runs: CleanupRun[] = [];
    const cleanup = async (implementation: Implementation, round: number, sessions: number) => {
      const table = await freshTable(admin, 'reap');
      const loadStart = performance.now();
      const expiredLoaded = await loadSessions(admin, table, {
        count: sessions,
        expiredEvery: 2,
        concurrency: 8,
      });
      const loadMs = performance.now() - loadStart;
      collectGarbage();
      const run = await timeCleanup(implementation, server.endpoint, target.addedLatencyMs, table);
      const after = await countSessions(admin, table);
      await dropTable(admin, table);
      return { round, implementation, expiredLoaded, after, loadMs, ...run };
    };
    try {
      const warmUpSessions = Math.min(options.sessions, 4_000);
      for (const implementation of IMPLEMENTATIONS) {
        await cleanup(implementation, 0, warmUpSessions);
      }
      options.log(`cleanup: ${label} warmed up (${warmUpSessions} sessions, not counted)`);
      for (let round = 1; round <= options.rounds; round++) {
        const order = round % 2 === 1 ? IMPLEMENTATIONS : [...IMPLEMENTATIONS].reverse();
        for (const implementation of order) {
          const run = await cleanup(implementation, round, options.sessions);
          runs.push(run);
          options.log(
            `cleanup: ${label} round ${round} ${implementation}: ${seconds(run.ms)} ` +
              `(${totalCommands(run.requests)} requests; left ${run.after.expired} expired, ` +
              `${run.after.live} live; load ${seconds(run.loadMs)})`,
          );
        }
      }
    } finally {
      admin.destroy();
      await server.stop();
    }
    results.push({ ...target, label, sessions: options.sessions, runs });
  }
  return results;
}

/** The markdown report of the cleanup benchmark. */
export function cleanupMarkdown(results: CleanupServerResult[]): string {
  const timeRows: (string | number)[][] = [];
  const ratioRows: (string | number)[][] = [];
  const requestRows: (string | number)[][] = [];
  const targetRows: (string | number)[][] = [];
  for (const result of results) {
    const times = new Map<Implementation, ReturnType<typeof spread>>();
    for (const implementation of ['dynamodb-session', 'connect-dynamodb'] as const) {
      const runs = result.runs.filter((run) => run.implementation === implementation);
      const time = spread(runs.map((run) => run.ms));
      times.set(implementation, time);
      const callbacks = runs.flatMap((run) =>
        run.firstCallbackMs === undefined ? [] : [run.firstCallbackMs],
      );
      timeRows.push([
        result.label,
        implementation,
        result.sessions,
        seconds(time.median),
        `${seconds(time.min)} – ${seconds(time.max)}`,
        callbacks.length > 0 ? seconds(spread(callbacks).median) : '—',
        runs.every((run) => run.after.expired === 0 && run.after.live === result.sessions / 2)
          ? 'yes'
          : 'NO',
      ]);
      const operations = [...new Set(runs.flatMap((run) => Object.keys(run.requests.commands)))];
      requestRows.push([
        result.label,
        implementation,
        operations
          .sort()
          .map(
            (operation) =>
              `${operation} ${range(runs.map((run) => run.requests.commands[operation] ?? 0))}`,
          )
          .join(', '),
        range(runs.map((run) => totalCommands(run.requests))),
        range(runs.map((run) => run.requests.attempts)),
      ]);
      if (implementation === 'dynamodb-session') targetRows.push(...requestTarget(result, runs));
    }
    const ours = times.get('dynamodb-session')?.median ?? Number.NaN;
    const theirs = times.get('connect-dynamodb')?.median ?? Number.NaN;
    const ratio = theirs / ours;
    ratioRows.push([
      result.label,
      seconds(theirs),
      seconds(ours),
      `${ratio.toFixed(1)}x`,
      verdict(ratio >= 10),
    ]);
  }
  return [
    markdownTable(
      [
        'server',
        'implementation',
        'sessions',
        'median',
        'min – max',
        'first callback',
        'all expired gone, live kept',
      ],
      timeRows,
    ),
    markdownTable(
      ['server', 'connect-dynamodb (median)', 'dynamodb-session (median)', 'ratio', 'target ≥ 10x'],
      ratioRows,
    ),
    markdownTable(
      ['server', 'implementation', 'requests by operation', 'total', 'HTTP attempts'],
      requestRows,
    ),
    markdownTable(
      [
        'server',
        'round',
        'deleted',
        'scan pages',
        'limit: ⌈deleted / 25⌉ + scan pages',
        'requests',
        'delete batches',
        'check',
      ],
      targetRows,
    ),
  ].join('\n\n');
}

async function timeCleanup(
  implementation: Implementation,
  endpoint: string,
  addedLatencyMs: number,
  table: string,
): Promise<
  Pick<CleanupRun, 'ms' | 'firstCallbackMs' | 'requests' | 'inFlightAtCompletion' | 'reapResult'>
> {
  const client = benchClient(endpoint, addedLatencyMs);
  const counter = new RequestCounter(client);
  try {
    if (implementation === 'dynamodb-session') {
      const repository = new SessionRepository({ client, table });
      const start = performance.now();
      const reapResult = await repository.reap();
      const ms = performance.now() - start;
      return {
        ms,
        requests: counter.snapshot(),
        inFlightAtCompletion: counter.inFlight,
        reapResult: { ...reapResult },
      };
    }
    const timing = await connectDynamoDBReap(client, table);
    return {
      ms: timing.completedMs,
      firstCallbackMs: timing.firstCallbackMs,
      requests: counter.snapshot(),
      inFlightAtCompletion: counter.inFlight,
    };
  } finally {
    client.destroy();
  }
}

/**
 * The request target of the issue, "no more than one batch per 25 deletions plus the scan
 * pages", checked round by round: all requests ≤ ⌈deleted / 25⌉ + scan pages. Only where the
 * server has BatchExecuteStatement; elsewhere the cleanup falls back to single deletes.
 */
function requestTarget(result: CleanupServerResult, runs: CleanupRun[]): (string | number)[][] {
  return runs.map((run) => {
    const deleted = run.reapResult?.deleted ?? 0;
    const scanPages = run.requests.commands.Scan ?? 0;
    const batches = run.requests.commands.BatchExecuteStatement ?? 0;
    const limit = Math.ceil(deleted / 25) + scanPages;
    const total = totalCommands(run.requests);
    const batched = (run.requests.commands.DeleteItem ?? 0) === 0;
    return [
      result.label,
      run.round,
      deleted,
      scanPages,
      limit,
      total,
      batches,
      batched ? verdict(total <= limit) : 'n/a (no BatchExecuteStatement: single DeleteItems)',
    ];
  });
}

function targetLabel(target: CleanupTarget): string {
  return target.addedLatencyMs > 0
    ? `${target.server} + ${target.addedLatencyMs} ms/request`
    : target.server;
}

function range(values: number[]): string {
  const { min, max } = spread(values);
  return min === max ? String(min) : `${min}–${max}`;
}
