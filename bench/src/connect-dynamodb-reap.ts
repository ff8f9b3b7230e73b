import { createRequire } from 'node:module';
import type { DynamoDBClient, ScanCommandOutput } from '@aws-sdk/client-dynamodb';

/** The part of connect-dynamodb 3.0.5's store the benchmark uses. */
interface ConnectDynamoDBStore {
  reap(callback: (error?: unknown) => void): void;
}

type ConnectDynamoDBStoreClass = new (options: {
  client: DynamoDBClient;
  table: string;
  initialized: boolean;
}) => ConnectDynamoDBStore;

const require = createRequire(import.meta.url);
const connectDynamoDB = require('connect-dynamodb') as (
  connect: unknown,
) => ConnectDynamoDBStoreClass;
const Store = connectDynamoDB({ session: require('express-session') });

/** When connect-dynamodb's reap called back, and when its deletes had all finished. */
export interface ConnectDynamoDBReapTiming {
  /** Milliseconds until the first call of `reap`'s callback. */
  firstCallbackMs: number;
  /** Milliseconds until the last scan page's deletes had all finished. */
  completedMs: number;
  /** Scan pages read. */
  scanPages: number;
}

/**
 * Runs connect-dynamodb 3.0.5's `store.reap(callback)` on `table` and resolves when its work is
 * done. Its reap scans page after page without waiting for the deletes, and for every page runs
 * a chain of DeleteItem calls one after another, calling the callback at the end of each chain
 * (so once per page, the first time long before the end). Completion is therefore taken as:
 * the scan has returned its last page (no `LastEvaluatedKey`, seen by a middleware on the
 * client) and the callback has been called once for every page read. A 5-minute guard rejects
 * a run that never gets there.
 */
export function connectDynamoDBReap(
  client: DynamoDBClient,
  table: string,
): Promise<ConnectDynamoDBReapTiming> {
  let scanPages = 0;
  let scanDone = false;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === 'ScanCommand') {
        scanPages++;
        if ((result.output as ScanCommandOutput).LastEvaluatedKey === undefined) scanDone = true;
      }
      return result;
    },
    { step: 'initialize', name: 'benchScanWatcher' },
  );
  const store = new Store({ client, table, initialized: true });
  const start = performance.now();
  return new Promise((resolve, reject) => {
    let callbacks = 0;
    let firstCallbackMs: number | undefined;
    const guard = setTimeout(
      () => reject(new Error('connect-dynamodb reap did not finish within 5 minutes')),
      300_000,
    );
    store.reap((error) => {
      if (error) {
        clearTimeout(guard);
        reject(error);
        return;
      }
      callbacks++;
      firstCallbackMs ??= performance.now() - start;
      if (scanDone && callbacks === scanPages) {
        clearTimeout(guard);
        resolve({ firstCallbackMs, completedMs: performance.now() - start, scanPages });
      }
    });
  });
}
