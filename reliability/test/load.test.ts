import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTestTable, dropTable } from '@dynamodb-session/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAMEWORKS, type ReliabilityApp, startApp } from '../src/apps';
import {
  checkSessions,
  createClients,
  describeFigures,
  emptyFigures,
  runClients,
  runClientsUntil,
  watchProcess,
} from '../src/drive';
import { sleep } from '../src/fault-injection';
import { createClient, dynamoDBLocalEndpoint } from '../src/local';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const endpoint = dynamoDBLocalEndpoint();
let setupClient: DynamoDBClient;
let table = '';

beforeAll(async () => {
  setupClient = createClient(endpoint);
  table = await createTestTable(setupClient);
});
afterAll(async () => {
  await dropTable(setupClient, table);
  setupClient.destroy();
});

const CLIENTS = 50;
const REQUESTS_PER_CLIENT = 20;
/** A sanity bound, not a benchmark: on a warm DynamoDB Local one framework takes about 5 s here. */
const LOAD_BOUND_S = 45;

// One framework after the other: the three at once (150 clients) overload DynamoDB Local here
// (about 30 requests/s each, some waiting over 10 s), which measures the emulator, not the store.
describe('load: concurrent cookie-jar clients on DynamoDB Local', () => {
  for (const framework of FRAMEWORKS) {
    it(`${framework}: ${CLIENTS} clients × ${REQUESTS_PER_CLIENT} requests all answer, every session holds exactly its acknowledged views`, async () => {
      const client = createClient(endpoint);
      const app = await startApp(framework, {
        store: { client, table, prefix: `load-${framework}:` },
      });
      const watcher = watchProcess();
      try {
        const clients = createClients(app.url, CLIENTS);
        const started = performance.now();
        const figures = await runClients(clients, REQUESTS_PER_CLIENT, (i) =>
          i % 5 === 4 ? '/peek' : '/count',
        );
        const seconds = (performance.now() - started) / 1000;
        const check = await checkSessions(clients);
        console.info(
          `load ${framework}: ${describeFigures(figures)} in ${seconds.toFixed(1)} s ` +
            `(${Math.round(figures.sent / seconds)} requests/s); sessions checked ${check.checked}, ` +
            `lost ${check.lost}, not exactly their acknowledged views ${check.inexact}; ` +
            `crashes ${watcher.crashes.length}`,
        );
        expect(figures.answered).toBe(CLIENTS * REQUESTS_PER_CLIENT);
        expect(check.checked).toBe(CLIENTS);
        expect(check.lost).toBe(0);
        expect(check.inexact).toBe(0);
        expect(watcher.crashes).toEqual([]);
        expect(seconds).toBeLessThan(LOAD_BOUND_S);
      } finally {
        watcher.stop();
        await app.close();
        client.destroy();
      }
    }, 60_000);
  }
});

/**
 * Memory after a full collection, sampled every second while the three apps serve a steady
 * load with churn (every tenth request of a client logs out, so new sessions keep coming).
 *
 * The bounds. What may legitimately grow is small and bounded: each repository remembers at
 * most 10 000 sessions (about 100 bytes each, 1 MB per app), the connection pools are bounded
 * by the number of clients, and V8's code and inline caches settle during the first second,
 * which is why the comparison starts at the second sample. The heap after a forced collection
 * moved by less than 1 MB from second to second here, over about 2 000 requests in the window;
 * 6 MB is six times that noise and catches any leak of 3 KB or more per request (one request's
 * session, headers, SDK command and answer weigh several KB). RSS also carries the allocator's
 * slack and JIT pages, so it gets the looser 30 MB. Without a collector to call (no `gc`), heap
 * figures are noise of tens of MB, and the heap bound is the RSS one.
 */
const SOAK_SECONDS = 10;
const HEAP_BOUND_MB = 6;
const RSS_BOUND_MB = 30;

describe('soak: memory stays flat under a steady load', () => {
  it(`serves express, koa and fastify together for ${SOAK_SECONDS} s with a flat heap (< ${HEAP_BOUND_MB} MB growth) and RSS (< ${RSS_BOUND_MB} MB)`, async () => {
    const gc = exposeGc();
    const client = createClient(endpoint);
    const apps: ReliabilityApp[] = [];
    const watcher = watchProcess();
    try {
      for (const framework of FRAMEWORKS) {
        apps.push(
          await startApp(framework, { store: { client, table, prefix: `soak-${framework}:` } }),
        );
      }
      const figures = emptyFigures();
      let stop = false;
      const load = Promise.all(
        apps.map((app) => {
          const clients = createClients(app.url, 10);
          return runClientsUntil(
            clients,
            () => stop,
            (i) => (i % 10 === 9 ? '/logout' : '/count'),
            {
              figures,
              pauseMs: 0,
            },
          );
        }),
      );
      const samples: { heapMB: number; rssMB: number; requests: number }[] = [];
      for (let second = 0; second < SOAK_SECONDS; second++) {
        await sleep(1_000);
        gc?.();
        const { heapUsed, rss } = process.memoryUsage();
        samples.push({ heapMB: heapUsed / 2 ** 20, rssMB: rss / 2 ** 20, requests: figures.sent });
      }
      stop = true;
      await load;
      const first = samples[1];
      const last = samples.at(-1);
      if (!first || !last) throw new Error('no samples');
      const heapGrowth = last.heapMB - first.heapMB;
      const rssGrowth = last.rssMB - first.rssMB;
      const requests = last.requests - first.requests;
      console.info(
        `soak (gc ${gc ? 'forced' : 'not available'}): ${describeFigures(figures)}; ` +
          `${Math.round(figures.sent / SOAK_SECONDS)} requests/s; crashes ${watcher.crashes.length}\n` +
          `  heap MB per second: ${samples.map((s) => s.heapMB.toFixed(1)).join(' ')}\n` +
          `  rss MB per second:  ${samples.map((s) => s.rssMB.toFixed(1)).join(' ')}\n` +
          `  from second 2 to ${SOAK_SECONDS}: heap ${heapGrowth.toFixed(1)} MB, rss ${rssGrowth.toFixed(1)} MB ` +
          `over ${requests} requests (${((heapGrowth * 2 ** 20) / Math.max(requests, 1)).toFixed(0)} bytes of heap per request)`,
      );
      expect(figures.answered).toBe(figures.sent);
      expect(watcher.crashes).toEqual([]);
      expect(heapGrowth).toBeLessThan(gc ? HEAP_BOUND_MB : RSS_BOUND_MB);
      expect(rssGrowth).toBeLessThan(RSS_BOUND_MB);
    } finally {
      watcher.stop();
      await Promise.all(apps.map((app) => app.close()));
      client.destroy();
    }
  }, 60_000);
});

/**
 * `global.gc` when the worker runs with `--expose-gc`; otherwise the flag is set at run time and
 * the function taken from a fresh context (V8 installs `gc` in contexts created after the flag).
 */
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
