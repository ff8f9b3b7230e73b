/**
 * Two requests of one session served at once by one process: one changes the session, the
 * other (loaded before that change, ending after it) leaves it as it was. @fastify/session saves
 * both (rolling); the unchanged one must not write its stale copy over the change.
 */
import {
  createTestTable,
  dropTable,
  localClient,
  testServers,
} from '@dynamodb-session/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBStore } from '../src/index';
import { browserFor, buildApp, fastifyVersions } from './apps';

const server = testServers()[0] as { name: string; endpoint: string };

describe(`two concurrent requests of one session in one process, on ${server.name}`, () => {
  const client = localClient(server.endpoint);
  let table = '';
  beforeAll(async () => {
    table = await createTestTable(client);
  });
  afterAll(async () => {
    await dropTable(client, table);
    client.destroy();
  });

  for (const version of fastifyVersions) {
    it(`keeps the change of one when the other, unchanged, ends later (${version.name})`, async () => {
      const store = new DynamoDBStore({ client, table });
      const app = buildApp(version, store, 3_600_000);
      let entered: () => void = () => {};
      const slowEntered = new Promise<void>((resolve) => {
        entered = resolve;
      });
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      app.get('/slow-peek', async (request) => {
        entered();
        await gate;
        return { views: request.session.views ?? 0 };
      });
      try {
        const browser = await browserFor(app, 'inject');
        expect((await browser('GET', '/count')).body).toEqual({ views: 1 });
        const slow = browser('GET', '/slow-peek');
        await slowEntered;
        expect((await browser('GET', '/count')).body).toEqual({ views: 2 });
        release();
        expect((await slow).body).toEqual({ views: 1 });
        expect((await browser('GET', '/peek')).body).toEqual({ views: 2 });
      } finally {
        await app.close();
      }
    });
  }
});
