import {
  type AttributeValue,
  BatchWriteItemCommand,
  DynamoDBClient,
  ScanCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import {
  createTestTable,
  dropTable,
  LOCAL_CLIENT_CONFIG,
  type LocalDynamoServer,
  type LocalServerName,
  startDynamoDBLocal,
} from '@dynamodb-session/test-support';
import { spawnTypeScript } from './child-process';

/** The key prefix of every session the benchmarks write (connect-dynamodb's default). */
export const PREFIX = 'sess:';

/**
 * Starts the named local server in a process of its own: DynamoDB Local as test-support's Java
 * child process, dynalite through test-support's `startDynalite` in a Node child process.
 */
export async function startServer(name: LocalServerName): Promise<LocalDynamoServer> {
  if (name === 'dynamodb-local') return startDynamoDBLocal();
  const { child, firstLine, output } = spawnTypeScript('dynalite-process.ts');
  const endpoint = (await firstLine).trim();
  return {
    name,
    endpoint,
    stop: async () => {
      child.kill('SIGTERM');
      await output.catch(() => undefined);
    },
  };
}

/**
 * A client for a local server with the SDK's default retries (3 attempts) and keep-alive
 * agent: every implementation under test gets one built the same way. With `addedLatencyMs`,
 * every HTTP attempt waits that long before it is sent, standing in for the network round trip
 * to DynamoDB in a region, which a server on the loopback does not have.
 */
export function benchClient(endpoint: string, addedLatencyMs = 0): DynamoDBClient {
  const client = new DynamoDBClient({ ...LOCAL_CLIENT_CONFIG, endpoint });
  if (addedLatencyMs > 0) {
    client.middlewareStack.add(
      (next) => async (args) => {
        await new Promise((resolve) => setTimeout(resolve, addedLatencyMs));
        return next(args);
      },
      { step: 'deserialize', name: 'benchAddedLatency' },
    );
  }
  return client;
}

let tables = 0;

/** Creates a new on-demand table keyed by `id` (S) and waits until it is ACTIVE. */
export function freshTable(client: DynamoDBClient, label: string): Promise<string> {
  tables++;
  return createTestTable(client, { table: `bench-${label}-${process.pid}-${tables}` });
}

export { dropTable };

/** What {@link loadSessions} writes. */
export interface LoadPlan {
  /** Sessions to write. */
  count: number;
  /** Every `expiredEvery`-th session (0, k, 2k...) is expired; 0 writes none expired. */
  expiredEvery: number;
  /** BatchWriteItem requests in flight at once. */
  concurrency: number;
}

/**
 * Writes `plan.count` sessions in connect-dynamodb's item layout `{ id: S "sess:<id>",
 * expires: N <seconds>, sess: S <JSON> }` with BatchWriteItem (25 items a request,
 * `concurrency` requests in flight, unprocessed items written again). Expired sessions expired an
 * hour or more ago; live ones expire in a day. The JSON is an express-session session with a
 * cookie whose `expires` matches. Resolves the number of expired sessions written.
 */
export async function loadSessions(
  client: DynamoDBClient,
  table: string,
  plan: LoadPlan,
): Promise<number> {
  const nowSeconds = Math.floor(Date.now() / 1000);
  let next = 0;
  let expired = 0;
  const item = (index: number): Record<string, AttributeValue> => {
    const isExpired = plan.expiredEvery > 0 && index % plan.expiredEvery === 0;
    if (isExpired) expired++;
    const expires = isExpired ? nowSeconds - 3600 - (index % 3600) : nowSeconds + 86_400;
    const id = `${index.toString(36).padStart(8, '0')}${'x'.repeat(24)}`;
    const session = {
      cookie: {
        originalMaxAge: 86_400_000,
        expires: new Date(expires * 1000).toISOString(),
        secure: false,
        httpOnly: true,
        path: '/',
        sameSite: 'lax',
      },
      userId: `user-${index % 5000}`,
      views: index % 17,
      csrfSecret: 'n0tR3allyAS3cr3tButAsL0ngAsOne',
    };
    return {
      id: { S: `${PREFIX}${id}` },
      expires: { N: String(expires) },
      sess: { S: JSON.stringify(session) },
    };
  };
  const worker = async () => {
    while (next < plan.count) {
      const start = next;
      const end = Math.min(plan.count, start + 25);
      next = end;
      let requests: WriteRequest[] = [];
      for (let index = start; index < end; index++) {
        requests.push({ PutRequest: { Item: item(index) } });
      }
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
        const output = await client.send(
          new BatchWriteItemCommand({ RequestItems: { [table]: requests } }),
        );
        requests = output.UnprocessedItems?.[table] ?? [];
      }
    }
  };
  await Promise.all(Array.from({ length: plan.concurrency }, worker));
  return expired;
}

/** How many sessions of the benchmark's prefix the table holds, expired and live. */
export async function countSessions(
  client: DynamoDBClient,
  table: string,
): Promise<{ expired: number; live: number }> {
  const nowSeconds = String(Math.floor(Date.now() / 1000));
  const count = async (condition: string) => {
    let total = 0;
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const output = await client.send(
        new ScanCommand({
          TableName: table,
          Select: 'COUNT',
          FilterExpression: `begins_with(#id, :prefix) AND ${condition}`,
          ExpressionAttributeNames: { '#id': 'id', '#expires': 'expires' },
          ExpressionAttributeValues: { ':prefix': { S: PREFIX }, ':now': { N: nowSeconds } },
          ExclusiveStartKey: startKey,
        }),
      );
      total += output.Count ?? 0;
      startKey = output.LastEvaluatedKey;
    } while (startKey);
    return total;
  };
  return { expired: await count('#expires <= :now'), live: await count('#expires > :now') };
}
