import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetItemCommand, ScanCommand, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { SessionRepository } from '@dynamodb-session/core';
import {
  dropTable,
  localClient,
  testServers,
  uniqueTableName,
} from '@dynamodb-session/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { runScript, serverEnv } from './run-script';

/** The index attribute a web app sharing the table would configure (independent of the script). */
const userIndex = {
  name: 'userId',
  path: 'user.id',
  type: 'S',
  index: 'userId-index',
  required: false,
} as const;

for (const server of testServers()) {
  describe(`node src/admin.js on ${server.name}`, () => {
    const client = localClient(server.endpoint);
    const table = uniqueTableName('crud-admin');
    const repository = new SessionRepository({ client, table, indexAttributes: [userIndex] });
    const admin = (...args: string[]) =>
      runScript('admin.js', args, serverEnv(server.endpoint, table));
    /** The stored session item; a destroyed session's tombstone (key and expiry, no data) is none. */
    const rawItem = async (id: string) => {
      const { Item } = await client.send(
        new GetItemCommand({ TableName: table, Key: { id: { S: `sess:${id}` } } }),
      );
      return Item?.sess ? Item : undefined;
    };
    const ids = { annLaptop: '', annPhone: '', bob: '' };
    afterAll(async () => {
      await dropTable(client, table);
      client.destroy();
    });

    it('creates no table by itself on a real endpoint: commands fail until create-table', async () => {
      const run = await admin('count');
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('error TABLE_NOT_FOUND');
      expect(await repository.tableStatus()).toBeNull();
    });

    it('create-table creates the table with its per-user index', async () => {
      const run = await admin('create-table');
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^table created/);
      const description = await repository.describeTable();
      expect(description.status).toBe('ACTIVE');
      expect(description.partitionKey).toEqual({ name: 'id', type: 'S' });
      expect(description.indexes).toEqual(['userId-index']);
    });

    it('creates a session for a user, with the user id as an index attribute', async () => {
      const run = await admin('create', 'ann', 'laptop');
      expect(run.code).toBe(0);
      ids.annLaptop = run.stdout.trim();
      expect(ids.annLaptop).toMatch(/^[\w-]{32}$/);
      const data = await repository.get(ids.annLaptop);
      expect(data).toMatchObject({ user: { id: 'ann' }, device: 'laptop' });
      expect((await rawItem(ids.annLaptop))?.userId).toEqual({ S: 'ann' });

      const shown = await admin('show', ids.annLaptop);
      expect(JSON.parse(shown.stdout)).toEqual(data);
    });

    it('updates one field and keeps the expiry', async () => {
      const before = await rawItem(ids.annLaptop);
      const run = await admin('update', ids.annLaptop, 'device', '"desk"');
      expect(run.code).toBe(0);
      expect(await repository.get(ids.annLaptop)).toMatchObject({
        user: { id: 'ann' },
        device: 'desk',
      });
      const after = await rawItem(ids.annLaptop);
      expect(after?.expires).toEqual(before?.expires);
      expect(JSON.parse(after?.sess?.S ?? '{}').cookie).toEqual(
        JSON.parse(before?.sess?.S ?? '{}').cookie,
      );
    });

    it('lists all live sessions or one user, and counts them', async () => {
      ids.annPhone = (await admin('create', 'ann', 'phone')).stdout.trim();
      ids.bob = (await admin('create', 'bob')).stdout.trim();
      const firstColumn = (stdout: string) =>
        stdout
          .trim()
          .split('\n')
          .map((line) => line.split('\t')[0])
          .sort();

      const all = await admin('list');
      expect(firstColumn(all.stdout)).toEqual([ids.annLaptop, ids.annPhone, ids.bob].sort());
      const ann = await admin('list', 'ann');
      expect(firstColumn(ann.stdout)).toEqual([ids.annLaptop, ids.annPhone].sort());

      expect((await admin('count')).stdout.trim()).toBe('3');
      expect(await repository.length()).toBe(3);
    });

    it("logs one user out everywhere and leaves the others' sessions", async () => {
      const run = await admin('logout-everywhere', 'ann');
      expect(run.stdout).toContain('destroyed 2 session(s) of ann');
      expect(await rawItem(ids.annLaptop)).toBeUndefined();
      expect(await rawItem(ids.annPhone)).toBeUndefined();
      expect(await repository.get(ids.bob)).toMatchObject({ user: { id: 'bob' } });
    });

    it('reaps the expired sessions still in the table, and only those', async () => {
      if (server.name === 'dynamodb-local') {
        // DynamoDB Local's own TTL deletes an expired item within seconds, which would race the
        // reap below on a busy machine (dynalite has no TTL)
        await client.send(
          new UpdateTimeToLiveCommand({
            TableName: table,
            TimeToLiveSpecification: { Enabled: false, AttributeName: 'expires' },
          }),
        );
      }
      await repository.set('expired-one', { user: { id: 'bob' } }, Date.now() - 5_000);
      expect(await rawItem('expired-one')).toBeDefined();
      const run = await admin('reap');
      expect(run.stdout).toContain('deleted 1 expired session(s)');
      expect(await rawItem('expired-one')).toBeUndefined();
      expect(await rawItem(ids.bob)).toBeDefined();
    });

    it('deletes one session, leaving no session in the table', async () => {
      expect((await admin('delete', ids.bob)).code).toBe(0);
      expect(await repository.get(ids.bob)).toBeNull();
      const scan = await client.send(
        new ScanCommand({
          TableName: table,
          Select: 'COUNT',
          FilterExpression: 'attribute_exists(sess)',
        }),
      );
      expect(scan.Count).toBe(0);
    });

    it('exits 1 for a missing session and 2 for an unknown command', async () => {
      expect((await admin('show', ids.bob)).code).toBe(1);
      const unknown = await admin('drop-everything');
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('usage: node src/admin.js');
    });
  });
}

describe('node src/admin.js on its embedded dynalite', () => {
  it('keeps the sessions on disk between runs', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'crud-admin-'));
    try {
      const env = { DYNALITE_PATH: directory };
      const created = await runScript('admin.js', ['create', 'ann', 'laptop'], env);
      expect(created.code).toBe(0);
      expect(created.stderr).toContain(`embedded dynalite kept in ${directory}`);
      const id = created.stdout.trim();
      const shown = await runScript('admin.js', ['show', id], env);
      expect(JSON.parse(shown.stdout)).toMatchObject({ user: { id: 'ann' }, device: 'laptop' });
      expect((await runScript('admin.js', ['count'], env)).stdout.trim()).toBe('1');
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
