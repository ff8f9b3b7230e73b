import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  createTestTable,
  dropTable,
  localClient,
  testServers,
  uniqueTableName,
  waitUntilActive,
} from '@dynamodb-session/test-support';
import { afterAll, describe, it } from 'vitest';
import { SessionRepository } from '../src/index';

for (const server of testServers()) {
  const supportsTtl = server.name !== 'dynalite';

  // Concurrent: creating a table on dynalite costs a second of the SDK waiter's polling.
  describe.concurrent(`session table on ${server.name}`, () => {
    const client = localClient(server.endpoint);
    const tables: string[] = [];
    /** A fresh table name, dropped after the file's tests. */
    const newTable = () => {
      const table = uniqueTableName('table-test');
      tables.push(table);
      return table;
    };
    afterAll(async () => {
      await Promise.all(tables.map((table) => dropTable(client, table)));
      client.destroy();
    });

    const billingModeOf = async (table: string) => {
      const output = await client.send(new DescribeTableCommand({ TableName: table }));
      return output.Table;
    };

    it('createTable creates an ACTIVE on-demand table keyed by the hashKey, and is idempotent', async ({
      expect,
    }) => {
      const table = newTable();
      const repository = new SessionRepository({ client, table });
      const first = await repository.createTable();
      expect(first.created).toBe(true);

      const raw = await billingModeOf(table);
      expect(raw?.TableStatus).toBe('ACTIVE');
      expect(raw?.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
      expect(raw?.AttributeDefinitions).toEqual([{ AttributeName: 'id', AttributeType: 'S' }]);

      const description = await repository.describeTable();
      expect(description).toMatchObject({
        status: 'ACTIVE',
        partitionKey: { name: 'id', type: 'S' },
        sortKey: undefined,
        billingMode: 'PAY_PER_REQUEST',
      });

      const second = await repository.createTable();
      expect(second.created).toBe(false);
      expect(second.timeToLive).toBe(first.timeToLive);

      // The table works for sessions.
      await repository.set('abc', { n: 1 });
      expect(await repository.get('abc')).toEqual({ n: 1 });
    });

    if (supportsTtl) {
      it('createTable enables TTL on the configured expiresAttribute', async ({ expect }) => {
        const table = newTable();
        const repository = new SessionRepository({ client, table, expiresAttribute: 'ttl' });
        const result = await repository.createTable();
        expect(result).toEqual({
          created: true,
          timeToLive: 'ENABLED',
          timeToLiveAttribute: 'ttl',
        });
        const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: table }));
        expect(ttl.TimeToLiveDescription).toEqual({
          TimeToLiveStatus: 'ENABLED',
          AttributeName: 'ttl',
        });
        const description = await repository.describeTable();
        expect(description.timeToLive).toEqual({ status: 'ENABLED', attribute: 'ttl' });
        expect(description.warnings).toEqual([]);
      });

      it('createTable enables TTL on "expires" by default', async ({ expect }) => {
        const table = newTable();
        const repository = new SessionRepository({ client, table });
        expect(await repository.createTable()).toEqual({
          created: true,
          timeToLive: 'ENABLED',
          timeToLiveAttribute: 'expires',
        });
        expect((await repository.describeTable()).timeToLive).toEqual({
          status: 'ENABLED',
          attribute: 'expires',
        });
      });

      it('describeTable warns when TTL is enabled on another attribute', async ({ expect }) => {
        const table = newTable();
        await new SessionRepository({ client, table, expiresAttribute: 'other' }).createTable();
        const description = await new SessionRepository({ client, table }).describeTable();
        expect(description.timeToLive).toEqual({ status: 'ENABLED', attribute: 'other' });
        expect(description.warnings).toEqual(['TTL is on other, not on expires']);
        expect(await new SessionRepository({ client, table }).createTable()).toEqual({
          created: false,
          timeToLive: 'ENABLED',
          timeToLiveAttribute: 'other',
        });
      });
    } else {
      it('createTable reports TTL as UNSUPPORTED (dynalite has no UpdateTimeToLive)', async ({
        expect,
      }) => {
        const table = newTable();
        const repository = new SessionRepository({ client, table });
        expect(await repository.createTable()).toEqual({
          created: true,
          timeToLive: 'UNSUPPORTED',
        });
      });
    }

    it('createTable with timeToLive: false leaves TTL off and describeTable warns about it', async ({
      expect,
    }) => {
      const table = newTable();
      const repository = new SessionRepository({ client, table });
      expect(await repository.createTable({ timeToLive: false })).toEqual({
        created: true,
        timeToLive: 'DISABLED',
      });
      const description = await repository.describeTable();
      expect(description.timeToLive.status).toBe('DISABLED');
      expect(description.warnings).toEqual([
        'TTL is DISABLED: expired sessions are never deleted by DynamoDB',
      ]);
    });

    it('createTable with PROVISIONED billing sets the capacity units', async ({ expect }) => {
      const table = newTable();
      const repository = new SessionRepository({ client, table });
      const result = await repository.createTable({
        billingMode: 'PROVISIONED',
        readCapacityUnits: 3,
        writeCapacityUnits: 2,
      });
      expect(result.created).toBe(true);
      const raw = await billingModeOf(table);
      expect(raw?.ProvisionedThroughput).toMatchObject({
        ReadCapacityUnits: 3,
        WriteCapacityUnits: 2,
      });
      expect((await repository.describeTable()).billingMode).toBe('PROVISIONED');
    });

    it('createTable fails with TABLE_MISMATCH on an existing table with another key', async ({
      expect,
    }) => {
      const table = await createTestTable(client, { table: newTable(), hashKey: 'id' });
      const repository = new SessionRepository({ client, table, hashKey: 'pk' });
      const error = await repository.createTable().catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'SessionStoreError', code: 'TABLE_MISMATCH' });
      expect((error as Error).message).toContain('the partition key is id (S), expected pk (S)');
      const description = await repository.describeTable();
      expect(description.partitionKey).toEqual({ name: 'id', type: 'S' });
      expect(description.warnings).toContain('the partition key is id (S), expected pk (S)');
    });

    it('createTable fails with TABLE_MISMATCH on an existing table with a sort key', async ({
      expect,
    }) => {
      const table = newTable();
      await createRawTable(client, table, [
        { name: 'id', type: 'S', key: 'HASH' },
        { name: 'at', type: 'N', key: 'RANGE' },
      ]);
      const repository = new SessionRepository({ client, table });
      await expect(repository.createTable()).rejects.toMatchObject({ code: 'TABLE_MISMATCH' });
      expect((await repository.describeTable()).warnings).toContain(
        'the table has a sort key (at); sessions need none',
      );
    });

    it('describeTable warns about a partition key of the wrong type', async ({ expect }) => {
      const table = newTable();
      await createRawTable(client, table, [{ name: 'id', type: 'N', key: 'HASH' }]);
      const description = await new SessionRepository({ client, table }).describeTable();
      expect(description.partitionKey).toEqual({ name: 'id', type: 'N' });
      expect(description.warnings).toContain('the partition key is id (N), expected id (S)');
    });

    it('createTable fails with TABLE_MISMATCH on a key of type N', async ({ expect }) => {
      const table = newTable();
      await createRawTable(client, table, [{ name: 'id', type: 'N', key: 'HASH' }]);
      const repository = new SessionRepository({ client, table });
      await expect(repository.createTable()).rejects.toMatchObject({ code: 'TABLE_MISMATCH' });
    });

    it('describeTable on a table made without TTL warns that TTL is off', async ({ expect }) => {
      const table = await createTestTable(client, { table: newTable() });
      const description = await new SessionRepository({ client, table }).describeTable();
      expect(description.status).toBe('ACTIVE');
      expect(description.timeToLive).toEqual({ status: 'DISABLED', attribute: undefined });
      expect(description.warnings).toEqual([
        'TTL is DISABLED: expired sessions are never deleted by DynamoDB',
      ]);
    });

    it('describeTable on a missing table rejects with TABLE_NOT_FOUND', async ({ expect }) => {
      const repository = new SessionRepository({ client, table: uniqueTableName('missing') });
      const error = await repository.describeTable().catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'SessionStoreError', code: 'TABLE_NOT_FOUND' });
      expect((error as Error).cause).toMatchObject({ name: 'ResourceNotFoundException' });
    });
  });
}

async function createRawTable(
  client: DynamoDBClient,
  table: string,
  keys: { name: string; type: 'S' | 'N'; key: 'HASH' | 'RANGE' }[],
): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: table,
      AttributeDefinitions: keys.map(({ name, type }) => ({
        AttributeName: name,
        AttributeType: type,
      })),
      KeySchema: keys.map(({ name, key }) => ({ AttributeName: name, KeyType: key })),
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await waitUntilActive(client, table);
}
