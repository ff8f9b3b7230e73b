import type { AddressInfo } from 'node:net';
import {
  cookieJarFetch,
  createTestTable,
  dropTable,
  localClient,
  testServers,
} from '@dynamodb-session/test-support';
import express from 'express';
import session from 'express-session';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBStore, type DynamoDBStoreOptions } from '../src/index';

declare module 'express-session' {
  interface SessionData {
    views?: number;
  }
}

async function startSlowCounter(options: DynamoDBStoreOptions, errors: string[] = []) {
  const app = express();
  app.use(
    session({
      store: new DynamoDBStore(options),
      secret: 'concurrency',
      resave: false,
      saveUninitialized: false,
    }),
  );
  app.get('/count', async (req, res) => {
    const views = (req.session.views ?? 0) + 1;
    await new Promise((resolve) => setTimeout(resolve, 30));
    req.session.views = views;
    res.json({ views });
  });
  app.get('/count-and-save', async (req, res, next) => {
    const views = (req.session.views ?? 0) + 1;
    await new Promise((resolve) => setTimeout(resolve, 300));
    req.session.views = views;
    try {
      await new Promise<void>((resolve, reject) =>
        req.session.save((error) => (error ? reject(error) : resolve())),
      );
    } catch (error) {
      next(error);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    res.json({ views: req.session.views });
  });
  app.use(
    (
      error: Error & { code?: string },
      _req: express.Request,
      res: express.Response,
      _next: express.NextFunction,
    ) => {
      errors.push(error.code ?? 'INTERNAL');
      if (!res.headersSent) res.status(500).json({ error: error.code ?? 'INTERNAL' });
    },
  );
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

for (const server of testServers()) {
  describe(`concurrent requests on one session, express on ${server.name}`, () => {
    const client = localClient(server.endpoint);
    let table = '';
    const servers: import('node:http').Server[] = [];
    beforeAll(async () => {
      table = await createTestTable(client);
    });
    afterAll(async () => {
      for (const running of servers) running.close();
      await dropTable(client, table);
      client.destroy();
    });

    it('with pessimisticLocking, loses no increment of concurrent requests', async () => {
      const app = await startSlowCounter({ client, table, pessimisticLocking: { waitMs: 10_000 } });
      servers.push(app.server);
      const browser = cookieJarFetch(app.url);
      await browser('/count');
      const responses = await Promise.all(Array.from({ length: 6 }, () => browser('/count')));
      expect(responses.map((response) => response.status)).toEqual(Array(6).fill(200));
      const last = (await (await browser('/count')).json()) as { views: number };
      expect(last.views).toBe(8);
    }, 30_000);

    it("with pessimisticLocking, an explicit save and the touch express-session sends after it leave the next request's lock alone", async () => {
      const errors: string[] = [];
      const app = await startSlowCounter(
        { client, table, pessimisticLocking: { waitMs: 10_000 } },
        errors,
      );
      servers.push(app.server);
      const browser = cookieJarFetch(app.url);
      await browser('/count');
      const responses = await Promise.all(
        Array.from({ length: 6 }, () => browser('/count-and-save')),
      );
      expect(errors).toEqual([]);
      expect(responses.map((response) => response.status)).toEqual(Array(6).fill(200));
      const last = (await (await browser('/count')).json()) as { views: number };
      expect(last.views).toBe(8);
    }, 30_000);

    it('with optimisticLocking, a save based on a stale read fails with CONFLICT instead of overwriting', async () => {
      const errors: string[] = [];
      const app = await startSlowCounter({ client, table, optimisticLocking: true }, errors);
      servers.push(app.server);
      const browser = cookieJarFetch(app.url);
      await browser('/count');
      await Promise.all(Array.from({ length: 4 }, () => browser('/count')));
      await new Promise((resolve) => setTimeout(resolve, 50));
      const conflicts = errors.filter((code) => code === 'CONFLICT').length;
      expect(errors.every((code) => code === 'CONFLICT')).toBe(true);
      expect(conflicts).toBeGreaterThan(0);
      const last = (await (await browser('/count')).json()) as { views: number };
      expect(last.views).toBe(1 + (4 - conflicts) + 1);
    });
  });
}
