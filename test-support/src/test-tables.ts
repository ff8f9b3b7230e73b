/// <reference path="./provided-context.d.ts" />
import { randomUUID } from 'node:crypto';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, inject } from 'vitest';
import { LOCAL_CLIENT_CONFIG } from './local-servers';

/** One of the local servers of this run, as test files see it. */
export interface TestServer {
  name: string;
  endpoint: string;
}

/** The local servers started by the global setup. */
export function testServers(): TestServer[] {
  return inject('dynamoEndpoints');
}

/** A client for a local server (fixed local credentials, no retries beyond two attempts). */
export function localClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ ...LOCAL_CLIENT_CONFIG, endpoint, maxAttempts: 2 });
}

/** A unique table name, so that each test file owns its table. */
export function uniqueTableName(label = 'sessions'): string {
  return `${label}-${randomUUID()}`;
}

/**
 * Creates an on-demand table keyed by `hashKey` (S) on the server behind `client` and waits until
 * it is ACTIVE. Returns its name; `dropTable` removes it.
 */
export async function createTestTable(
  client: DynamoDBClient,
  options: { table?: string; hashKey?: string } = {},
): Promise<string> {
  const table = options.table ?? uniqueTableName();
  const hashKey = options.hashKey ?? 'id';
  await client.send(
    new CreateTableCommand({
      TableName: table,
      AttributeDefinitions: [{ AttributeName: hashKey, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: hashKey, KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await waitUntilActive(client, table);
  return table;
}

/** Polls DescribeTable every 25 ms until the table is ACTIVE (the SDK's waiter sleeps 1 s or more). */
export async function waitUntilActive(client: DynamoDBClient, table: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const output = await client.send(new DescribeTableCommand({ TableName: table }));
    if (output.Table?.TableStatus === 'ACTIVE') return;
    if (Date.now() > deadline) throw new Error(`table ${table} did not become ACTIVE`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Deletes a table made by {@link createTestTable}; a missing table is fine. */
export async function dropTable(client: DynamoDBClient, table: string): Promise<void> {
  try {
    await client.send(new DeleteTableCommand({ TableName: table }));
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') throw error;
  }
}

/** A client for one local server and the name of a table this test file owns on it. */
export interface TestTable {
  client: DynamoDBClient;
  /** The table's name, set once `beforeAll` has created it. */
  table: string;
}

/**
 * Gives the calling `describe` block (or file) a client for `server` and a fresh table, created
 * in `beforeAll` and dropped, with the client, in `afterAll`.
 */
export function useTestTable(server: TestServer, options: { hashKey?: string } = {}): TestTable {
  const handle: TestTable = { client: localClient(server.endpoint), table: '' };
  beforeAll(async () => {
    handle.table = await createTestTable(handle.client, options);
  });
  afterAll(async () => {
    await dropTable(handle.client, handle.table);
    handle.client.destroy();
  });
  return handle;
}
