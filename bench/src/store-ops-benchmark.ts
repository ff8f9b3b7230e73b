import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoDBClient } from '@dynamodb-session/core';
import { LOCAL_CLIENT_CONFIG, type LocalServerName } from '@dynamodb-session/test-support';
import { type SessionFixture, sessionId, sessionOfSize } from './fixtures';
import { benchClient, dropTable, freshTable, startServer } from './local-table';
import { markdownTable } from './markdown';
import { type Spread, spread, verdict } from './stats';
import {
  OPERATIONS,
  type OperationName,
  STORE_IMPLEMENTATIONS,
  type StoreImplementationName,
  storeOperations,
} from './store-implementations';

/** Settings of the store operations benchmark. */
export interface StoreOpsSettings {
  /** Operations of each kind per round and mode. */
  operations: number;
  rounds: number;
  servers: LocalServerName[];
  log: (line: string) => void;
}

/**
 * The client every implementation shares within a measurement: `plain client` is
 * `new DynamoDBClient({ endpoint, region, credentials })` (the SDK's defaults), `createDynamoDBClient`
 * the core's helper (`cacheMiddleware`, keep-alive, timeouts).
 */
export type StoreOpsClient = 'plain client' | 'createDynamoDBClient';
export const STORE_OPS_CLIENTS: StoreOpsClient[] = ['plain client', 'createDynamoDBClient'];

/** Target: each dynamodb-session operation ≥ 0.95× the raw SDK call on the same client. */
export const STORE_OPS_RAW_TARGET = 0.95;

/** Operations per second of one implementation, operation and concurrency on one server. */
export interface StoreOpsRow {
  server: LocalServerName;
  client: StoreOpsClient;
  concurrency: number;
  operation: OperationName;
  implementation: StoreImplementationName;
  opsPerSecond: Spread;
  rounds: number[];
}

/** The median of the per-round ratios of dynamodb-session to a peer, with their min and max. */
export function storeOpsRatio(
  rows: StoreOpsRow[],
  where: Pick<StoreOpsRow, 'server' | 'client' | 'concurrency' | 'operation'>,
  peer: StoreImplementationName,
): Spread | undefined {
  const find = (implementation: StoreImplementationName) =>
    rows.find(
      (row) =>
        row.server === where.server &&
        row.client === where.client &&
        row.concurrency === where.concurrency &&
        row.operation === where.operation &&
        row.implementation === implementation,
    )?.rounds;
  const ours = find('dynamodb-session');
  const theirs = find(peer);
  if (!ours || !theirs) return undefined;
  return spread(ours.map((value, round) => value / (theirs[round] ?? Number.NaN)));
}

/** Concurrency levels measured: serial and 32 in flight. */
const CONCURRENCY = [1, 32];

/**
 * For each server, round, client kind and concurrency, one client shared by the three
 * implementations (the order rotating each round): each `set`s N sessions of 1 KB, then `get`s,
 * `touch`es and `destroy`s each of them, each phase timed.
 */
export async function runStoreOpsBenchmark(settings: StoreOpsSettings): Promise<StoreOpsRow[]> {
  const rows: StoreOpsRow[] = [];
  for (const serverName of settings.servers) {
    settings.log(`store-ops: starting ${serverName}`);
    const server = await startServer(serverName);
    const setupClient = benchClient(server.endpoint);
    const table = await freshTable(setupClient, 'ops');
    try {
      const samples = new Map<string, number[]>();
      let batch = 0;
      const warmup = Math.min(500, settings.operations);
      for (const clientKind of STORE_OPS_CLIENTS) {
        const client = buildClient(clientKind, server.endpoint);
        for (const implementation of STORE_IMPLEMENTATIONS) {
          await measurePhases(implementation, client, table, warmup, 8, batch++);
        }
        client.destroy();
      }
      for (let round = 0; round < settings.rounds; round++) {
        for (const clientKind of STORE_OPS_CLIENTS) {
          for (const concurrency of CONCURRENCY) {
            const client = buildClient(clientKind, server.endpoint);
            try {
              for (const implementation of rotate(STORE_IMPLEMENTATIONS, round)) {
                const phases = await measurePhases(
                  implementation,
                  client,
                  table,
                  settings.operations,
                  concurrency,
                  batch++,
                );
                for (const operation of OPERATIONS) {
                  const key = `${clientKind}|${concurrency}|${operation}|${implementation}`;
                  samples.set(key, [...(samples.get(key) ?? []), phases[operation]]);
                }
              }
            } finally {
              client.destroy();
            }
            settings.log(
              `store-ops: ${serverName} round ${round + 1}, ${clientKind}, ${concurrency} in flight`,
            );
          }
        }
      }
      for (const clientKind of STORE_OPS_CLIENTS) {
        for (const concurrency of CONCURRENCY) {
          for (const operation of OPERATIONS) {
            for (const implementation of STORE_IMPLEMENTATIONS) {
              const values =
                samples.get(`${clientKind}|${concurrency}|${operation}|${implementation}`) ?? [];
              rows.push({
                server: serverName,
                client: clientKind,
                concurrency,
                operation,
                implementation,
                opsPerSecond: spread(values),
                rounds: values,
              });
            }
          }
        }
      }
    } finally {
      await dropTable(setupClient, table).catch(() => undefined);
      setupClient.destroy();
      await server.stop();
    }
  }
  return rows;
}

