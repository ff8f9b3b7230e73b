import { type ChildProcess, fork } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { LOCAL_CLIENT_CONFIG } from '@dynamodb-session/test-support';
import autocannon from 'autocannon';
import type { AppStore, AppUsage, Framework } from './e2e-app';
import type { CapacityTotals } from './fixtures';
import { benchClient, dropTable, freshTable, startServer } from './local-table';
import { markdownTable } from './markdown';
import { megabytes, type Spread, spread, verdict } from './stats';

/** The two request mixes. */
export type Workload = 'read-heavy' | 'write-every-request';
export const WORKLOADS: Workload[] = ['read-heavy', 'write-every-request'];

/**
 * Where a DynamoDB store's client comes from:
 * - `app client`: the app builds one plain `new DynamoDBClient({ endpoint, region, credentials })`
 *   and hands it to the store, as an app that shares its client does;
 * - `own client`: each store builds its own (dynamodb-session from its options, with
 *   `cacheMiddleware`; connect-dynamodb its `new DynamoDBClient({})`, pointed at the server by
 *   `AWS_ENDPOINT_URL_DYNAMODB`);
 * - `createDynamoDBClient`: the app builds the client with the core's helper and hands it over;
 * - `app client + cacheClientMiddleware`: the plain app client, dynamodb-session with
 *   `cacheClientMiddleware: true` (compared with connect-dynamodb on the plain app client).
 */
export type ClientMode =
  | 'app client'
  | 'own client'
  | 'createDynamoDBClient'
  | 'app client + cacheClientMiddleware';

/** One app under load. `client` is absent for the stores that keep sessions out of DynamoDB. */
export interface AppUnderTest {
  framework: Framework;
  store: AppStore;
  client?: ClientMode;
}

/**
 * The apps of the e2e benchmark: dynamodb-session and connect-dynamodb on express in both client
 * modes, dynamodb-session on koa and fastify in both, dynamodb-session on express with a client
 * from `createDynamoDBClient()`, and (`ceilings`) each framework's store that needs no DynamoDB:
 * express-session's and @fastify/session's MemoryStore, koa-session's default cookie store.
 */
export function e2eApps(ceilings: boolean): AppUnderTest[] {
  const apps: AppUnderTest[] = [];
  for (const client of ['app client', 'own client'] as const) {
    apps.push(
      { framework: 'express', store: 'dynamodb-session', client },
      { framework: 'express', store: 'connect-dynamodb', client },
      { framework: 'koa', store: 'dynamodb-session', client },
      { framework: 'fastify', store: 'dynamodb-session', client },
    );
  }
  apps.push(
    { framework: 'express', store: 'dynamodb-session', client: 'createDynamoDBClient' },
    {
      framework: 'express',
      store: 'dynamodb-session',
      client: 'app client + cacheClientMiddleware',
    },
  );
  if (ceilings) {
    apps.push(
      { framework: 'express', store: 'memory' },
      { framework: 'koa', store: 'cookie' },
      { framework: 'fastify', store: 'memory' },
    );
  }
  return apps;
}

/** Apps loaded, untimed, before the measured runs. */
const WARMUP_APPS: AppUnderTest[] = [
  { framework: 'express', store: 'dynamodb-session', client: 'own client' },
  { framework: 'express', store: 'connect-dynamodb', client: 'app client' },
];

/** Settings of one series of runs. */
export interface E2eSettings {
  apps: AppUnderTest[];
  workloads: Workload[];
  /** Rounds; each runs every app and workload once, the order of the apps rotating. */
  rounds: number;
  /** Seconds of load per run. */
  durationSeconds: number;
  /** Seconds of untimed load before each run. */
  warmupSeconds: number;
  /** Sessions created first; the load rotates through their cookies. */
  sessions: number;
  connections: number;
  /** Ask DynamoDB for consumed capacity (the cost benchmark). */
  capacity: boolean;
  log: (line: string) => void;
}

