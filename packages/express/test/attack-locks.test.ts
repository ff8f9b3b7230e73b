/**
 * Adversarial tests of the express store's mapping of requests to lock handles
 * (`pessimisticLocking`), through a real express app on the first local server of the run:
 * requests that load a session and end without the `set`, `touch` or `destroy` that would end
 * their hold.
 */
import type { Server } from 'node:http';
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
import { DynamoDBStore } from '../src/index';

declare module 'express-session' {
  interface SessionData {
    views?: number;
  }
}

const server = testServers()[0] as { name: string; endpoint: string };

describe(`attack: express store locks on ${server.name}`, () => {
  const client = localClient(server.endpoint);
  let table = '';
  const servers: Server[] = [];
  beforeAll(async () => {
    table = await createTestTable(client);
  });
  afterAll(async () => {
    for (const running of servers) running.closeAllConnections();
    for (const running of servers) running.close();
    await dropTable(client, table);
    client.destroy();
  });

  async function startApp() {
    const errors: string[] = [];
    const app = express();
    app.use(
      session({
        store: new DynamoDBStore({
          client,
          table,
          pessimisticLocking: { leaseMs: 10_000, waitMs: 1_000 },
        }),
        secret: 'attack',
        resave: false,
        saveUninitialized: false,
      }),
    );
    app.get('/count', (req, res) => {
      req.session.views = (req.session.views ?? 0) + 1;
      res.json({ views: req.session.views });
    });
    // express-session's `unset: 'keep'` (the default): the request drops its session, and
    // express-session sends the store nothing at the end
    app.get('/drop', (req, res) => {
      (req as { session: unknown }).session = null;
      res.json({ dropped: true });
    });
    // a response that never ends (a stream torn down when the client went away)
    app.get('/abort', (_req, res) => {
      res.destroy();
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
    const running = app.listen(0, '127.0.0.1');
    servers.push(running);
    await new Promise((resolve) => running.once('listening', resolve));
    const url = `http://127.0.0.1:${(running.address() as AddressInfo).port}`;
    return { browser: cookieJarFetch(url), errors };
  }

  for (const path of ['/drop', '/abort']) {
    it(`a request that loads the session and ends without writing (${path}) does not leave it locked for the next request`, async () => {
      const { browser, errors } = await startApp();
      expect((await browser('/count')).status).toBe(200);
      await browser(path).catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 50));
      const started = performance.now();
      const next = await browser('/count');
      expect({ status: next.status, errors }).toEqual({ status: 200, errors: [] });
      expect(((await next.json()) as { views: number }).views).toBe(2);
      expect(performance.now() - started).toBeLessThan(900);
    });
  }
});
