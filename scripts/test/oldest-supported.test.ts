import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listWorkspacePackages, root } from './workspace-packages';

/** The low ends of the peer ranges the packages declare, installed as a user would. */
const OLDEST = { '@aws-sdk/client-dynamodb': '3.600.0', 'express-session': '1.17.0' };

/**
 * What the consumer runs: the packed core and express store on the oldest AWS SDK and
 * express-session their peer ranges admit, against an in-process dynalite.
 */
const CONSUMER_SCRIPT = `
import dynalite from 'dynalite';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import session from 'express-session';
import { SessionRepository } from '@dynamodb-session/core';
import { DynamoDBStore } from '@dynamodb-session/express';

const server = dynalite();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const client = new DynamoDBClient({
  endpoint: 'http://127.0.0.1:' + server.address().port,
  region: 'local',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
const repository = new SessionRepository({ client, table: 'oldest' });
await repository.createTable();
await repository.set('a', { user: { id: 'u-1' }, when: new Date(0) });
const read = await repository.get('a');
const outcome = await repository.save('a', read);
const store = new DynamoDBStore({ client, table: 'oldest', prefix: 'web:' });
const cookie = { originalMaxAge: 60000, expires: new Date(Date.now() + 60000) };
await store.set('b', { cookie, views: 2 });
const viaStore = await store.get('b');
await store.destroy('b');
await repository.destroy('a');
console.log(JSON.stringify({
  read, outcome,
  storeIsExpressSessionStore: store instanceof session.Store,
  viaStore: viaStore && { views: viaStore.views, hasCookie: typeof viaStore.cookie === 'object' },
  afterDestroy: [await repository.get('a'), await store.get('b')],
}));
client.destroy();
server.close();
`;

/**
 * A user's install of the packed packages with npm (not the workspace's pnpm), strict about
 * peers, on the oldest versions the peer ranges promise: proves the low ends of the ranges,
 * which the workspace (pinned to current versions) never runs. Needs the packages built and the
 * npm registry (or npm's cache).
 */
describe('the packed packages on the oldest supported AWS SDK and express-session', () => {
  let directory = '';

  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), 'oldest-supported-'));
    const packed = JSON.parse(
      execFileSync(
        process.execPath,
        [
          'scripts/pnpm.mjs',
          '--filter',
          '@dynamodb-session/core',
          '--filter',
          '@dynamodb-session/express',
          'pack',
          '--pack-destination',
          directory,
          '--json',
        ],
        { cwd: root, encoding: 'utf8' },
      ),
    ) as { name: string; filename: string }[];
    const dynalite = listWorkspacePackages().find(
      (pkg) => pkg.name === '@dynamodb-session/test-support',
    )?.manifest.dependencies?.dynalite;
    const app = join(directory, 'app');
    mkdirSync(app);
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({
        name: 'oldest-supported-consumer',
        private: true,
        type: 'module',
        dependencies: {
          ...Object.fromEntries(packed.map(({ name, filename }) => [name, `file:${filename}`])),
          ...OLDEST,
          dynalite,
        },
      }),
    );
    writeFileSync(join(app, 'consumer.mjs'), CONSUMER_SCRIPT);
    execFileSync(
      'npm',
      ['install', '--strict-peer-deps', '--no-audit', '--no-fund', '--loglevel=error'],
      {
        cwd: app,
        encoding: 'utf8',
      },
    );
  }, 180_000);

  afterAll(() => {
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  it('installs with strict peers and stores, reads, refreshes and deletes sessions', () => {
    const installed = JSON.parse(
      execFileSync('npm', ['ls', '--json', ...Object.keys(OLDEST)], {
        cwd: join(directory, 'app'),
        encoding: 'utf8',
      }),
    ) as { dependencies: Record<string, { version: string }> };
    for (const [name, version] of Object.entries(OLDEST)) {
      expect(installed.dependencies[name]?.version, name).toBe(version);
    }
    const output = execFileSync(process.execPath, ['consumer.mjs'], {
      cwd: join(directory, 'app'),
      encoding: 'utf8',
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    expect(JSON.parse(output)).toEqual({
      read: { user: { id: 'u-1' }, when: '1970-01-01T00:00:00.000Z' },
      outcome: 'skipped',
      storeIsExpressSessionStore: true,
      viaStore: { views: 2, hasCookie: true },
      afterDestroy: [null, null],
    });
  });
});