/** The figures of one run. */
export interface E2eRow extends AppUnderTest {
  workload: Workload;
  round: number;
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
  /** App CPU (user + system) per request, µs. */
  cpuMicrosPerRequest: number;
  /** The app's RSS after the run. */
  rss: number;
  /** The machine's one-minute load average when the run started. */
  loadAverage: number;
  /** DynamoDB capacity the app consumed during the load (with `capacity`). */
  capacity?: CapacityTotals;
}

/**
 * The targets: express + dynamodb-session req/s over connect-dynamodb's, by client mode (with
 * `cacheClientMiddleware`, those of the plain app client it is an option for).
 */
export const E2E_TARGETS: Record<
  'app client' | 'own client' | 'app client + cacheClientMiddleware',
  Record<Workload, number>
> = {
  'app client': { 'read-heavy': 2.0, 'write-every-request': 1.0 },
  'own client': { 'read-heavy': 2.2, 'write-every-request': 1.2 },
  'app client + cacheClientMiddleware': { 'read-heavy': 2.0, 'write-every-request': 1.0 },
};

/**
 * Runs each app in a child process on DynamoDB Local (a fresh table each), creates the sessions,
 * and drives the workload with autocannon, every request carrying the next session's cookie.
 * Every round runs every app on every workload; the order of the apps rotates by round.
 */
export async function runE2eBenchmark(settings: E2eSettings): Promise<E2eRow[]> {
  settings.log('e2e: starting DynamoDB Local');
  const server = await startServer('dynamodb-local');
  const setupClient = benchClient(server.endpoint);
  const rows: E2eRow[] = [];
  try {
    // DynamoDB Local's JVM compiles its hot paths during the first minutes of load: without an
    // untimed warm-up, whichever app runs first is penalised.
    for (const app of WARMUP_APPS) {
      const table = await freshTable(setupClient, 'e2e-warmup');
      const child = await startApp(app, 'read-heavy', server.endpoint, table, false);
      try {
        await loadApp(child, app, 'read-heavy', 0, {
          ...settings,
          durationSeconds: Math.max(1.5, settings.durationSeconds / 2),
        });
      } finally {
        child.process.kill('SIGTERM');
        await dropTable(setupClient, table).catch(() => undefined);
      }
    }
    settings.log('e2e: server warmed up');
    for (let round = 0; round < settings.rounds; round++) {
      for (const workload of settings.workloads) {
        for (const app of rotate(settings.apps, round * 3)) {
          const table = await freshTable(setupClient, 'e2e');
          const child = await startApp(app, workload, server.endpoint, table, settings.capacity);
          try {
            rows.push(await loadApp(child, app, workload, round, settings));
          } finally {
            child.process.kill('SIGTERM');
            await dropTable(setupClient, table).catch(() => undefined);
          }
          const row = rows[rows.length - 1];
          settings.log(
            `e2e: round ${round + 1} ${workload} ${appLabel(app)}: ${Math.round(row?.requestsPerSecond ?? 0)} req/s`,
          );
        }
      }
    }
  } finally {
    setupClient.destroy();
    await server.stop();
  }
  return rows;
}

/** `express + dynamodb-session (own client)`. */
export function appLabel(app: AppUnderTest): string {
  return `${app.framework} + ${app.store}${app.client ? ` (${app.client})` : ''}`;
}

/** The median figures of one app and workload over the rounds. */
interface E2eSummary extends AppUnderTest {
  workload: Workload;
  requestsPerSecond: Spread;
  p50Ms: number;
  p99Ms: number;
  cpuMicrosPerRequest: number;
  rss: number;
  errors: number;
  non2xx: number;
  loadAverage: Spread;
}

/**
 * The rows as markdown, one table per workload: median req/s over the rounds with min–max,
 * the ratio it is judged by (dynamodb-session on express against connect-dynamodb with the same
 * client mode; on koa and fastify against dynamodb-session on express with the same client mode;
 * the ceilings against express + dynamodb-session's own client), median latency, app CPU and
 * the load average, then the targets.
 */
