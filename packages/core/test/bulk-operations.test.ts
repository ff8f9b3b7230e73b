import {
  BatchWriteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  countCommands,
  createTestTable,
  dropTable,
  localClient,
  testServers,
  uniqueTableName,
} from '@dynamodb-session/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionRepository } from '../src/index';

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Loads items in connect-dynamodb's layout, 25 per BatchWriteItem. */
async function load(
  client: DynamoDBClient,
  table: string,
  prefix: string,
  count: number,
  expires: (index: number) => number,
  extra: (index: number) => Record<string, { S: string }> = () => ({}),
): Promise<string[]> {
  const ids = Array.from(
    { length: count },
    (_, index) => `${prefix}-${index}-${Math.random().toString(36).slice(2)}`,
  );
  for (let start = 0; start < ids.length; start += 25) {
    const chunk = ids.slice(start, start + 25);
    await client.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [table]: chunk.map((id, offset) => ({
            PutRequest: {
              Item: {
                id: { S: `${prefix}:${id}` },
                expires: { N: String(expires(start + offset)) },
                sess: { S: JSON.stringify({ n: start + offset }) },
                ...extra(start + offset),
              },
            },
          })),
        },
      }),
    );
  }
  return ids;
}

for (const server of testServers()) {
  describe(`bulk operations on ${server.name}`, () => {
    const client = localClient(server.endpoint);
    const usesPartiql = server.name === 'dynamodb-local';
    const tables: string[] = [];
    const newTable = async () => {
      const table = await createTestTable(client);
      tables.push(table);
      return table;
    };
    afterAll(async () => {
      await Promise.all(tables.map((table) => dropTable(client, table)));
      client.destroy();
    });

    it(`reaps only the expired sessions of its prefix${usesPartiql ? ', 25 per batch' : ' (dynalite has no BatchExecuteStatement: one conditional DeleteItem each)'}`, async () => {
      const table = await newTable();
      const live = await load(client, table, 'sess', 60, () => nowSeconds() + 3_600);
      const expired = await load(client, table, 'sess', 140, () => nowSeconds() - 10);
      const otherExpired = await load(client, table, 'other', 30, () => nowSeconds() - 10);
      const repository = new SessionRepository({ client, table });
      const counter = countCommands(client);
      const progress: number[] = [];
      const result = await repository.reap({
        segments: 3,
        onProgress: ({ deleted }) => progress.push(deleted),
      });
      counter.stop();
      expect(result).toMatchObject({ found: 140, deleted: 140, kept: 0, interrupted: false });
      expect(progress.at(-1)).toBe(140);
      if (usesPartiql) {
        expect(counter.counts.BatchExecuteStatementCommand).toBe(result.deleteRequests);
        expect(result.deleteRequests).toBeLessThanOrEqual(
          Math.ceil(140 / 25) + result.scanRequests,
        );
      } else {
        expect(counter.counts.DeleteItemCommand).toBe(140);
      }
      expect(counter.counts.ScanCommand).toBe(result.scanRequests);
      expect(await repository.length()).toBe(60);
      const other = new SessionRepository({ client, table, prefix: 'other:' });
      expect((await other.reap()).deleted).toBe(30);
      for (const id of live.slice(0, 5)) expect(await repository.get(id)).not.toBeNull();
      for (const id of [...expired.slice(0, 5), ...otherExpired.slice(0, 5)]) {
        expect(await repository.get(id)).toBeNull();
      }
    });

    it('never deletes a session renewed between the scan and its delete', async () => {
      const table = await newTable();
      const expired = await load(client, table, 'sess', 50, () => nowSeconds() - 10);
      const renewed = new Set(expired.filter((_, index) => index % 3 === 0));
      const repository = new SessionRepository({ client, table });
      const writer = new SessionRepository({ client: localClient(server.endpoint), table });
      let renewals: Promise<unknown> | undefined;
      client.middlewareStack.add(
        (next, context) => async (args) => {
          const deleting =
            context.commandName === 'BatchExecuteStatementCommand' ||
            context.commandName === 'DeleteItemCommand';
          if (deleting) {
            renewals ??= Promise.all(
              [...renewed].map((id) => writer.set(id, { renewed: true }, Date.now() + 3_600_000)),
            );
            await renewals;
          }
          return next(args);
        },
        { step: 'initialize', name: 'race-renewals' },
      );
      try {
        const result = await repository.reap({ segments: 2 });
        expect(renewals).toBeDefined();
        expect(result.found).toBe(50);
        expect(result.kept).toBe(renewed.size);
        expect(result.deleted).toBe(50 - renewed.size);
      } finally {
        client.middlewareStack.remove('race-renewals');
        writer.client.destroy();
      }
      for (const id of expired) {
        const session = await repository.get(id);
        if (renewed.has(id)) expect(session).toEqual({ renewed: true });
        else expect(session).toBeNull();
      }
    });

    it('stops when aborted, after the batches already sent, and says so', async () => {
      const table = await newTable();
      await load(client, table, 'sess', 300, () => nowSeconds() - 10);
      const repository = new SessionRepository({ client, table });
      const controller = new AbortController();
      const result = await repository.reap({
        segments: 1,
        concurrency: 1,
        signal: controller.signal,
        onProgress: ({ deleted }) => {
          if (deleted >= 25) controller.abort();
        },
      });
      expect(result.interrupted).toBe(true);
      expect(result.deleted).toBeGreaterThanOrEqual(25);
      const remaining = await new SessionRepository({ client, table }).reap();
      expect(result.deleted + remaining.deleted).toBe(300);
    });

    it('stops listing and clearing cleanly when aborted mid-scan, with no unhandled rejection', async () => {
      const table = await newTable();
      await load(client, table, 'sess', 120, () => nowSeconds() + 600);
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      try {
        const repository = new SessionRepository({ client, table });
        const listing = new AbortController();
        let listed = 0;
        for await (const _id of repository.ids({
          signal: listing.signal,
          pageSize: 5,
          segments: 2,
        })) {
          listed++;
          if (listed === 7) break;
        }
        const clearing = new AbortController();
        setTimeout(() => clearing.abort(), 5);
        const cleared = await repository
          .clear({ signal: clearing.signal, pageSize: 5, segments: 2 })
          .catch((error: { code?: string }) => error.code);
        expect(cleared === 'ABORTED' || typeof cleared === 'number').toBe(true);
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(listed).toBe(7);
        expect(unhandled).toEqual([]);
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
    });

    it('runs on a timer that does not hold the process, until stopped', async () => {
      const table = await newTable();
      await load(client, table, 'sess', 10, () => nowSeconds() - 10);
      const repository = new SessionRepository({ client, table });
      const stop = repository.scheduleReap(100);
      try {
        const deadline = Date.now() + 5_000;
        while ((await repository.reap()).found > 0 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      } finally {
        stop();
      }
      await load(client, table, 'sess', 5, () => nowSeconds() - 10);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const counter = countCommands(client);
      await new Promise((resolve) => setTimeout(resolve, 300));
      counter.stop();
      expect(counter.counts).toEqual({});
    });

    it('lists, counts and clears the live sessions of its prefix only', async () => {
      const table = await newTable();
      const live = await load(client, table, 'sess', 70, () => nowSeconds() + 3_600);
      await load(client, table, 'sess', 20, () => nowSeconds() - 10);
      const others = await load(client, table, 'other', 15, () => nowSeconds() + 3_600);
      const repository = new SessionRepository({ client, table });
      expect(await repository.length()).toBe(70);
      const ids: string[] = [];
      for await (const id of repository.ids({ segments: 3 })) ids.push(id);
      expect(ids.sort()).toEqual([...live].sort());
      const all: Record<string, unknown> = {};
      for await (const { id, data } of repository.all()) all[id as string] = data;
      expect(Object.keys(all).sort()).toEqual([...live].sort());
      expect(all[live[3] as string]).toEqual({ n: 3 });
      expect(await repository.clear()).toBe(90);
      expect(await repository.length()).toBe(0);
      const other = new SessionRepository({ client, table, prefix: 'other:' });
      expect(await other.length()).toBe(15);
      expect(await other.get(others[0] as string)).toEqual({ n: 0 });
    });

    it("leaves out of ids, length and all an item with a key and an expiry but no data (connect-dynamodb's touch of a destroyed session), and clear removes it", async () => {
      const table = await newTable();
      const live = await load(client, table, 'sess', 3, () => nowSeconds() + 3_600);
      await client.send(
        new PutItemCommand({
          TableName: table,
          Item: {
            id: { S: 'sess:touched-after-destroy' },
            expires: { N: String(nowSeconds() + 3_600) },
          },
        }),
      );
      const repository = new SessionRepository({ client, table });
      expect(await repository.get('touched-after-destroy')).toBeNull();
      expect(await repository.length()).toBe(3);
      const ids: string[] = [];
      for await (const id of repository.ids()) ids.push(id);
      expect(ids.sort()).toEqual([...live].sort());
      const listed: string[] = [];
      for await (const { id } of repository.all()) listed.push(id as string);
      expect(listed.sort()).toEqual([...live].sort());
      expect(await repository.clear()).toBe(4);
    });

    it('lists and destroys the sessions of one user through a global secondary index', async () => {
      const table = uniqueTableName();
      tables.push(table);
      const repository = new SessionRepository({
        client,
        table,
        indexAttributes: [
          { name: 'userId', path: 'user.id', type: 'S', index: 'userId-index', required: false },
        ],
      });
      await repository.createTable();
      const expiresAt = Date.now() + 3_600_000;
      for (const [id, user] of [
        ['ann-laptop', 'ann'],
        ['ann-phone', 'ann'],
        ['bob-laptop', 'bob'],
        ['anonymous', undefined],
      ] as const) {
        await repository.set(id, user ? { user: { id: user } } : { visits: 1 }, expiresAt);
      }
      await repository.set('ann-old', { user: { id: 'ann' } }, Date.now() - 5_000);
      const raw = await client.send(
        new GetItemCommand({ TableName: table, Key: { id: { S: 'sess:ann-phone' } } }),
      );
      expect(raw.Item?.userId).toEqual({ S: 'ann' });
      const annIds: string[] = [];
      for await (const id of repository.idsByAttribute('userId', 'ann')) annIds.push(id);
      expect(annIds.sort()).toEqual(['ann-laptop', 'ann-phone']);
      expect(await repository.destroyByAttribute('userId', 'ann')).toBe(2);
      expect(await repository.get('ann-laptop')).toBeNull();
      expect(await repository.get('ann-phone')).toBeNull();
      expect(await repository.get('bob-laptop')).toEqual({ user: { id: 'bob' } });
      expect(await repository.get('anonymous')).toEqual({ visits: 1 });
      await expect(repository.idsByAttribute('nope', 'x').next()).rejects.toMatchObject({
        code: 'INVALID_OPTIONS',
      });
    });

    it('reports an unreadable item to onError listeners while listing, and skips it', async () => {
      const table = await newTable();
      await client.send(
        new PutItemCommand({
          TableName: table,
          Item: {
            id: { S: 'sess:broken' },
            expires: { N: String(nowSeconds() + 600) },
            sess: { S: '{not json' },
          },
        }),
      );
      await load(client, table, 'sess', 3, () => nowSeconds() + 600);
      const repository = new SessionRepository({ client, table });
      const codes: string[] = [];
      repository.onError((error) => codes.push(error.code));
      const ids: string[] = [];
      for await (const { id } of repository.all()) ids.push(id as string);
      expect(ids).toHaveLength(3);
      expect(codes).toEqual(['CORRUPT_SESSION']);
    });
  });
}

describe('bulk operations without a server', () => {
  beforeAll(() => {});
  it('rejects a non-positive reap interval', () => {
    const repository = new SessionRepository({ region: 'us-east-1' });
    expect(() => repository.scheduleReap(0)).toThrow(/interval/);
    repository.close();
  });
});
