import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import type { AppStore, AppUsage, Framework } from './e2e-app';
import type { CapacityTotals } from './fixtures';
import { benchClient, dropTable, freshTable, startServer } from './local-table';
import { markdownTable } from './markdown';
import { megabytes, verdict } from './stats';

/** The two request mixes. */
export type Workload = 'read-heavy' | 'write-every-request';
export const WORKLOADS: Workload[] = ['read-heavy', 'write-every-request'];

/** One app under load. */
export interface AppUnderTest {
  framework: Framework;
  store: AppStore;
}

/** The apps of the e2e benchmark: ours on the three frameworks, and the two peers on express. */
export const E2E_APPS: AppUnderTest[] = [
  { framework: 'express', store: 'dynamodb-session' },
  { framework: 'express', store: 'connect-dynamodb' },
  { framework: 'express', store: 'memory' },
  { framework: 'koa', store: 'dynamodb-session' },
  { framework: 'fastify', store: 'dynamodb-session' },
];

/** Apps loaded, untimed, before the measured runs. */
const WARMUP_APPS: AppUnderTest[] = [
  { framework: 'express', store: 'dynamodb-session' },
  { framework: 'express', store: 'connect-dynamodb' },
];

/** Settings of one series of runs. */
export interface E2eSettings {
  apps: AppUnderTest[];
  workloads: Workload[];
  /** Seconds of load per run. */
  durationSeconds: number;
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
  /** DynamoDB capacity the app consumed during the load (with `capacity`). */
  capacity?: CapacityTotals;
}

/** Targets: express read-heavy ≥ 2.0× connect-dynamodb's req/s; write-every-request ≥ 1.2×. */
export const E2E_TARGETS: Record<Workload, number> = {
  'read-heavy': 2.0,
  'write-every-request': 1.2,
};

/**
 * Runs each app in a child process on DynamoDB Local (a fresh table each), creates the sessions,
 * and drives the workload with autocannon, every request carrying the next session's cookie.
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
      const child = await startApp(app, server.endpoint, table, false);
      try {
        await loadApp(child, app, 'read-heavy', {
          ...settings,
          durationSeconds: Math.max(2, settings.durationSeconds / 2),
        });
      } finally {
        child.process.kill('SIGTERM');
        await dropTable(setupClient, table).catch(() => undefined);
      }
    }
    settings.log('e2e: server warmed up');
    for (const workload of settings.workloads) {
      for (const app of settings.apps) {
        const table = await freshTable(setupClient, 'e2e');
        const child = await startApp(app, server.endpoint, table, settings.capacity);
        try {
          rows.push(await loadApp(child, app, workload, settings));
        } finally {
          child.process.kill('SIGTERM');
          await dropTable(setupClient, table).catch(() => undefined);
        }
        const row = rows[rows.length - 1];
        settings.log(
          `e2e: ${workload} ${app.framework}/${app.store}: ${Math.round(row?.requestsPerSecond ?? 0)} req/s`,
        );
      }
    }
  } finally {
    setupClient.destroy();
    await server.stop();
  }
  return rows;
}

/** The rows as a markdown table, with ratios against connect-dynamodb on express. */
export function e2eMarkdown(rows: E2eRow[]): string {
  const parts: string[] = [];
  for (const workload of WORKLOADS) {
    const of = rows.filter((row) => row.workload === workload);
    if (of.length === 0) continue;
    const connect = of.find((row) => row.store === 'connect-dynamodb');
    parts.push(
      `### ${workload}`,
      markdownTable(
        [
          'app',
          'req/s',
          'vs connect-dynamodb',
          'p50 ms',
          'p99 ms',
          'app CPU µs/request',
          'RSS',
          'errors / non-2xx',
        ],
        of.map((row) => [
          `${row.framework} + ${row.store}`,
          Math.round(row.requestsPerSecond),
          connect ? `${(row.requestsPerSecond / connect.requestsPerSecond).toFixed(2)}×` : '–',
          row.p50Ms,
          row.p99Ms,
          Math.round(row.cpuMicrosPerRequest),
          megabytes(row.rss),
          `${row.errors} / ${row.non2xx}`,
        ]),
      ),
    );
  }
  const targetRows = WORKLOADS.flatMap((workload) => {
    const ratio = e2eRatio(rows, workload);
    return ratio === undefined
      ? []
      : [
          [
            `${workload}: express req/s ≥ ${E2E_TARGETS[workload]}× connect-dynamodb`,
            `${ratio.toFixed(2)}×`,
            verdict(ratio >= E2E_TARGETS[workload]),
          ],
        ];
  });
  if (targetRows.length > 0)
    parts.push(markdownTable(['target', 'measured', 'result'], targetRows));
  return parts.join('\n\n');
}

/** express + dynamodb-session req/s over express + connect-dynamodb's, for a workload. */
export function e2eRatio(rows: E2eRow[], workload: Workload): number | undefined {
  const find = (store: AppStore) =>
    rows.find(
      (row) => row.workload === workload && row.framework === 'express' && row.store === store,
    );
  const ours = find('dynamodb-session');
  const connect = find('connect-dynamodb');
  return ours && connect ? ours.requestsPerSecond / connect.requestsPerSecond : undefined;
}

interface RunningApp {
  process: ChildProcess;
  url: string;
  ask<T>(message: string): Promise<T>;
}

async function startApp(
  app: AppUnderTest,
  endpoint: string,
  table: string,
  capacity: boolean,
): Promise<RunningApp> {
  const script = fileURLToPath(new URL('./e2e-app.ts', import.meta.url));
  const child = fork(
    script,
    [app.framework, app.store, endpoint, table, ...(capacity ? ['capacity'] : [])],
    { execArgv: ['--import', 'tsx'], stdio: ['pipe', 'pipe', 'inherit', 'ipc'] },
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
  await drive(child.url, path, cookies, 1, settings.connections);
  const capacityBefore = settings.capacity
    ? await child.ask<CapacityTotals>('capacity')
    : undefined;
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
    requests,
    requestsPerSecond: requests / (result.duration || settings.durationSeconds),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    cpuMicrosPerRequest: (after.cpuMicros - before.cpuMicros) / Math.max(1, requests),
    rss: after.rss,
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
