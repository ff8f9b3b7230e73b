import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  createTestTable,
  dropTable,
  localClient,
  testServers,
  uniqueTableName,
} from '@dynamodb-session/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Item } from '../src/conditions';
import { SessionRepository } from '../src/index';
import { MemorySessionRepository, MemorySessionStorage } from '../src/testing/index';

/**
 * Items whose TTL attribute is missing, no number, or right at a touch's cutoff. A touch never
 * touches what a read would not return, on every server and in memory, and touches only items
 * with a numeric TTL (this store always writes one): an item without one is read by its data's
 * expiry, and a TTL given by a touch would make a read take that expiry for a stale one. Each case starts
 * in the first half of a second, so the item one second from its TTL is still live when read.
 */
const nowSeconds = () => Math.floor(Date.now() / 1000);
const odd: Record<string, () => Item> = {
  'no TTL attribute': () => ({ sess: { S: '{"n":1}' } }),
  'a TTL that is a string': () => ({ sess: { S: '{"n":1}' }, expires: { S: 'soon' } }),
  'a TTL an hour ahead': () => ({
    sess: { S: '{"n":1}' },
    expires: { N: String(nowSeconds() + 3600) },
  }),
  'a TTL within the touch cutoff (now + 1 s)': () => ({
    sess: { S: '{"n":1}' },
    expires: { N: String(nowSeconds() + 1) },
  }),
  'a TTL that has passed': () => ({
    sess: { S: '{"n":1}' },
    expires: { N: String(nowSeconds() - 5) },
  }),
  'a tombstone (no data)': () => ({ expires: { N: String(nowSeconds() + 3600) } }),
};
const expected: Record<string, { read: boolean; touched: boolean }> = {
  'no TTL attribute': { read: true, touched: false },
  'a TTL that is a string': { read: true, touched: false },
  'a TTL an hour ahead': { read: true, touched: true },
  'a TTL within the touch cutoff (now + 1 s)': { read: true, touched: false },
  'a TTL that has passed': { read: false, touched: false },
  'a tombstone (no data)': { read: false, touched: false },
};

async function outcomes(
  repository: SessionRepository,
  put: (key: string, item: Item) => Promise<void>,
) {
  const seen: Record<string, { read: boolean; touched: boolean }> = {};
  for (const [name, item] of Object.entries(odd)) {
    while (Date.now() % 1000 > 500) await new Promise((resolve) => setTimeout(resolve, 20));
    const id = `odd-${name.replace(/[^a-z0-9]+/gi, '-')}-${Date.now()}`;
    await put(`sess:${id}`, { id: { S: `sess:${id}` }, ...item() });
    const read = (await repository.get(id)) !== null;
    seen[name] = { read, touched: await repository.touch(id, Date.now() + 7_200_000) };
  }
  return seen;
}

for (const server of testServers()) {
  describe(`touch on odd TTLs, on ${server.name}`, () => {
    const client = localClient(server.endpoint);
    let table = '';
    beforeAll(async () => {
      table = await createTestTable(client, { table: uniqueTableName('odd-ttl') });
    });
    afterAll(async () => {
      await dropTable(client, table);
      client.destroy();
    });

    it('touches the sessions a read returns that have a numeric TTL more than a second ahead', async () => {
      const repository = new SessionRepository({ client, table, touchAfterMs: 0 });
      const put = async (_key: string, item: Item) => {
        await client.send(new PutItemCommand({ TableName: table, Item: item }));
      };
      expect(await outcomes(repository, put)).toEqual(expected);
    });
  });
}

describe('touch on odd TTLs, in memory', () => {
  it('judges them as the servers do', async () => {
    const storage = new MemorySessionStorage();
    const repository = new MemorySessionRepository({ storage, touchAfterMs: 0 });
    const put = async (key: string, item: Item) => storage.put(key, item);
    expect(await outcomes(repository, put)).toEqual(expected);
  });
});
