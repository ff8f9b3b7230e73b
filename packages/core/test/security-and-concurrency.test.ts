import { randomBytes } from 'node:crypto';
import { GetItemCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  createTestTable,
  dropTable,
  localClient,
  testServers,
} from '@dynamodb-session/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionRepository } from '../src/index';

const inOneHour = () => Date.now() + 3_600_000;
let counter = 0;
const newId = () => `sec-${Date.now()}-${counter++}`;

for (const server of testServers()) {
  describe(`security and concurrent writers on ${server.name}`, () => {
    const client = localClient(server.endpoint);
    let table = '';
    beforeAll(async () => {
      table = await createTestTable(client);
    });
    afterAll(async () => {
      await dropTable(client, table);
      client.destroy();
    });
    const raw = async (key: string) =>
      (await client.send(new GetItemCommand({ TableName: table, Key: { id: { S: key } } }))).Item;

    describe('session ids hashed at rest', () => {
      it('stores a SHA-256 of the id, never the id, and serves the session by its id', async () => {
        const repository = new SessionRepository({ client, table, hashSessionIds: true });
        const id = newId();
        await repository.set(id, { user: 'ann' }, inOneHour());
        expect(await repository.get(id)).toEqual({ user: 'ann' });
        expect(await raw(`sess:${id}`)).toBeUndefined();
        const scanned = await client.send(new ScanCommand({ TableName: table }));
        expect(JSON.stringify(scanned.Items)).not.toContain(id);
        expect(await repository.touch(id, inOneHour())).toBe(true);
        await repository.destroy(id);
        expect(await repository.get(id)).toBeNull();
      });

      it('reads, touches and replaces unhashed items during a migration window', async () => {
        const plain = new SessionRepository({ client, table });
        const migrating = new SessionRepository({
          client,
          table,
          hashSessionIds: true,
          readUnhashedIds: true,
        });
        const id = newId();
        await plain.set(id, { user: 'legacy' }, Date.now() + 60_000);
        expect(await migrating.get(id)).toEqual({ user: 'legacy' });
        expect(await migrating.touch(id, inOneHour())).toBe(true);
        await migrating.set(id, { user: 'legacy', moved: true }, inOneHour());
        expect(await raw(`sess:${id}`)).toBeUndefined();
        expect(await migrating.get(id)).toEqual({ user: 'legacy', moved: true });
        const other = newId();
        await plain.set(other, { user: 'x' }, inOneHour());
        await migrating.destroy(other);
        expect(await plain.get(other)).toBeNull();
      });
    });

    describe('encryption of the data at rest', () => {
      const oldKey = { id: 'k1', key: randomBytes(32) };
      const newKey = { id: 'k2', key: randomBytes(32).toString('base64') };

      it('stores ciphertext only and reads it back', async () => {
        const repository = new SessionRepository({ client, table, encryption: { keys: [oldKey] } });
        const id = newId();
        await repository.set(id, { secret: 'hunter2', n: 1 }, inOneHour());
        const item = await raw(`sess:${id}`);
        expect(item?.sess?.S).toBeUndefined();
        expect(Buffer.from(item?.sess?.B ?? []).toString('latin1')).not.toContain('hunter2');
        expect(await repository.get(id)).toEqual({ secret: 'hunter2', n: 1 });
      });

      it('rotates keys: the first encrypts, all decrypt; an unknown key reads as missing and is reported', async () => {
        const before = new SessionRepository({ client, table, encryption: { keys: [oldKey] } });
        const after = new SessionRepository({
          client,
          table,
          encryption: { keys: [newKey, oldKey] },
        });
        const id = newId();
        await before.set(id, { n: 1 }, inOneHour());
        expect(await after.get(id)).toEqual({ n: 1 });
        await after.set(id, { n: 2 }, inOneHour());
        const reports: string[] = [];
        before.onError((error) => reports.push(error.code));
        expect(await before.get(id)).toBeNull();
        expect(reports).toEqual(['CORRUPT_SESSION']);
      });

      it('refuses a sealed session copied under another id', async () => {
        const repository = new SessionRepository({ client, table, encryption: { keys: [oldKey] } });
        const id = newId();
        await repository.set(id, { n: 1 }, inOneHour());
        const item = await raw(`sess:${id}`);
        const thief = newId();
        await client.send(
          new PutItemCommand({ TableName: table, Item: { ...item, id: { S: `sess:${thief}` } } }),
        );
        expect(await repository.get(thief)).toBeNull();
      });

      it('rejects keys that are not 32 bytes, naming the option', () => {
        expect(
          () =>
            new SessionRepository({
              client,
              table,
              encryption: { keys: [{ id: 'x', key: 'c2hvcnQ=' }] },
            }),
        ).toThrow(/option "encryption.keys": the key "x" must be 32 bytes/);
      });
    });

    describe('compression', () => {
      const large = {
        rows: Array.from({ length: 14_000 }, (_, i) => ({ i, label: `row number ${i}` })),
      };

      it('fits a session over the item limit when compressed, and keeps small ones as JSON', async () => {
        const plain = new SessionRepository({ client, table });
        const compressed = new SessionRepository({
          client,
          table,
          compression: { thresholdBytes: 2048 },
        });
        const id = newId();
        expect(JSON.stringify(large).length).toBeGreaterThan(400 * 1024);
        await expect(plain.set(id, large, inOneHour())).rejects.toMatchObject({
          code: 'SESSION_TOO_LARGE',
        });
        await compressed.set(id, large, inOneHour());
        expect((await raw(`sess:${id}`))?.sess?.B).toBeDefined();
        expect(await compressed.get(id)).toEqual(large);
        const small = newId();
        await compressed.set(small, { n: 1 }, inOneHour());
        expect((await raw(`sess:${small}`))?.sess).toEqual({ S: '{"n":1}' });
        expect(await plain.get(small)).toEqual({ n: 1 });
      });

      it('compresses with brotli and encrypts together', async () => {
        const repository = new SessionRepository({
          client,
          table,
          compression: { algorithm: 'brotli', thresholdBytes: 0 },
          encryption: { keys: [{ id: 'k', key: randomBytes(32) }] },
        });
        const id = newId();
        await repository.set(id, large, inOneHour());
        expect(await repository.get(id)).toEqual(large);
      });
    });

    describe('observability', () => {
      it('counts requests, errors by code and consumed capacity, and reports every failure', async () => {
        const repository = new SessionRepository({ client, table, returnConsumedCapacity: true });
        const broken = new SessionRepository({ client, table: 'no-such-table' });
        const reported: string[] = [];
        broken.onError((error) => reported.push(error.code));
        const id = newId();
        await repository.set(id, { n: 1 }, inOneHour());
        await repository.get(id);
        await repository.get(id);
        await repository.touch(newId(), inOneHour());
        await expect(broken.get(id)).rejects.toMatchObject({ code: 'TABLE_NOT_FOUND' });
        const metrics = repository.metrics();
        expect(metrics.requests).toEqual({ PutItem: 1, GetItem: 2, UpdateItem: 1 });
        expect(metrics.errors).toEqual({});
        expect(metrics.consumedCapacity.read).toBeGreaterThan(0);
        expect(metrics.consumedCapacity.write).toBeGreaterThan(0);
        expect(broken.metrics().errors).toEqual({ TABLE_NOT_FOUND: 1 });
        expect(reported).toEqual(['TABLE_NOT_FOUND']);
      });
    });

    describe('optimistic locking', () => {
      it('fails a write based on a stale read with CONFLICT, and keeps the newer session', async () => {
        const repository = new SessionRepository({ client, table, optimisticLocking: true });
        const id = newId();
        await repository.set(id, { n: 0 }, inOneHour());
        const first = (await repository.get(id)) as Record<string, unknown>;
        const second = (await repository.get(id)) as Record<string, unknown>;
        expect(first.$version).toBe(1);
        await repository.set(id, { ...first, n: 1 }, inOneHour());
        await expect(repository.set(id, { ...second, n: 2 }, inOneHour())).rejects.toMatchObject({
          code: 'CONFLICT',
        });
        expect(await repository.get(id)).toEqual({ n: 1, $version: 2 });
        const stored = await raw(`sess:${id}`);
        expect(JSON.parse(stored?.sess?.S ?? '{}')).toEqual({ n: 1 });
      });

      it('lets destroy win over a concurrent save of the session loaded earlier', async () => {
        const repository = new SessionRepository({ client, table, optimisticLocking: true });
        const id = newId();
        await repository.set(id, { user: 'ann' }, inOneHour());
        const loaded = (await repository.get(id)) as Record<string, unknown>;
        await repository.destroy(id);
        await expect(repository.set(id, { ...loaded, cart: 1 }, inOneHour())).rejects.toMatchObject(
          {
            code: 'CONFLICT',
          },
        );
        expect(await repository.get(id)).toBeNull();
      });

      it('updates the version in the data it wrote, so one request can save twice', async () => {
        const repository = new SessionRepository({ client, table, optimisticLocking: true });
        const id = newId();
        const session: Record<string, unknown> = { n: 1 };
        await repository.set(id, session, inOneHour());
        session.n = 2;
        await repository.set(id, session, inOneHour());
        expect(await repository.get(id)).toEqual({ n: 2, $version: 2 });
      });
    });
  });
}
