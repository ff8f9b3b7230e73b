import {
  createTestTable,
  dropTable,
  localClient,
  testServers,
} from '@dynamodb-session/test-support';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBStore } from '../src/index';
import { type Browser, browserFor, buildApp, fastifyVersions } from './apps';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const server of testServers()) {
  describe(`fastify with pessimisticLocking on ${server.name}`, () => {
    const client = localClient(server.endpoint);
    let table = '';
    const apps: FastifyInstance[] = [];
    beforeAll(async () => {
      table = await createTestTable(client);
    });
    afterAll(async () => {
      await Promise.all(apps.map((app) => app.close()));
      await dropTable(client, table);
      client.destroy();
    });

    /**
     * The contract's app plus `/slow-count` (read, wait, write) and `/count-and-save` (an
     * explicit save, then an answer slow enough that the next requests write before the end).
     */
    async function startLockingApp(): Promise<Browser> {
      const store = new DynamoDBStore({
        client,
        table,
        pessimisticLocking: { leaseMs: 30_000, waitMs: 10_000 },
      });
      const app = buildApp(fastifyVersions[0] as (typeof fastifyVersions)[0], store, 60_000);
      app.get('/slow-count', async (request) => {
        const views = (request.session.views ?? 0) + 1;
        await pause(30);
        request.session.views = views;
        return { views };
      });
      app.get('/count-and-save', async (request) => {
        const views = (request.session.views ?? 0) + 1;
        await pause(100);
        request.session.views = views;
        await request.session.save();
        await pause(400);
        return { views };
      });
      apps.push(app);
      return browserFor(app, 'http');
    }

    for (const path of ['/slow-count', '/count-and-save']) {
      it(`loses no increment of concurrent requests on one session (${path})`, async () => {
        const browser = await startLockingApp();
        await browser('GET', '/count');
        const answers = await Promise.all(Array.from({ length: 5 }, () => browser('GET', path)));
        expect(answers.map((answer) => answer.status)).toEqual(Array(5).fill(200));
        expect((await browser('GET', '/peek')).body).toEqual({ views: 6 });
      }, 30_000);
    }
  });
}
