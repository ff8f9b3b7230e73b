import {
  createTestTable,
  dropTable,
  localClient,
  testServers,
} from '@dynamodb-session/test-support';
import connect from 'connect';
import express5 from 'express';
import express4 from 'express-4';
import session from 'express-session';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBStore } from '../src/index';

declare module 'express-session' {
  interface SessionData {
    views?: number;
    user?: string;
  }
}

type Framework = 'express 5' | 'express 4';
const frameworks: Record<Framework, typeof express5> = {
  'express 5': express5,
  'express 4': express4,
};

function buildApp(framework: typeof express5, store: session.Store, maxAge = 60_000) {
  const app = framework();
  app.use(
    session({
      store,
      secret: 'keyboard cat',
      resave: false,
      saveUninitialized: false,
      cookie: { maxAge },
    }),
  );
  app.get('/count', (req, res) => {
    req.session.views = (req.session.views ?? 0) + 1;
    res.json({ views: req.session.views, id: req.sessionID });
  });
  app.get('/whoami', (req, res) => {
    res.json({ user: req.session.user ?? null, views: req.session.views ?? 0, id: req.sessionID });
  });
  app.post('/login', (req, res, next) => {
    req.session.regenerate((error) => {
      if (error) return next(error);
      req.session.user = 'ann';
      res.json({ id: req.sessionID });
    });
  });
  app.post('/logout', (req, res, next) => {
    req.session.destroy((error) => (error ? next(error) : res.json({ ok: true })));
  });
  app.use(
    (
      error: Error & { code?: string },
      _req: express5.Request,
      res: express5.Response,
      _next: express5.NextFunction,
    ) => {
      res.status(500).json({ error: error.code ?? error.message });
    },
  );
  return app;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const server of testServers()) {
  describe(`express-session on ${server.name}`, () => {
    const client = localClient(server.endpoint);
    let table = '';
    beforeAll(async () => {
      table = await createTestTable(client);
    });
    afterAll(async () => {
      await dropTable(client, table);
      client.destroy();
    });

    for (const [name, framework] of Object.entries(frameworks)) {
      describe(name, () => {
        it('creates a session, reads it back and modifies it across requests', async () => {
          const store = new DynamoDBStore({ client, table });
          const agent = request.agent(buildApp(framework, store));
          const first = await agent.get('/count').expect(200);
          expect(first.body.views).toBe(1);
          expect(first.headers['set-cookie']?.[0]).toMatch(/^connect\.sid=/);
          await agent.get('/count').expect(200, { views: 2, id: first.body.id });
          const third = await agent.get('/count').expect(200);
          expect(third.body).toEqual({ views: 3, id: first.body.id });
          expect(await store.repository.get(first.body.id)).toMatchObject({ views: 3 });
        });

        it('does not store a session nobody touched (saveUninitialized: false)', async () => {
          const store = new DynamoDBStore({ client, table });
          const response = await request(buildApp(framework, store)).get('/whoami').expect(200);
          expect(response.headers['set-cookie']).toBeUndefined();
          expect(await store.repository.get(response.body.id)).toBeNull();
        });

        it('regenerates on login: the old id is gone, the new one holds the user', async () => {
          const store = new DynamoDBStore({ client, table });
          const agent = request.agent(buildApp(framework, store));
          const before = await agent.get('/count').expect(200);
          const login = await agent.post('/login').expect(200);
          expect(login.body.id).not.toBe(before.body.id);
          expect(await store.repository.get(before.body.id)).toBeNull();
          await agent.get('/whoami').expect(200, { user: 'ann', views: 0, id: login.body.id });
        });

        it('destroys the session on logout', async () => {
          const store = new DynamoDBStore({ client, table });
          const agent = request.agent(buildApp(framework, store));
          const login = await agent.post('/login').expect(200);
          await agent.post('/logout').expect(200);
          expect(await store.repository.get(login.body.id)).toBeNull();
          const after = await agent.get('/whoami').expect(200);
          expect(after.body.user).toBeNull();
        });

        it('ends a session when its cookie expires, to the millisecond', async () => {
          const store = new DynamoDBStore({ client, table });
          const app = buildApp(framework, store, 700);
          const agent = request.agent(app);
          const first = await agent.get('/count').expect(200);
          const cookie = first.headers['set-cookie']?.[0]?.split(';')[0] ?? '';
          await sleep(800);
          const replay = await request(app).get('/whoami').set('Cookie', cookie).expect(200);
          expect(replay.body.views).toBe(0);
          expect(replay.body.id).not.toBe(first.body.id);
        });

        it('refreshes an unchanged session through the store without rewriting its data', async () => {
          const store = new DynamoDBStore({ client, table, touchAfterMs: 0 });
          const agent = request.agent(buildApp(framework, store));
          const first = await agent.get('/count').expect(200);
          const sent: string[] = [];
          store.repository.client.middlewareStack.add(
            (next, context) => async (args) => {
              sent.push(context.commandName ?? '?');
              return next(args);
            },
            { step: 'initialize', name: 'count-commands' },
          );
          try {
            await sleep(1_000 - (Date.now() % 1000) + 20);
            await agent.get('/whoami').expect(200, { user: null, views: 1, id: first.body.id });
            await agent.get('/whoami').expect(200, { user: null, views: 1, id: first.body.id });
          } finally {
            store.repository.client.middlewareStack.remove('count-commands');
          }
          expect(sent.filter((name) => name === 'GetItemCommand')).toHaveLength(2);
          expect(sent.filter((name) => name === 'UpdateItemCommand')).toHaveLength(1);
          expect(sent).not.toContain('PutItemCommand');
        });

        it('answers 500 through the error handler when loading from DynamoDB fails', async () => {
          const working = new DynamoDBStore({ client, table });
          const created = await request(buildApp(framework, working)).get('/count').expect(200);
          const cookie = created.headers['set-cookie']?.[0]?.split(';')[0] ?? '';
          const broken = new DynamoDBStore({ client, table: 'no-such-table' });
          await request(buildApp(framework, broken))
            .get('/whoami')
            .set('Cookie', cookie)
            .expect(500, { error: 'TABLE_NOT_FOUND' });
        });
      });
    }

    it('serves sessions for a connect 3 app', async () => {
      const store = new DynamoDBStore({ client, table });
      const app = connect();
      const middleware = session({
        store,
        secret: 'keyboard cat',
        resave: false,
        saveUninitialized: false,
      });
      app.use(middleware as unknown as connect.NextHandleFunction);
      app.use(
        (
          req: import('node:http').IncomingMessage & {
            session?: session.Session & { views?: number };
          },
          res: import('node:http').ServerResponse,
        ) => {
          const sess = req.session as session.Session & { views?: number };
          sess.views = (sess.views ?? 0) + 1;
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ views: sess.views }));
        },
      );
      const agent = request.agent(app);
      await agent.get('/').expect(200, { views: 1 });
      await agent.get('/').expect(200, { views: 2 });
      await agent.get('/').expect(200, { views: 3 });
    });
  });
}