export function e2eMarkdown(rows: E2eRow[]): string {
  const rounds = Math.max(...rows.map((row) => row.round)) + 1;
  const parts: string[] = [
    `Medians over ${rounds} round${rounds > 1 ? 's' : ''}. A ratio is the median of the per-round ratios (both apps measured in the same round), with their min–max. ` +
      '`app client`: both stores handed the same kind of plain `new DynamoDBClient({ endpoint, region, credentials })` built by the app; ' +
      '`own client`: each store builds its own; `createDynamoDBClient`: the app builds it with the core’s helper; ' +
      '`app client + cacheClientMiddleware`: the plain app client, dynamodb-session with `cacheClientMiddleware: true`, compared with connect-dynamodb on the plain app client. ' +
      'koa and fastify (connect-dynamodb is express-only) are compared with express + dynamodb-session in the same client mode; ' +
      'the stores without DynamoDB (MemoryStore, koa-session’s cookie) are ceilings, compared with express + dynamodb-session (own client).',
  ];
  for (const workload of WORKLOADS) {
    const of = rows.filter((row) => row.workload === workload);
    if (of.length === 0) continue;
    const apps = uniqueApps(of);
    parts.push(
      `### ${workload}`,
      markdownTable(
        [
          'app',
          'req/s median [min–max]',
          'ratio',
          'compared with',
          'p50 ms',
          'p99 ms',
          'app CPU µs/request',
          'RSS',
          'errors / non-2xx',
          'load (1 min)',
        ],
        apps.map((app) => {
          const summary = summarize(of, app);
          const peer = peerOf(app);
          const ratio = peer ? roundRatios(of, app, peer) : undefined;
          return [
            appLabel(app),
            `${Math.round(summary.requestsPerSecond.median)} [${Math.round(summary.requestsPerSecond.min)}–${Math.round(summary.requestsPerSecond.max)}]`,
            ratio ? ratioCell(ratio) : '–',
            peer ? appLabel(peer) : '–',
            summary.p50Ms,
            summary.p99Ms,
            Math.round(summary.cpuMicrosPerRequest),
            megabytes(summary.rss),
            `${summary.errors} / ${summary.non2xx}`,
            `${summary.loadAverage.median.toFixed(2)} [${summary.loadAverage.min.toFixed(2)}–${summary.loadAverage.max.toFixed(2)}]`,
          ];
        }),
      ),
    );
  }
  const modes = ['app client', 'app client + cacheClientMiddleware', 'own client'] as const;
  const targetRows = modes.flatMap((mode) =>
    WORKLOADS.flatMap((workload) => {
      const ratio = e2eRatio(rows, workload, mode);
      const target = E2E_TARGETS[mode][workload];
      return ratio === undefined
        ? []
        : [
            [
              `${workload}, ${mode}: express req/s ≥ ${target}× connect-dynamodb`,
              ratioCell(ratio),
              verdict(ratio.median >= target),
            ],
          ];
    }),
  );
  if (targetRows.length > 0)
    parts.push(markdownTable(['target', 'measured', 'result'], targetRows));
  return parts.join('\n\n');
}

/**
 * express + dynamodb-session req/s over express + connect-dynamodb's with the same client mode,
 * for a workload: the median of the per-round ratios, with their min and max.
 */
export function e2eRatio(rows: E2eRow[], workload: Workload, mode: ClientMode): Spread | undefined {
  const of = rows.filter((row) => row.workload === workload);
  return roundRatios(
    of,
    { framework: 'express', store: 'dynamodb-session', client: mode },
    { framework: 'express', store: 'connect-dynamodb', client: connectModeFor(mode) },
  );
}

