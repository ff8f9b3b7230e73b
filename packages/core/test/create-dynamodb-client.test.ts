import type { Server as HttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { DescribeTableCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { createTestTable, LOCAL_CLIENT_CONFIG } from '@dynamodb-session/test-support';
import dynalite from 'dynalite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDBClient, SessionRepository } from '../src/index';

let dynamo: HttpServer;
let dynamoEndpoint = '';
let connections = 0;
let silent: Server;
let silentEndpoint = '';
const silentSockets = new Set<Socket>();

beforeAll(async () => {
  dynamo = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  dynamo.on('connection', () => connections++);
  dynamoEndpoint = await listen(dynamo);
  silent = createServer((socket) => {
    silentSockets.add(socket);
    socket.on('error', () => {});
  });
  silentEndpoint = await listen(silent);
});

afterAll(async () => {
  for (const socket of silentSockets) socket.destroy();
  await Promise.all([close(dynamo), close(silent)]);
});

describe('createDynamoDBClient', () => {
  it('builds a client that talks to DynamoDB, with the middleware cache on', async () => {
    const client = createDynamoDBClient({ ...LOCAL_CLIENT_CONFIG, endpoint: dynamoEndpoint });
    try {
      expect(client.config.cacheMiddleware).toBe(true);
      const table = await createTestTable(client);
      const repository = new SessionRepository({ client, table });
      await repository.set('abc', { views: 3 });
      expect(await repository.get('abc')).toEqual({ views: 3 });
      const { Item } = await client.send(
        new GetItemCommand({ TableName: table, Key: { id: { S: 'sess:abc' } } }),
      );
      expect(JSON.parse(Item?.sess?.S ?? 'null')).toEqual({ views: 3 });
      repository.close();
      // closing a repository leaves the client it was handed open
      const description = await client.send(new DescribeTableCommand({ TableName: table }));
      expect(description.Table?.TableStatus).toBe('ACTIVE');
    } finally {
      client.destroy();
    }
  });

  it('keeps its connection alive between calls', async () => {
    const client = createDynamoDBClient({ ...LOCAL_CLIENT_CONFIG, endpoint: dynamoEndpoint });
    try {
      const table = await createTestTable(client);
      const repository = new SessionRepository({ client, table });
      const before = connections;
      for (let index = 0; index < 10; index++) await repository.set(`s${index}`, { index });
      for (let index = 0; index < 10; index++) await repository.get(`s${index}`);
      expect(connections - before).toBeLessThanOrEqual(1);
    } finally {
      client.destroy();
    }
  });

  it('fails a call within requestTimeoutMs when the server accepts and never answers', async () => {
    const client = createDynamoDBClient({
      ...LOCAL_CLIENT_CONFIG,
      endpoint: silentEndpoint,
      requestTimeoutMs: 300,
      maxAttempts: 1,
    });
    try {
      const started = Date.now();
      const error = await client
        .send(new DescribeTableCommand({ TableName: 'sessions' }))
        .catch((caught: unknown) => caught);
      const elapsed = Date.now() - started;
      expect(error).toMatchObject({ name: 'TimeoutError' });
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(elapsed).toBeLessThan(2_000);
      expect(silentSockets.size).toBeGreaterThan(0);
    } finally {
      client.destroy();
    }
  });

  it('bounds every attempt, so retries end too', async () => {
    const client = createDynamoDBClient({
      ...LOCAL_CLIENT_CONFIG,
      endpoint: silentEndpoint,
      requestTimeoutMs: 200,
      maxAttempts: 2,
    });
    try {
      const started = Date.now();
      const error = await client
        .send(new DescribeTableCommand({ TableName: 'sessions' }))
        .catch((caught: unknown) => caught);
      expect(error).toMatchObject({ name: 'TimeoutError', $metadata: { attempts: 2 } });
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      client.destroy();
    }
  });

  it('lets the caller’s config win over its own settings', async () => {
    const client = createDynamoDBClient({
      ...LOCAL_CLIENT_CONFIG,
      endpoint: dynamoEndpoint,
      cacheMiddleware: false,
      maxAttempts: 1,
    });
    try {
      expect(client.config.cacheMiddleware).toBe(false);
      expect(await client.config.maxAttempts()).toBe(1);
    } finally {
      client.destroy();
    }
  });
});

async function listen(server: Server | HttpServer): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

function close(server: Server | HttpServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