/**
 * The rows as markdown: one table per server, client kind and concurrency, with the ratios to
 * both peers (median of the per-round ratios [min–max]), then the targets against the raw SDK.
 */
export function storeOpsMarkdown(rows: StoreOpsRow[]): string {
  const parts: string[] = [
    'Each round builds one client per client kind and concurrency and runs the three implementations on it, one after the other (order rotating). Ratios are medians of the per-round ratios [min–max].',
  ];
  const targets: (string | number)[][] = [];
  const servers = [...new Set(rows.map((row) => row.server))];
  for (const server of servers) {
    for (const client of STORE_OPS_CLIENTS) {
      for (const concurrency of CONCURRENCY) {
        const find = (operation: OperationName, implementation: StoreImplementationName) =>
          rows.find(
            (row) =>
              row.server === server &&
              row.client === client &&
              row.concurrency === concurrency &&
              row.operation === operation &&
              row.implementation === implementation,
          );
        if (!find('get', 'dynamodb-session')) continue;
        const where = { server, client, concurrency };
        parts.push(
          `### ${server}, ${client}, ${concurrency === 1 ? 'serial' : `${concurrency} in flight`} (ops/s, median [min–max])`,
          markdownTable(
            ['operation', ...STORE_IMPLEMENTATIONS, 'vs connect-dynamodb', 'vs raw SDK'],
            OPERATIONS.map((operation) => [
              operation,
              ...STORE_IMPLEMENTATIONS.map((implementation) => {
                const row = find(operation, implementation);
                return row ? opsCell(row.opsPerSecond) : '–';
              }),
              ratioCell(storeOpsRatio(rows, { ...where, operation }, 'connect-dynamodb')),
              ratioCell(storeOpsRatio(rows, { ...where, operation }, 'raw SDK')),
            ]),
          ),
        );
        const worst = OPERATIONS.map((operation) => ({
          operation,
          ratio: storeOpsRatio(rows, { ...where, operation }, 'raw SDK')?.median ?? 0,
        })).sort((a, b) => a.ratio - b.ratio)[0];
        if (worst) {
          targets.push([
            `${server}, ${client}, ${concurrency === 1 ? 'serial' : `${concurrency} in flight`}: every operation ≥ ${STORE_OPS_RAW_TARGET}× raw SDK`,
            `lowest: ${worst.operation} ${worst.ratio.toFixed(2)}×`,
            verdict(worst.ratio >= STORE_OPS_RAW_TARGET),
          ]);
        }
      }
    }
  }
  if (targets.length > 0) parts.push(markdownTable(['target', 'measured', 'result'], targets));
  return parts.join('\n\n');
}

function ratioCell(ratio: Spread | undefined): string {
  if (!ratio) return '–';
  return `${ratio.median.toFixed(2)}× [${ratio.min.toFixed(2)}–${ratio.max.toFixed(2)}]`;
}

function buildClient(kind: StoreOpsClient, endpoint: string): DynamoDBClient {
  return kind === 'plain client'
    ? benchClient(endpoint)
    : createDynamoDBClient({ ...LOCAL_CLIENT_CONFIG, endpoint });
}

function opsCell(value: Spread): string {
  return `${Math.round(value.median)} [${Math.round(value.min)}–${Math.round(value.max)}]`;
}

async function measurePhases(
  implementation: StoreImplementationName,
  client: DynamoDBClient,
  table: string,
  count: number,
  concurrency: number,
  batch: number,
): Promise<Record<OperationName, number>> {
  const operations = storeOperations(implementation, client, table);
  const ids = Array.from({ length: count }, (_, index) => `b${batch}-${sessionId(index)}`);
  const sessions = ids.map((_, index) => sessionOfSize(1024, index));
  const result = {} as Record<OperationName, number>;
  for (const operation of OPERATIONS) {
    const started = performance.now();
    await inFlight(count, concurrency, (index) =>
      operations[operation](ids[index] as string, sessions[index] as SessionFixture),
    );
    result[operation] = count / ((performance.now() - started) / 1000);
  }
  return result;
}

/** Runs `run(0..count-1)` with at most `concurrency` calls in flight. */
export async function inFlight(
  count: number,
  concurrency: number,
  run: (index: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      await run(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

function rotate<T>(values: T[], by: number): T[] {
  const shift = by % values.length;
  return [...values.slice(shift), ...values.slice(0, shift)];
}