/** The client mode connect-dynamodb runs in for a comparison with ours in `mode`. */
function connectModeFor(mode: ClientMode): ClientMode {
  return mode === 'createDynamoDBClient' || mode === 'app client + cacheClientMiddleware'
    ? 'app client'
    : mode;
}

/** The app a row is compared with in the tables (see {@link e2eMarkdown}). */
function peerOf(app: AppUnderTest): AppUnderTest | undefined {
  const oursOnExpress = (client: ClientMode) =>
    ({ framework: 'express', store: 'dynamodb-session', client }) as const;
  if (app.store === 'connect-dynamodb') return undefined;
  if (!app.client) return oursOnExpress('own client');
  if (app.framework !== 'express') return oursOnExpress(app.client);
  return { framework: 'express', store: 'connect-dynamodb', client: connectModeFor(app.client) };
}

function sameApp(a: AppUnderTest, b: AppUnderTest): boolean {
  return a.framework === b.framework && a.store === b.store && a.client === b.client;
}

function uniqueApps(rows: E2eRow[]): AppUnderTest[] {
  const apps: AppUnderTest[] = [];
  for (const row of rows) {
    if (!apps.some((app) => sameApp(app, row))) {
      apps.push({
        framework: row.framework,
        store: row.store,
        ...(row.client && { client: row.client }),
      });
    }
  }
  return apps;
}

function summarize(rows: E2eRow[], app: AppUnderTest): E2eSummary {
  const of = rows.filter((row) => sameApp(row, app));
  const median = (pick: (row: E2eRow) => number) => spread(of.map(pick)).median;
  return {
    ...app,
    workload: of[0]?.workload ?? 'read-heavy',
    requestsPerSecond: spread(of.map((row) => row.requestsPerSecond)),
    p50Ms: median((row) => row.p50Ms),
    p99Ms: median((row) => row.p99Ms),
    cpuMicrosPerRequest: median((row) => row.cpuMicrosPerRequest),
    rss: median((row) => row.rss),
    errors: of.reduce((sum, row) => sum + row.errors, 0),
    non2xx: of.reduce((sum, row) => sum + row.non2xx, 0),
    loadAverage: spread(of.map((row) => row.loadAverage)),
  };
}

/** `app`'s req/s over `peer`'s, round by round (rows of one workload). */
function roundRatios(rows: E2eRow[], app: AppUnderTest, peer: AppUnderTest): Spread | undefined {
  const ratios: number[] = [];
  for (const row of rows) {
    if (!sameApp(row, app)) continue;
    const other = rows.find(
      (candidate) => candidate.round === row.round && sameApp(candidate, peer),
    );
    if (other) ratios.push(row.requestsPerSecond / other.requestsPerSecond);
  }
  return ratios.length > 0 ? spread(ratios) : undefined;
}

function ratioCell(ratio: Spread): string {
  return ratio.min === ratio.max
    ? `${ratio.median.toFixed(2)}×`
    : `${ratio.median.toFixed(2)}× [${ratio.min.toFixed(2)}–${ratio.max.toFixed(2)}]`;
}

/** `express-dynamodb-session-app-client-read-heavy-<ms since 1970>.cpuprofile`. */
function profileName(app: AppUnderTest, workload: Workload): string {
  const label = `${app.framework}-${app.store}-${app.client ?? 'none'}-${workload}`;
  return `${label.replace(/[^a-zA-Z0-9]+/g, '-')}-${Date.now()}`;
}

function rotate<T>(values: T[], by: number): T[] {
  const shift = by % values.length;
  return [...values.slice(shift), ...values.slice(0, shift)];
}

interface RunningApp {
  process: ChildProcess;
  url: string;
  ask<T>(message: string): Promise<T>;
}

