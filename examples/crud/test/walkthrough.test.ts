import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { SessionRepository } from '@dynamodb-session/core';
import {
  dropTable,
  localClient,
  testServers,
  uniqueTableName,
} from '@dynamodb-session/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { runScript, serverEnv } from './run-script';

describe('node src/walkthrough.js', () => {
  it('runs every step on its embedded dynalite, as `npm run demo -- crud` does', async () => {
    const run = await runScript('walkthrough.js', [], {});
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('embedded dynalite in memory');
    expect(run.stdout.match(/^\d+\. /gm)).toHaveLength(10);
    expect(run.stdout).toContain('destroyed 2; 2 live sessions left');
    expect(run.stdout.trimEnd()).toMatch(/bob on work laptop$/);
  });

  for (const server of testServers()) {
    describe(`on ${server.name}`, () => {
      const client = localClient(server.endpoint);
      const table = uniqueTableName('crud-walkthrough');
      afterAll(async () => {
        await dropTable(client, table);
        client.destroy();
      });

      it("leaves only bob's updated laptop session: ann's logged out, the expired one reaped, one deleted", async () => {
        const run = await runScript('walkthrough.js', [], serverEnv(server.endpoint, table));
        expect(run.code).toBe(0);

        const scan = await client.send(
          new ScanCommand({ TableName: table, FilterExpression: 'attribute_exists(sess)' }),
        );
        expect(scan.Items).toHaveLength(1);
        const item = scan.Items?.[0];
        expect(item?.userId).toEqual({ S: 'bob' });
        const id = item?.id?.S?.replace(/^sess:/, '') ?? '';
        expect(run.stdout).toContain(`bob on laptop: ${id}`);

        const repository = new SessionRepository({ client, table });
        expect(await repository.get(id)).toMatchObject({
          user: { id: 'bob' },
          device: 'work laptop',
        });
        expect((await repository.describeTable()).indexes).toEqual(['userId-index']);
      });
    });
  }
});
