import type { LocalServerName } from '@dynamodb-session/test-support';
import { type SessionFixture, sessionId, sessionOfSize } from './fixtures';
import { benchClient, dropTable, freshTable, startServer } from './local-table';
import { markdownTable } from './markdown';
import { type Spread, spread } from './stats';
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

/** Operations per second of one implementation, operation and concurrency on one server. */
export interface StoreOpsRow {
  server: LocalServerName;
  concurrency: number;
  operation: OperationName;
  implementation: StoreImplementationName;
  opsPerSecond: Spread;
  rounds: number[];
}

/** Concurrency levels measured: serial and 32 in flight. */
const CONCURRENCY = [1, 32];

/**
 * For each server, round, concurrency and implementation (alternating which goes first):
 * `set` N sessions of 1 KB, then `get`, `touch` and `destroy` each of them, timing each phase.
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
      for (const implementation of STORE_IMPLEMENTATIONS) {
        await measurePhases(implementation, server.endpoint, table, warmup, 8, batch++);
      }
      for (let round = 0; round < settings.rounds; round++) {
        for (const concurrency of CONCURRENCY) {
          const order = rotate(STORE_IMPLEMENTATIONS, round);
          for (const implementation of order) {
            const phases = await measurePhases(
              implementation,
              server.endpoint,
              table,
              settings.operations,
              concurrency,
              batch++,
            );
            for (const operation of OPERATIONS) {
              const key = `${concurrency}|${operation}|${implementation}`;
              samples.set(key, [...(samples.get(key) ?? []), phases[operation]]);
            }
          }
          settings.log(`store-ops: ${serverName} round ${round + 1}, ${concurrency} in flight`);
        }
      }
      for (const concurrency of CONCURRENCY) {
        for (const operation of OPERATIONS) {
          for (const implementation of STORE_IMPLEMENTATIONS) {
            const values = samples.get(`${concurrency}|${operation}|${implementation}`) ?? [];
            rows.push({
              server: serverName,
              concurrency,
              operation,
              implementation,
              opsPerSecond: spread(values),
              rounds: values,
            });
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

/** The rows as markdown: one table per server and concurrency, with ratios to both peers. */
export function storeOpsMarkdown(rows: StoreOpsRow[]): string {
  const parts: string[] = [];
  const servers = [...new Set(rows.map((row) => row.server))];
  for (const server of servers) {
    for (const concurrency of CONCURRENCY) {
      const find = (operation: OperationName, implementation: StoreImplementationName) =>
        rows.find(
          (row) =>
            row.server === server &&
            row.concurrency === concurrency &&
            row.operation === operation &&
            row.implementation === implementation,
        );
      parts.push(
        `### ${server}, ${concurrency === 1 ? 'serial' : `${concurrency} in flight`} (ops/s, median [min–max])`,
        markdownTable(
          ['operation', ...STORE_IMPLEMENTATIONS, 'vs connect-dynamodb', 'vs raw SDK'],
          OPERATIONS.map((operation) => {
            const ours = find(operation, 'dynamodb-session')?.opsPerSecond.median ?? 0;
            const connect = find(operation, 'connect-dynamodb')?.opsPerSecond.median ?? 0;
            const raw = find(operation, 'raw SDK')?.opsPerSecond.median ?? 0;
            return [
              operation,
              ...STORE_IMPLEMENTATIONS.map((implementation) => {
                const row = find(operation, implementation);
                return row ? opsCell(row.opsPerSecond) : '–';
              }),
              `${(ours / connect).toFixed(2)}×`,
              `${(ours / raw).toFixed(2)}×`,
            ];
          }),
        ),
      );
    }
  }
  return parts.join('\n\n');
}

function opsCell(value: Spread): string {
  return `${Math.round(value.median)} [${Math.round(value.min)}–${Math.round(value.max)}]`;
}

async function measurePhases(
  implementation: StoreImplementationName,
  endpoint: string,
  table: string,
  count: number,
  concurrency: number,
  batch: number,
): Promise<Record<OperationName, number>> {
  const client = benchClient(endpoint);
  const operations = storeOperations(implementation, client, table);
  const ids = Array.from({ length: count }, (_, index) => `b${batch}-${sessionId(index)}`);
  const sessions = ids.map((_, index) => sessionOfSize(1024, index));
  const result = {} as Record<OperationName, number>;
  try {
    for (const operation of OPERATIONS) {
      const started = performance.now();
      await inFlight(count, concurrency, (index) =>
        operations[operation](ids[index] as string, sessions[index] as SessionFixture),
      );
      result[operation] = count / ((performance.now() - started) / 1000);
    }
  } finally {
    client.destroy();
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