async function startApp(
  app: AppUnderTest,
  workload: Workload,
  endpoint: string,
  table: string,
  capacity: boolean,
): Promise<RunningApp> {
  const script = fileURLToPath(new URL('./e2e-app.ts', import.meta.url));
  const child = fork(
    script,
    [
      app.framework,
      app.store,
      app.client ?? 'none',
      endpoint,
      table,
      ...(capacity ? ['capacity'] : []),
    ],
    {
      // BENCH_CPU_PROF=<directory>: each app writes V8 CPU profiles into a folder of its own there
      // when it stops, one a thread (the largest is the app's main thread; the other, tsx's loader)
      execArgv: [
        '--import',
        'tsx',
        ...(process.env.BENCH_CPU_PROF
          ? [
              '--cpu-prof',
              `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}/${profileName(app, workload)}`,
            ]
          : []),
      ],
      stdio: ['pipe', 'pipe', 'inherit', 'ipc'],
      // connect-dynamodb's own client is a bare `new DynamoDBClient({})`: the environment points
      // it at the server, as it would at a region
      env: {
        ...process.env,
        AWS_ENDPOINT_URL_DYNAMODB: endpoint,
        AWS_REGION: LOCAL_CLIENT_CONFIG.region,
        AWS_ACCESS_KEY_ID: LOCAL_CLIENT_CONFIG.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_CLIENT_CONFIG.credentials.secretAccessKey,
      },
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const newline = output.indexOf('\n');
      if (newline >= 0) resolve(output.slice(0, newline).trim());
    });
    child.once('exit', (code) => reject(new Error(`e2e-app.ts exited with code ${code}`)));
  });
  return {
    process: child,
    url,
    ask: <T>(message: string) =>
      new Promise<T>((resolve) => {
        child.once('message', (answer) => resolve(answer as T));
        child.send(message);
      }),
  };
}

async function loadApp(
  child: RunningApp,
  app: AppUnderTest,
  workload: Workload,
  round: number,
  settings: E2eSettings,
): Promise<E2eRow> {
  const cookies: string[] = [];
  for (let index = 0; index < settings.sessions; index++) {
    const response = await fetch(`${child.url}/login`);
    await response.text();
    const cookie = response.headers
      .getSetCookie()
      .map((header) => header.split(';')[0])
      .join('; ');
    if (!response.ok || cookie === '') throw new Error(`${app.framework} /login gave no cookie`);
    cookies.push(cookie);
  }
  const path = workload === 'read-heavy' ? '/read' : '/write';
  // warm up the app's code paths and the server before measuring
  await drive(child.url, path, cookies, settings.warmupSeconds, settings.connections);
  const capacityBefore = settings.capacity
    ? await child.ask<CapacityTotals>('capacity')
    : undefined;
  const loadAverage = os.loadavg()[0] ?? 0;
  const before = await child.ask<AppUsage>('usage');
  const result = await drive(
    child.url,
    path,
    cookies,
    settings.durationSeconds,
    settings.connections,
  );
  const after = await child.ask<AppUsage>('usage');
  const capacityAfter = settings.capacity ? await child.ask<CapacityTotals>('capacity') : undefined;
  const requests = result.requests.total;
  return {
    ...app,
    workload,
    round,
    requests,
    requestsPerSecond: requests / (result.duration || settings.durationSeconds),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    cpuMicrosPerRequest: (after.cpuMicros - before.cpuMicros) / Math.max(1, requests),
    rss: after.rss,
    loadAverage,
    ...(capacityBefore &&
      capacityAfter && {
        capacity: {
          read: capacityAfter.read - capacityBefore.read,
          write: capacityAfter.write - capacityBefore.write,
        },
      }),
  };
}

function drive(
  url: string,
  path: string,
  cookies: string[],
  durationSeconds: number,
  connections: number,
): Promise<autocannon.Result> {
  let next = 0;
  return autocannon({
    url,
    connections,
    duration: durationSeconds,
    requests: [
      {
        method: 'GET',
        path,
        setupRequest: (request) => {
          const cookie = cookies[next++ % cookies.length] as string;
          return { ...request, headers: { ...request.headers, cookie } };
        },
      },
    ],
  });
}
