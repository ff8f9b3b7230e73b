import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  createTestTable,
  dropTable,
  localClient,
  testServers,
} from '@dynamodb-session/test-support';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDynamoDBClient, SessionRepository } from '../src/index';

const inOneHour = () => Date.now() + 3_600_000;
let counter = 0;
const newId = () => `cached-mw-${Date.now()}-${counter++}`;

for (const server of testServers()) {
  describe(`cacheClientMiddleware, on ${server.name}`, () => {
    const setup = localClient(server.endpoint);
    let table = '';
    beforeAll(async () => {
      table = await createTestTable(setup);
    }, 60_000);
    afterAll(async () => {
      await dropTable(setup, table);
      setup.destroy();
    });
    afterEach(() => {
      vi.restoreAllMocks();
    });

    /** How often GetItem resolves a middleware stack over `reads` reads of one session. */
    async function resolvesOver(reads: number, cacheClientMiddleware: boolean) {
      const client = localClient(server.endpoint);
      try {
        const repository = new SessionRepository({ client, table, cacheClientMiddleware });
        const id = newId();
        await repository.set(id, { n: 1 }, inOneHour());
        const resolve = vi.spyOn(GetItemCommand.prototype, 'resolveMiddleware');
        for (let read = 0; read < reads; read++) {
          expect(await repository.get(id)).toEqual({ n: 1 });
        }
        const resolved = resolve.mock.calls.length;
        resolve.mockRestore();
        return resolved;
      } finally {
        client.destroy();
      }
    }

    it('resolves a plain client middleware once per command type, where send resolves it per call', async () => {
      expect(await resolvesOver(4, true)).toBe(1);
      expect(await resolvesOver(4, false)).toBe(4);
    });

    it('reads, writes, touches and destroys through the resolved handlers as through send', async () => {
      const client = localClient(server.endpoint);
      try {
        const repository = new SessionRepository({
          client,
          table,
          cacheClientMiddleware: true,
          touchAfterMs: 0,
        });
        const id = newId();
        await repository.set(id, { n: 1 }, inOneHour());
        expect(await repository.save(id, { n: 2 }, inOneHour())).toBe('written');
        expect(await repository.touch(id, inOneHour() + 60_000)).toBe(true);
        expect(await repository.get(id)).toEqual({ n: 2 });
        await repository.destroy(id);
        expect(await repository.get(id)).toBeNull();
        expect(await repository.touch(id, inOneHour())).toBe(false);
        await expect(
          new SessionRepository({
            client,
            table: 'no-such-table',
            cacheClientMiddleware: true,
          }).get('x'),
        ).rejects.toMatchObject({ code: 'TABLE_NOT_FOUND' });
      } finally {
        client.destroy();
      }
    });

    it('runs middleware the app adds to its client after the first call, and stops when it is removed', async () => {
      const client = localClient(server.endpoint);
      try {
        const repository = new SessionRepository({ client, table, cacheClientMiddleware: true });
        const other = new SessionRepository({ client, table, cacheClientMiddleware: true });
        const id = newId();
        await repository.set(id, { n: 1 }, inOneHour());
        await repository.get(id);
        const seen: string[] = [];
        client.middlewareStack.add(
          (next, context) => (args) => {
            seen.push(String(context.commandName));
            return next(args);
          },
          { step: 'initialize', name: 'appCounter' },
        );
        await repository.get(id);
        await other.get(id);
        await client.send(
          new GetItemCommand({ TableName: table, Key: { id: { S: `sess:${id}` } } }),
        );
        expect(seen).toEqual(['GetItemCommand', 'GetItemCommand', 'GetItemCommand']);
        client.middlewareStack.remove('appCounter');
        await repository.get(id);
        expect(seen).toHaveLength(3);
      } finally {
        client.destroy();
      }
    });

    it('caches no middleware with a retry strategy of the legacy interface (its context grows per call)', async () => {
      const legacy = {
        mode: 'legacy',
        retry: (next: (args: unknown) => unknown, args: unknown) => next(args),
      };
      const helperClient = createDynamoDBClient({
        region: 'us-east-1',
        retryStrategy: legacy as never,
      });
      const own = new SessionRepository({
        endpoint: server.endpoint,
        region: 'us-east-1',
        table,
        clientConfig: {
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
          retryStrategy: legacy as never,
        },
      });
      try {
        expect(helperClient.config.cacheMiddleware).toBe(false);
        expect(own.client.config.cacheMiddleware).toBe(false);
        expect(createDynamoDBClient({ region: 'us-east-1' }).config.cacheMiddleware).toBe(true);
        const id = newId();
        await own.set(id, { n: 1 }, inOneHour());
        expect(await own.get(id)).toEqual({ n: 1 });
      } finally {
        helperClient.destroy();
        own.close();
      }
    });

    it('changes nothing on a client that caches its middleware already', async () => {
      const client = createDynamoDBClient({
        endpoint: server.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      try {
        const send = vi.spyOn(client, 'send');
        const repository = new SessionRepository({ client, table, cacheClientMiddleware: true });
        const id = newId();
        await repository.set(id, { n: 1 }, inOneHour());
        expect(await repository.get(id)).toEqual({ n: 1 });
        expect(send.mock.calls.map(([command]) => command.constructor)).toEqual([
          PutItemCommand,
          GetItemCommand,
        ]);
      } finally {
        client.destroy();
      }
    });
  });
}
