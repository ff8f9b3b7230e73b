/**
 * The long-form soak: express, koa and fastify apps serving a steady load with session churn
 * against a real DynamoDB Local for `--minutes` (default 10), memory sampled after a forced
 * collection every `--sample-seconds` (default 10). Optionally with fault injection
 * (`--faults`). Not part of the test command; run it with
 *
 *   node scripts/pnpm.mjs --filter @dynamodb-session/reliability soak --minutes 30
 *
 * Options: --minutes N, --clients N (per framework, default 10), --sample-seconds N,
 * --endpoint URL (an already running DynamoDB Local instead of starting one), --faults,
 * --heap-bound-mb N (default 20). It exits 1 when a request hung, the process saw an
 * unhandled rejection or uncaught exception, a session was lost, or the heap grew by more than
 * the bound between the second sample and the last.
 */
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  createTestTable,
  dropTable,
  type LocalDynamoServer,
  startDynamoDBLocal,
} from '@dynamodb-session/test-support';
import { FRAMEWORKS, type ReliabilityApp, startApp } from '../src/apps';
import {
  type Client,
  checkSessions,
  createClients,
  describeFigures,
  emptyFigures,
  runClientsUntil,
  watchProcess,
} from '../src/drive';
import { type FaultInjector, injectFaults, sleep } from '../src/fault-injection';
import { createClient } from '../src/local';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const { values } = parseArgs({
  allowPositionals: true, // pnpm passes a `--` through
  options: {
    minutes: { type: 'string', default: '10' },
    clients: { type: 'string', default: '10' },
    'sample-seconds': { type: 'string', default: '10' },
    endpoint: { type: 'string' },
    faults: { type: 'boolean', default: false },
    'heap-bound-mb': { type: 'string', default: '20' },
  },
});
const minutes = Number(values.minutes);
const clientsPerApp = Number(values.clients);
const sampleSeconds = Number(values['sample-seconds']);
const heapBoundMB = Number(values['heap-bound-mb']);

const gc = exposeGc();
const server: LocalDynamoServer | undefined = values.endpoint
  ? undefined
  : await startDynamoDBLocal();
const endpoint = values.endpoint ?? server?.endpoint ?? '';
const client = createClient(endpoint);
const table = await createTestTable(client);
const injector: FaultInjector | undefined = values.faults
  ? await injectFaults(client, {
      seed: 42,
      rates: { throttle: 0.02, reset: 0.01, hang: 0.002, latency: 0.05 },
    })
  : undefined;
const watcher = watchProcess();
const apps: ReliabilityApp[] = [];
for (const framework of FRAMEWORKS) {
  apps.push(
    await startApp(framework, {
      store: { client, table, prefix: `soak-${framework}:`, requestTimeoutMs: 2_000 },
    }),
  );
}

console.info(
  `soak: ${minutes} min, ${clientsPerApp} clients per framework, DynamoDB at ${endpoint}, ` +
    `gc ${gc ? 'forced' : 'not available (run node with --expose-gc)'}, faults ${values.faults ? 'on' : 'off'}`,
);
const figures = emptyFigures();
const clients: Client[] = [];
const deadline = Date.now() + minutes * 60_000;
const load = Promise.all(
  apps.map((app) => {
    const appClients = createClients(app.url, clientsPerApp);
    clients.push(...appClients);
    return runClientsUntil(
      appClients,
      () => Date.now() > deadline,
      (i) => (i % 20 === 19 ? '/logout' : i % 4 === 3 ? '/peek' : '/count'),
      { figures, pauseMs: 0 },
    );
  }),
);

const samples: { heapMB: number; rssMB: number }[] = [];
const started = Date.now();
while (Date.now() < deadline) {
  await sleep(Math.min(sampleSeconds * 1000, Math.max(deadline - Date.now(), 0)));
  gc?.();
  const { heapUsed, rss } = process.memoryUsage();
  samples.push({ heapMB: heapUsed / 2 ** 20, rssMB: rss / 2 ** 20 });
  console.info(
    `${Math.round((Date.now() - started) / 1000)} s: heap ${(heapUsed / 2 ** 20).toFixed(1)} MB, ` +
      `rss ${(rss / 2 ** 20).toFixed(1)} MB; ${describeFigures(figures)}`,
  );
}
await load;
if (injector) injector.enabled = false;
const check = await checkSessions(clients);
const first = samples[1] ?? samples[0];
const last = samples.at(-1);
const heapGrowth = first && last ? last.heapMB - first.heapMB : 0;
const rssGrowth = first && last ? last.rssMB - first.rssMB : 0;
const problems = [
  figures.hung > 0 && `${figures.hung} requests hung`,
  watcher.crashes.length > 0 && `${watcher.crashes.length} unhandled rejections or exceptions`,
  check.lost > 0 && `${check.lost} sessions lost`,
  heapGrowth > heapBoundMB && `heap grew by ${heapGrowth.toFixed(1)} MB (bound ${heapBoundMB} MB)`,
].filter(Boolean);
console.info(
  `soak done: ${describeFigures(figures)}; sessions checked ${check.checked}, lost ${check.lost}; ` +
    `crashes ${watcher.crashes.length}; heap ${heapGrowth.toFixed(1)} MB, rss ${rssGrowth.toFixed(1)} MB ` +
    `from the second sample to the last${injector ? `; injected ${JSON.stringify(injector.counts)}` : ''}`,
);
watcher.stop();
await Promise.all(apps.map((app) => app.close()));
await injector?.stop();
await dropTable(client, table);
client.destroy();
await server?.stop();
if (problems.length > 0) {
  console.error(`soak FAILED: ${problems.join('; ')}`);
  process.exit(1);
}
console.info('soak passed');

function exposeGc(): (() => void) | undefined {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}
