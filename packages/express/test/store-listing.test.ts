import {
  createTestTable,
  dropTable,
  localClient,
  testServers,
} from '@dynamodb-session/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBStore } from '../src/index';

const cookie = (ms: number) => ({ originalMaxAge: ms, expires: new Date(Date.now() + ms) });

for (const server of testServers()) {
  describe(`express-session's optional all / length / clear on ${server.name}`, () => {
    const client = localClient(server.endpoint);
    let table = '';
    beforeAll(async () => {
      table = await createTestTable(client);
    });
    afterAll(async () => {
      await dropTable(client, table);
      client.destroy();
    });

    it('lists and counts live sessions of the prefix, and clears them, through callbacks', async () => {
      const store = new DynamoDBStore({ client, table, prefix: 'listing:' });
      const neighbour = new DynamoDBStore({ client, table, prefix: 'neighbour:' });
      await store.set('a', { cookie: cookie(60_000), user: 'ann' } as never);
      await store.set('b', { cookie: cookie(60_000), user: 'bob' } as never);
      await store.set('gone', { cookie: cookie(-5_000) } as never);
      await neighbour.set('c', { cookie: cookie(60_000) } as never);

      const all = await new Promise<Record<string, { user?: string }>>((resolve, reject) =>
        store.all((error, sessions) => (error ? reject(error) : resolve(sessions ?? {}))),
      );
      expect(Object.keys(all).sort()).toEqual(['a', 'b']);
      expect(all.a?.user).toBe('ann');

      const length = await new Promise<number>((resolve, reject) =>
        store.length((error, count) => (error ? reject(error) : resolve(count ?? -1))),
      );
      expect(length).toBe(2);

      await new Promise<void>((resolve, reject) =>
        store.clear((error) => (error ? reject(error) : resolve())),
      );
      expect(await store.length()).toBe(0);
      expect(await neighbour.length()).toBe(1);
    });

    it('hands a DynamoDB failure to the callback', async () => {
      const store = new DynamoDBStore({ client, table: 'no-such-table' });
      const error = await new Promise<Error | null>((resolve) => store.length((e) => resolve(e)));
      expect(error).toMatchObject({ code: 'TABLE_NOT_FOUND' });
    });
  });
}
