import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { DeleteTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { toSessionStoreError } from '../errors';
import { parseSessionRepositoryOptions, type SessionRepositoryOptions } from '../options';
import { createSessionTable } from '../session-table';
import { loadDynalite } from './load-dynalite';

/** The repository options {@link startLocalDynamoDB} decides itself: the client and the table. */
type ServerOptions = 'client' | 'clientConfig' | 'region' | 'endpoint' | 'table';

/** Options of {@link startLocalDynamoDB}. Every one is optional. */
export interface LocalDynamoDBOptions {
  /**
   * A running DynamoDB-compatible server to use instead of starting dynalite, e.g. DynamoDB
   * Local in CI (`http://localhost:8000`). Default: the `DYNAMODB_ENDPOINT` environment
   * variable; when that is unset or empty too, dynalite is started in this process.
   */
  endpoint?: string;
  /**
   * Name of the table to create. Default `sessions-` and a random suffix, so that test files
   * running in parallel against one server each own a table.
   */
  tableName?: string;
  /**
   * The store options of the test (`prefix`, `hashKey`, `indexAttributes`, `touchAfterMs`...):
   * the table is created for them, and they are part of `repositoryOptions`.
   */
  repositoryOptions?: Omit<SessionRepositoryOptions, ServerOptions>;
}

/** A local DynamoDB with a sessions table, from {@link startLocalDynamoDB}. */
export interface LocalDynamoDB {
  /** Where the server answers, e.g. `http://127.0.0.1:45678`. */
  endpoint: string;
  /** `dynalite` when this call started it, `endpoint` when it used a running server. */
  server: 'dynalite' | 'endpoint';
  /** A client for the server, with dummy credentials and region (no AWS account involved). */
  client: DynamoDBClient;
  /** The sessions table created for this run. */
  tableName: string;
  /**
   * Options to pass to a store or repository as they are:
   * `new DynamoDBStore(local.repositoryOptions)`. They hold `client` and `table`, and the
   * `repositoryOptions` given to {@link startLocalDynamoDB}.
   */
  repositoryOptions: SessionRepositoryOptions & { client: DynamoDBClient; table: string };
  /**
   * Stops the dynalite server this call started (its data goes with it), or deletes the table
   * on a server that was already running and waits until it is gone; then destroys the client.
   * Safe to call twice.
   */
  stop(): Promise<void>;
}

/**
 * Starts a local DynamoDB for a test run and creates a sessions table on it with the core's own
 * `createSessionTable`: dynalite in this process on a free loopback port (install the optional
 * peer dependency `dynalite@4`), or the server at `endpoint` / `DYNAMODB_ENDPOINT`. Needs no AWS
 * account, credentials or environment. Call it in `beforeAll` and `stop()` in `afterAll`.
 */
export async function startLocalDynamoDB(
  options: LocalDynamoDBOptions = {},
): Promise<LocalDynamoDB> {
  const tableName = options.tableName ?? `sessions-${randomUUID()}`;
  const settings = parseSessionRepositoryOptions({
    ...options.repositoryOptions,
    table: tableName,
  });
  const running = options.endpoint ?? (process.env.DYNAMODB_ENDPOINT || undefined);
  const server = running === undefined ? await listenDynalite() : undefined;
  const endpoint = running ?? (server as { endpoint: string }).endpoint;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      try {
        if (!server) await deleteTable(client, tableName);
      } finally {
        client.destroy();
        await server?.close();
      }
    })();
    return stopped;
  };
  try {
    await createSessionTable({
      client,
      table: tableName,
      hashKey: settings.hashKey,
      expiresAttribute: settings.expiresAttribute,
      indexAttributes: settings.indexAttributes,
    });
  } catch (error) {
    client.destroy();
    await server?.close();
    throw error;
  }
  return {
    endpoint,
    server: server ? 'dynalite' : 'endpoint',
    client,
    tableName,
    repositoryOptions: { ...options.repositoryOptions, client, table: tableName },
    stop,
  };
}

async function listenDynalite(): Promise<{ endpoint: string; close(): Promise<void> }> {
  const dynalite = await loadDynalite();
  const server: Server = dynalite({ createTableMs: 10, deleteTableMs: 10, updateTableMs: 10 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Deletes `table` and waits (up to 30 s) until the server no longer lists it. */
async function deleteTable(client: DynamoDBClient, table: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  try {
    await client.send(new DeleteTableCommand({ TableName: table }));
    while (Date.now() < deadline) {
      await client.send(new DescribeTableCommand({ TableName: table }));
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') {
      throw toSessionStoreError(error, `DeleteTable ${table}`);
    }
  }
}
