import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import {
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  createTestTable,
  dropTable,
  localClient,
  testServers,
  uniqueTableName,
} from '@dynamodb-session/test-support';
import express from 'express';
import session from 'express-session';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type * as Api from '../src/index';

/**
 * The package as a connect-dynamodb user loads it: `require('@dynamodb-session/express')` is the
 * factory (the built CommonJS entry), with every named export as a property.
 */
type Factory = typeof Api.connectDynamoDB & typeof Api;
type StoredSession = Api.StoredSession;

/** connect-dynamodb 3.0.5's store, as far as these tests use it. */
interface LegacyStore extends session.Store {
  clearInterval(): void;
}
type LegacyStoreClass = new (options: Record<string, unknown>) => LegacyStore;

const requireCjs = createRequire(import.meta.url);
const connectDynamoDB = requireCjs('@dynamodb-session/express') as Factory;
const legacyConnectDynamoDB = requireCjs('connect-dynamodb') as (
  connect: unknown,
) => LegacyStoreClass;
const StoreClass = connectDynamoDB({ session });
const LegacyStoreClass = legacyConnectDynamoDB({ session });

const SECRET = 'connect-dynamodb compatibility';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const nowSeconds = () => Math.floor(Date.now() / 1000);

type AppSession = session.Session & { user?: string; count?: number };

/** An express 5 app on `store`: log in, count, log out; errors answer 500 with their code. */
function buildApp(store: session.Store) {
  const app = express();
  app.use(
    session({
      store,
      secret: SECRET,
      resave: false,
      saveUninitialized: false,
      cookie: { maxAge: 3_600_000 },
    }),
  );
  app.post('/login', (req, res) => {
    const data = req.session as AppSession;
    data.user = 'ann';
    data.count = 1;
    res.json({ user: data.user, count: data.count, id: req.sessionID });
  });
  app.get('/count', (req, res) => {
    const data = req.session as AppSession;
    if (!data.user) {
      res.status(401).json({ user: null, id: req.sessionID });
      return;
    }
    data.count = (data.count ?? 0) + 1;
    res.json({ user: data.user, count: data.count, id: req.sessionID });
  });
  app.get('/whoami', (req, res) => {
    const data = req.session as AppSession;
    res.json({ user: data.user ?? null, count: data.count ?? 0, id: req.sessionID });
  });
  app.post('/logout', (req, res, next) => {
    req.session.destroy((error) => (error ? next(error) : res.json({ ok: true })));
  });
  app.use(
    (
      error: Error & { code?: string },
      _req: express.Request,
      res: express.Response,
      _next: express.NextFunction,
    ) => {
      res.status(500).json({ error: error.code ?? error.message });
    },
  );
  return app;
}

/** The `name=value` part of the session cookie a response set. */
function cookieOf(response: request.Response): string {
  const header = response.headers['set-cookie'] as unknown as string[] | undefined;
  const cookie = header?.[0]?.split(';')[0];
  if (!cookie) throw new Error('the response set no cookie');
  return cookie;
}

/** A session cookie for `sid` signed with {@link SECRET}, as express-session signs it. */
function signedCookie(sid: string): string {
  const signature = createHmac('sha256', SECRET).update(sid).digest('base64').replace(/=+$/, '');
  return `connect.sid=${encodeURIComponent(`s:${sid}.${signature}`)}`;
}

/** A client for `endpoint` that counts the commands sent through it, by command name. */
function countingClient(endpoint: string) {
  const client = localClient(endpoint);
  const counts = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? '?';
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'count-commands' },
  );
  return { client, count: (name: string) => counts.get(name) ?? 0 };
}

/** Calls a callback-style method and resolves what it called back with. */
function viaCallback<T>(call: (callback: (error: Error | null, result?: T) => void) => void) {
  return new Promise<{ error: Error | null; result: T | undefined; calls: number }>((resolve) => {
    let calls = 0;
    call((error, result) => {
      calls += 1;
      // let a second call, if any, land before the test looks
      setTimeout(() => resolve({ error: error ?? null, result, calls }), 20);
    });
  });
}

/** A session as express-session hands it to a store, expiring at `expiresAt` (epoch ms). */
function storedSession(expiresAt: number, extra: Record<string, unknown> = {}): StoredSession {
  return {
    cookie: {
      originalMaxAge: expiresAt - Date.now(),
      expires: new Date(expiresAt),
      httpOnly: true,
      path: '/',
    },
    ...extra,
  } as unknown as StoredSession;
}

describe('the connect-dynamodb factory', () => {
  it('accepts express-session, { session } and a { Store } object, and returns the store class', () => {
    const Class = connectDynamoDB.ConnectDynamoDBStore;
    expect(typeof Class).toBe('function');
    expect(connectDynamoDB(session)).toBe(Class);
    expect(connectDynamoDB({ session })).toBe(Class);
    expect(connectDynamoDB({ Store: session.Store })).toBe(Class);
    expect(connectDynamoDB({ session: { Store: session.Store } })).toBe(Class);
    const store = new Class({ table: 'sessions', region: 'us-east-1', initialized: true });
    expect(store).toBeInstanceOf(session.Store);
    store.close();
  });

  it('throws a TypeError for an argument that exposes no Store', () => {
    for (const bad of [{}, 42, null, 'session', { session: {} }, { Store: 'not a class' }]) {
      expect(() => connectDynamoDB(bad as never)).toThrow(TypeError);
    }
    expect(() => connectDynamoDB({} as never)).toThrow(/pass express-session/);
  });

  it('rejects AWSConfigPath with a message naming what to use instead', () => {
    let thrown: unknown;
    try {
      new StoreClass({ AWSConfigPath: './aws-config.json', initialized: true });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as { code?: string }).code).toBe('INVALID_OPTIONS');
    expect((thrown as Error).message).toMatch(/AWSConfigPath/);
    expect((thrown as Error).message).toMatch(/new DynamoDBClient\(/);
    expect((thrown as Error).message).toMatch(/AWS_REGION/);
  });

  it('honours AWSRegion for the client it builds', async () => {
    const store = new StoreClass({ AWSRegion: 'eu-west-3', initialized: true });
    try {
      await expect(store.client.config.region()).resolves.toBe('eu-west-3');
    } finally {
      store.close();
    }
  });
});

for (const server of testServers()) {
  describe(`connect-dynamodb drop-in on ${server.name}`, () => {
    const client = localClient(server.endpoint);
    const extraTables: string[] = [];
    let table = '';

    beforeAll(async () => {
      table = await createTestTable(client, { table: uniqueTableName('compat') });
    });
    afterAll(async () => {
      await Promise.all([table, ...extraTables].map((name) => dropTable(client, name)));
      client.destroy();
    });

    async function rawItem(key: string, tableName = table) {
      const output = await client.send(
        new GetItemCommand({ TableName: tableName, Key: { id: { S: key } }, ConsistentRead: true }),
      );
      return output.Item?.sess ? output.Item : undefined; // a tombstone holds no session
    }

    async function putRaw(key: string, expiresSeconds: number) {
      await client.send(
        new PutItemCommand({
          TableName: table,
          Item: {
            id: { S: key },
            expires: { N: String(expiresSeconds) },
            type: { S: 'connect-session' },
            sess: { S: JSON.stringify({ cookie: { path: '/' }, user: 'old' }) },
          },
        }),
      );
    }

    describe('sessions shared with connect-dynamodb 3.0.5', () => {
      it('serves the sessions connect-dynamodb wrote, and connect-dynamodb reads them back', async () => {
        const legacyApp = buildApp(new LegacyStoreClass({ table, client, initialized: true }));
        const ourStore = new StoreClass({ table, client, initialized: true });
        const ourApp = buildApp(ourStore);

        const agent = request.agent(legacyApp);
        const login = await agent.post('/login').expect(200);
        const { id } = login.body as { id: string };
        await agent.get('/count').expect(200, { user: 'ann', count: 2, id });
        const written = await rawItem(`sess:${id}`);
        expect(written?.type).toEqual({ S: 'connect-session' });

        const cookie = cookieOf(login);
        await request(ourApp)
          .get('/count')
          .set('Cookie', cookie)
          .expect(200, { user: 'ann', count: 3, id });
        await request(ourApp)
          .get('/count')
          .set('Cookie', cookie)
          .expect(200, { user: 'ann', count: 4, id });
        const rewritten = await rawItem(`sess:${id}`);
        expect(Number.isInteger(Number(rewritten?.expires?.N))).toBe(true);
        expect(JSON.parse(rewritten?.sess?.S ?? '{}')).toMatchObject({ user: 'ann', count: 4 });

        // rollback: connect-dynamodb continues where our store left off
        await agent.get('/count').expect(200, { user: 'ann', count: 5, id });
        await request(ourApp)
          .get('/whoami')
          .set('Cookie', cookie)
          .expect(200, { user: 'ann', count: 5, id });
      });

      it('writes sessions that connect-dynamodb serves (rollback safety), logout included', async () => {
        const ourApp = buildApp(new StoreClass({ table, client, initialized: true }));
        const legacyApp = buildApp(new LegacyStoreClass({ table, client, initialized: true }));

        const agent = request.agent(ourApp);
        const login = await agent.post('/login').expect(200);
        const { id } = login.body as { id: string };
        await agent.get('/count').expect(200, { user: 'ann', count: 2, id });

        const cookie = cookieOf(login);
        await request(legacyApp)
          .get('/count')
          .set('Cookie', cookie)
          .expect(200, { user: 'ann', count: 3, id });
        await agent.get('/count').expect(200, { user: 'ann', count: 4, id });
        await request(legacyApp)
          .get('/whoami')
          .set('Cookie', cookie)
          .expect(200, { user: 'ann', count: 4, id });

        await agent.post('/logout').expect(200);
        expect(await rawItem(`sess:${id}`)).toBeUndefined();
        const after = await request(legacyApp).get('/count').set('Cookie', cookie).expect(401);
        expect(after.body.id).not.toBe(id);
      });

      it('shares sessions under a custom hashKey and prefix', async () => {
        const custom = await createTestTable(client, {
          table: uniqueTableName('compat-key'),
          hashKey: 'sessionId',
        });
        extraTables.push(custom);
        const options = {
          table: custom,
          client,
          initialized: true,
          hashKey: 'sessionId',
          prefix: 'app1:',
        };
        const legacyAgent = request.agent(buildApp(new LegacyStoreClass(options)));
        const login = await legacyAgent.post('/login').expect(200);
        const { id } = login.body as { id: string };
        const stored = await client.send(
          new GetItemCommand({ TableName: custom, Key: { sessionId: { S: `app1:${id}` } } }),
        );
        expect(stored.Item?.sess?.S).toBeDefined();
        const ourApp = buildApp(new StoreClass(options));
        await request(ourApp)
          .get('/count')
          .set('Cookie', cookieOf(login))
          .expect(200, { user: 'ann', count: 2, id });
        await legacyAgent.get('/count').expect(200, { user: 'ann', count: 3, id });
      });
    });

    describe('the table check on first use', () => {
      it('creates a missing table once under concurrent first requests, on-demand and ACTIVE', async () => {
        const { client: counted, count } = countingClient(server.endpoint);
        const name = uniqueTableName('first-use');
        extraTables.push(name);
        const store = new StoreClass({ table: name, client: counted });
        expect(store.initialized).toBe(false);
        const app = buildApp(store);

        const responses = await Promise.all(
          Array.from({ length: 10 }, () => request(app).post('/login')),
        );
        expect(responses.map((response) => response.status)).toEqual(Array(10).fill(200));
        expect(count('CreateTableCommand')).toBe(1);
        expect(store.initialized).toBe(true);

        const described = await client.send(new DescribeTableCommand({ TableName: name }));
        expect(described.Table?.TableStatus).toBe('ACTIVE');
        expect(described.Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');

        // every one of the ten sessions was stored and is served
        const ids = new Set<string>();
        for (const response of responses) {
          const { id } = response.body as { id: string };
          ids.add(id);
          await request(app)
            .get('/count')
            .set('Cookie', cookieOf(response))
            .expect(200, { user: 'ann', count: 2, id });
        }
        expect(ids.size).toBe(10);
        expect(count('CreateTableCommand')).toBe(1);
        counted.destroy();
      });

      it('checks an existing table with one DescribeTable, and not at all with initialized: true', async () => {
        const checked = countingClient(server.endpoint);
        const agent = request.agent(buildApp(new StoreClass({ table, client: checked.client })));
        await agent.post('/login').expect(200);
        await agent.get('/count').expect(200);
        await agent.get('/whoami').expect(200);
        expect(checked.count('DescribeTableCommand')).toBe(1);
        expect(checked.count('CreateTableCommand')).toBe(0);
        checked.client.destroy();

        const trusted = countingClient(server.endpoint);
        const store = new StoreClass({ table, client: trusted.client, initialized: true });
        expect(store.initialized).toBe(true);
        const trustedAgent = request.agent(buildApp(store));
        await trustedAgent.post('/login').expect(200);
        await trustedAgent.get('/count').expect(200);
        await trustedAgent.get('/whoami').expect(200);
        expect(trusted.count('PutItemCommand')).toBeGreaterThanOrEqual(2);
        expect(trusted.count('GetItemCommand')).toBe(2);
        expect(trusted.count('DescribeTableCommand')).toBe(0);
        expect(trusted.count('CreateTableCommand')).toBe(0);
        trusted.client.destroy();
      });

      it('reports a failing DescribeTable to the error handler as a 500 and retries on the next request', async () => {
        const unhandled: unknown[] = [];
        const onUnhandled = (reason: unknown) => unhandled.push(reason);
        process.on('unhandledRejection', onUnhandled);
        const { client: guarded, count } = countingClient(server.endpoint);
        let denyDescribe = true;
        guarded.middlewareStack.add(
          (next, context) => async (args) => {
            if (denyDescribe && context.commandName === 'DescribeTableCommand') {
              throw Object.assign(new Error('not authorized to perform dynamodb:DescribeTable'), {
                name: 'AccessDeniedException',
              });
            }
            return next(args);
          },
          { step: 'initialize', name: 'deny-describe' },
        );
        try {
          const store = new StoreClass({ table, client: guarded });
          const app = buildApp(store);
          const cookie = signedCookie('a-session-id-nobody-has');

          await request(app)
            .get('/whoami')
            .set('Cookie', cookie)
            .expect(500, { error: 'ACCESS_DENIED' });
          await request(app)
            .get('/whoami')
            .set('Cookie', cookie)
            .expect(500, { error: 'ACCESS_DENIED' });
          expect(count('DescribeTableCommand')).toBe(2);
          expect(count('GetItemCommand')).toBe(0);
          expect(store.initialized).toBe(false);

          denyDescribe = false;
          const recovered = await request(app).get('/whoami').set('Cookie', cookie).expect(200);
          expect(recovered.body.user).toBeNull();
          expect(count('DescribeTableCommand')).toBe(3);
          expect(count('GetItemCommand')).toBe(1);
          expect(count('CreateTableCommand')).toBe(0);
          expect(store.initialized).toBe(true);

          await sleep(50);
          expect(unhandled).toEqual([]);
        } finally {
          process.off('unhandledRejection', onUnhandled);
          guarded.destroy();
        }
      });

      it('calls back once with the error when the check fails for a direct call', async () => {
        const denying = localClient(server.endpoint);
        denying.middlewareStack.add(
          (next, context) => async (args) => {
            if (context.commandName === 'DescribeTableCommand') {
              throw Object.assign(new Error('denied'), { name: 'AccessDeniedException' });
            }
            return next(args);
          },
          { step: 'initialize', name: 'deny-describe' },
        );
        try {
          const store = new StoreClass({ table, client: denying });
          const got = await viaCallback<StoredSession | null>((callback) =>
            store.get('sid', callback),
          );
          expect(got.calls).toBe(1);
          expect((got.error as { code?: string } | null)?.code).toBe('ACCESS_DENIED');
          const saved = await viaCallback<void>((callback) =>
            store.set('sid', storedSession(Date.now() + 60_000), callback),
          );
          expect((saved.error as { code?: string } | null)?.code).toBe('ACCESS_DENIED');
          await expect(store.initialize()).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
          expect(await rawItem('sess:sid')).toBeUndefined();
        } finally {
          denying.destroy();
        }
      });
    });

    describe("what connect-dynamodb 3.0.5's own tests check", () => {
      it("initialize() calls the store's own describeSessionsTable, then createSessionsTable for a missing table, once", async () => {
        const name = uniqueTableName('spied');
        extraTables.push(name);
        const store = new StoreClass({ table: name, client });
        const describe = vi.spyOn(store, 'describeSessionsTable');
        const create = vi.spyOn(store, 'createSessionsTable');
        await store.initialize();
        expect(describe).toHaveBeenCalledTimes(1);
        expect(create).toHaveBeenCalledTimes(1);
        expect(store.initialized).toBe(true);
        await store.initialize();
        await store.set('s1', storedSession(Date.now() + 60_000, { user: 'ann' }));
        await store.get('s1');
        expect(describe).toHaveBeenCalledTimes(1);
        expect(create).toHaveBeenCalledTimes(1);
        const described = await client.send(new DescribeTableCommand({ TableName: name }));
        expect(described.Table?.TableStatus).toBe('ACTIVE');
      });

      it('initialize() describes an existing table once and creates nothing; initialized: true calls neither', async () => {
        const existing = new StoreClass({ table, client });
        const describe = vi.spyOn(existing, 'describeSessionsTable');
        const create = vi.spyOn(existing, 'createSessionsTable');
        await existing.initialize();
        await existing.initialize();
        expect(describe).toHaveBeenCalledTimes(1);
        expect(create).not.toHaveBeenCalled();

        const trusted = new StoreClass({ table, client, initialized: true });
        const trustedDescribe = vi.spyOn(trusted, 'describeSessionsTable');
        const trustedCreate = vi.spyOn(trusted, 'createSessionsTable');
        await trusted.initialize();
        expect(trustedDescribe).not.toHaveBeenCalled();
        expect(trustedCreate).not.toHaveBeenCalled();
      });

      it('initialize() follows overrides: a describeSessionsTable that fails with ResourceNotFoundException leads to the overriding createSessionsTable', async () => {
        class Overriding extends StoreClass {
          calls: string[] = [];
          override async describeSessionsTable(): Promise<never> {
            this.calls.push('describe');
            throw Object.assign(new Error('Requested resource not found'), {
              name: 'ResourceNotFoundException',
            });
          }
          override async createSessionsTable(): Promise<void> {
            this.calls.push('create');
          }
        }
        const store = new Overriding({ table, client });
        await store.initialize();
        await store.initialize();
        expect(store.calls).toEqual(['describe', 'create']);

        // any other failure of the override fails the check, which runs again next time
        const denied = new StoreClass({ table, client });
        let attempts = 0;
        denied.describeSessionsTable = async () => {
          attempts += 1;
          throw Object.assign(new Error('denied'), { name: 'AccessDeniedException' });
        };
        const create = vi.spyOn(denied, 'createSessionsTable');
        await expect(denied.initialize()).rejects.toMatchObject({ name: 'AccessDeniedException' });
        await expect(denied.initialize()).rejects.toThrow('denied');
        expect(attempts).toBe(2);
        expect(create).not.toHaveBeenCalled();
        expect(denied.initialized).toBe(false);
      });

      it('a session whose cookie has only maxAge expires maxAge from now, and comes back as stored', async () => {
        const store = new StoreClass({ table, client, initialized: true, prefix: 'maxage:' });
        const before = Date.now();
        await store.set('s1', { cookie: { maxAge: 2_000 }, name: 'ann' } as never);
        const after = Date.now();
        const ttl = Number((await rawItem('maxage:s1'))?.expires?.N);
        expect(ttl).toBeGreaterThanOrEqual(Math.ceil((before + 2_000) / 1000));
        expect(ttl).toBeLessThanOrEqual(Math.ceil((after + 2_000) / 1000));
        await expect(store.get('s1')).resolves.toEqual({ cookie: { maxAge: 2_000 }, name: 'ann' });
        expect(store.getExpiresValue({ cookie: { maxAge: 2_000 } } as never)).toBe(
          Math.ceil((Date.now() + 2_000) / 1000),
        );

        const touchedAt = Date.now();
        const touched = await viaCallback<{ expires: number }>((callback) =>
          store.touch('s1', { cookie: { maxAge: 2_000 }, name: 'ann' } as never, callback),
        );
        expect(touched.error).toBeNull();
        expect(touched.result?.expires).toBeGreaterThanOrEqual(
          Math.ceil((touchedAt + 2_000) / 1000),
        );
        expect(touched.result?.expires).toBeLessThanOrEqual(Math.ceil((Date.now() + 2_000) / 1000));
      });

      it('a session stored with a negative cookie.maxAge is gone, and reap() deletes it', async () => {
        const store = new StoreClass({ table, client, initialized: true, prefix: 'negative:' });
        const written = await viaCallback<void>((callback) =>
          store.set('s1', { cookie: { maxAge: -20_000 }, name: 'old' } as never, callback),
        );
        expect(written.error).toBeNull();
        expect(Number((await rawItem('negative:s1'))?.expires?.N)).toBeLessThan(nowSeconds());
        const reaped = await viaCallback<number>((callback) => store.reap(callback));
        expect(reaped.error).toBeNull();
        expect(reaped.result).toBe(1);
        expect(await rawItem('negative:s1')).toBeUndefined();
        const got = await viaCallback<StoredSession | null>((callback) =>
          store.get('s1', callback),
        );
        expect(got).toMatchObject({ error: null, result: null });
      });

      it('any given skipThrowMissingSpecialKeys, false included, writes a session that lacks a special key', async () => {
        const specialKeys = [{ name: 'number_field', type: 'N' as const }];
        for (const skipThrowMissingSpecialKeys of [false, true]) {
          const store = new StoreClass({
            table,
            client,
            initialized: true,
            prefix: `skip-${skipThrowMissingSpecialKeys}:`,
            specialKeys,
            skipThrowMissingSpecialKeys,
          });
          const written = await viaCallback<void>((callback) =>
            store.set('s1', storedSession(Date.now() + 60_000, { name: 'ann' }), callback),
          );
          expect(written.error).toBeNull();
          const item = await rawItem(`skip-${skipThrowMissingSpecialKeys}:s1`);
          expect(item?.number_field).toBeUndefined();
          expect(JSON.parse(item?.sess?.S ?? '{}')).toMatchObject({ name: 'ann' });
        }

        // an app that saves before answering, so that a failed save is its answer
        const savingApp = (skip: { skipThrowMissingSpecialKeys?: boolean }) => {
          const app = express();
          const store = new StoreClass({
            table,
            client,
            initialized: true,
            prefix: 'skip-app:',
            specialKeys: [{ name: 'userId', type: 'S' }],
            ...skip,
          });
          app.use(session({ store, secret: SECRET, resave: false, saveUninitialized: false }));
          app.post('/login', (req, res) => {
            (req.session as AppSession).user = 'ann';
            req.session.save((error?: { code?: string }) =>
              error ? res.status(500).json({ error: error.code }) : res.json({ id: req.sessionID }),
            );
          });
          return app;
        };
        const login = await request(savingApp({ skipThrowMissingSpecialKeys: false }))
          .post('/login')
          .expect(200);
        const { id } = login.body as { id: string };
        expect(await rawItem(`skip-app:${id}`)).toBeDefined();
        await request(savingApp({}))
          .post('/login')
          .expect(500, { error: 'MISSING_INDEX_ATTRIBUTE' });
      });

      it('stores and returns a special key of type N with the session, cookie untouched', async () => {
        const store = new StoreClass({
          table,
          client,
          initialized: true,
          prefix: 'number:',
          specialKeys: [{ name: 'number_field', type: 'N' }],
        });
        await store.set('s1', { cookie: { maxAge: 2_000 }, number_field: 42 } as never);
        expect((await rawItem('number:s1'))?.number_field).toEqual({ N: '42' });
        await expect(store.get('s1')).resolves.toEqual({
          cookie: { maxAge: 2_000 },
          number_field: 42,
        });
        expect(store.getParsedSession({ Item: {} })).toBeNull();
      });

      it('builds a DynamoDBClient when given none, and uses the client it is given', async () => {
        const built = new StoreClass({ table: 'sessions-test' });
        expect(built.client).toBeInstanceOf(DynamoDBClient);
        built.close();
        const given = new DynamoDBClient({ endpoint: 'http://localhost:23431' });
        const store = new StoreClass({ client: given, table: 'sessions-test' });
        expect(store.client).toBe(given);
        const endpoint = await store.client.config.endpoint?.();
        expect(endpoint).toMatchObject({ hostname: 'localhost', port: 23431, protocol: 'http:' });
        given.destroy();
      });
    });

    describe("connect-dynamodb's methods", () => {
      it('touch calls back with { expires } in whole epoch seconds, rounded up from the cookie', async () => {
        const store = new StoreClass({ table, client, initialized: true, prefix: 'touch:' });
        await store.set('s1', storedSession(Date.now() + 60_000, { user: 'ann' }));
        const expiresAt = nowSeconds() * 1000 + 7_200_000 + 250;
        const touched = await viaCallback<{ expires: number }>((callback) =>
          store.touch('s1', storedSession(expiresAt, { user: 'ann' }), callback),
        );
        expect(touched.error).toBeNull();
        expect(touched.calls).toBe(1);
        expect(touched.result).toEqual({ expires: Math.ceil(expiresAt / 1000) });
        expect(Number.isInteger(touched.result?.expires)).toBe(true);
        const item = await rawItem('touch:s1');
        expect(item?.expires).toEqual({ N: String(Math.ceil(expiresAt / 1000)) });
        expect(JSON.parse(item?.sess?.S ?? '{}')).toMatchObject({ user: 'ann' });
      });

      it('touch never creates an item for a missing session', async () => {
        const store = new StoreClass({ table, client, initialized: true, prefix: 'touch:' });
        const expiresAt = Date.now() + 3_600_000;
        const touched = await viaCallback<{ expires: number }>((callback) =>
          store.touch('nobody', storedSession(expiresAt), callback),
        );
        expect(touched.error).toBeNull();
        expect(touched.result).toEqual({ expires: Math.ceil(expiresAt / 1000) });
        expect(await rawItem('touch:nobody')).toBeUndefined();
      });

      it('getParsedSession parses items connect-dynamodb wrote (fractional expires) and drops expired ones', async () => {
        const legacy = new LegacyStoreClass({ table, client, initialized: true, prefix: 'parse:' });
        const store = new StoreClass({ table, client, initialized: true, prefix: 'parse:' });
        const setLegacy = (sid: string, maxAge: number) =>
          viaCallback<void>((callback) =>
            legacy.set(
              sid,
              {
                cookie: {
                  maxAge,
                  originalMaxAge: maxAge,
                  expires: new Date(Date.now() + maxAge),
                  path: '/',
                },
                user: sid,
              } as unknown as StoredSession,
              callback,
            ),
          );
        expect((await setLegacy('live', 3_600_500)).error).toBeNull();
        expect((await setLegacy('expired', -5_500)).error).toBeNull();

        const live = await client.send(
          new GetItemCommand({ TableName: table, Key: { id: { S: 'parse:live' } } }),
        );
        expect(live.Item?.expires?.N).toMatch(/\.5$/);
        expect(store.getParsedSession(live)).toMatchObject({ user: 'live', cookie: { path: '/' } });

        const expired = await client.send(
          new GetItemCommand({ TableName: table, Key: { id: { S: 'parse:expired' } } }),
        );
        expect(expired.Item?.expires?.N).toMatch(/\.5$/);
        expect(store.getParsedSession(expired)).toBeNull();
        expect(store.getParsedSession({})).toBeNull();
        expect(
          store.getParsedSession({ Item: { id: { S: 'parse:x' }, expires: { N: '9999999999' } } }),
        ).toBeNull();

        await expect(store.get('live')).resolves.toMatchObject({ user: 'live' });
        await expect(store.get('expired')).resolves.toBeNull();
      });

      it('getExpiresValue is the cookie expiry in whole seconds, or one day without one', () => {
        const store = new StoreClass({ table, client, initialized: true });
        const expiresAt = nowSeconds() * 1000 + 90_000 + 1;
        expect(store.getExpiresValue(storedSession(expiresAt))).toBe(Math.ceil(expiresAt / 1000));
        const before = nowSeconds();
        const value = store.getExpiresValue({});
        expect(value).toBeGreaterThanOrEqual(before + 86_400);
        expect(value).toBeLessThanOrEqual(nowSeconds() + 86_401);
      });

      it('describeSessionsTable describes the table, and fails for a missing one', async () => {
        const store = new StoreClass({ table, client, initialized: true });
        const description = await store.describeSessionsTable();
        expect(description.status).toBe('ACTIVE');
        expect(description.partitionKey).toEqual({ name: 'id', type: 'S' });
        expect(description.sortKey).toBeUndefined();
        expect(description.billingMode).toBe('PAY_PER_REQUEST');
        // the test table has no TTL (and dynalite has no TTL API): the description says so
        expect(description.warnings.join('\n')).toMatch(/TTL/);

        const missing = new StoreClass({
          table: uniqueTableName('missing'),
          client,
          initialized: true,
        });
        await expect(missing.describeSessionsTable()).rejects.toMatchObject({
          code: 'TABLE_NOT_FOUND',
        });
      });

      it('reap deletes only the expired sessions of its own prefix', async () => {
        const store = new StoreClass({ table, client, initialized: true, prefix: 'reap:' });
        await store.set('live', storedSession(Date.now() + 3_600_000, { user: 'live' }));
        await putRaw('reap:old', nowSeconds() - 100);
        await putRaw('reap:fractional', Date.now() / 1000 - 2.5);
        await putRaw('other:old', nowSeconds() - 100);

        const reaped = await viaCallback<number>((callback) => store.reap(callback));
        expect(reaped.error).toBeNull();
        expect(reaped.calls).toBe(1);
        expect(await rawItem('reap:old')).toBeUndefined();
        expect(await rawItem('reap:fractional')).toBeUndefined();
        expect(await rawItem('reap:live')).toBeDefined();
        expect(await rawItem('other:old')).toBeDefined();
        await expect(store.get('live')).resolves.toMatchObject({ user: 'live' });
      });

      it('reap calls back with the number of sessions it deleted', async () => {
        const store = new StoreClass({ table, client, initialized: true, prefix: 'reapcount:' });
        const keys = Array.from({ length: 6 }, (_, index) => `reapcount:old-${index}`);
        await Promise.all(keys.map((key) => putRaw(key, nowSeconds() - 100)));
        const reaped = await viaCallback<number>((callback) => store.reap(callback));
        expect(reaped.error).toBeNull();
        for (const key of keys) expect(await rawItem(key)).toBeUndefined();
        expect(reaped.result).toBe(keys.length);
      });

      it('takes indexAttributes (with an index, for "log out everywhere") instead of specialKeys, not both', () => {
        const indexAttributes = [
          { name: 'userId', path: 'user.id', type: 'S' as const, index: 'userId-index' },
        ];
        const store = new StoreClass({ table, initialized: true, indexAttributes });
        expect(store.repository.options.indexAttributes).toEqual([
          expect.objectContaining({ name: 'userId', path: 'user.id', index: 'userId-index' }),
        ]);
        store.close();
        expect(
          () =>
            new StoreClass({
              table,
              initialized: true,
              indexAttributes,
              specialKeys: [{ name: 'userId', type: 'S' }],
            }),
        ).toThrow(/"specialKeys" and "indexAttributes"/);
      });

      it('refuses a reapInterval too long for a timer, naming the option', () => {
        expect(() => new StoreClass({ table, initialized: true, reapInterval: 2 ** 31 })).toThrow(
          /option "reapInterval": the reap interval must be a positive number of milliseconds/,
        );
      });

      it('reapInterval reaps on a timer until clearInterval() stops it', async () => {
        const { client: counted, count } = countingClient(server.endpoint);
        await putRaw('interval:first', nowSeconds() - 10);
        const store = new StoreClass({
          table,
          client: counted,
          initialized: true,
          prefix: 'interval:',
          reapInterval: 200,
        });
        try {
          const deadline = Date.now() + 3_000;
          while ((await rawItem('interval:first')) !== undefined) {
            if (Date.now() > deadline)
              throw new Error('the reap timer did not delete the expired session');
            await sleep(50);
          }
          expect(count('ScanCommand')).toBeGreaterThanOrEqual(1);

          store.clearInterval();
          await sleep(250); // let a reap that was already running finish
          const scans = count('ScanCommand');
          await putRaw('interval:second', nowSeconds() - 10);
          await sleep(600);
          expect(count('ScanCommand')).toBe(scans);
          expect(await rawItem('interval:second')).toBeDefined();
        } finally {
          store.close();
          counted.destroy();
        }
      });

      it('specialKeys copy session fields to top-level attributes', async () => {
        const store = new StoreClass({
          table,
          client,
          initialized: true,
          prefix: 'special:',
          specialKeys: [
            { name: 'userId', type: 'S' },
            { name: 'visits', type: 'N' },
          ],
        });
        const written = await viaCallback<void>((callback) =>
          store.set(
            's1',
            storedSession(Date.now() + 60_000, { userId: 'u-1', visits: 3 }),
            callback,
          ),
        );
        expect(written.error).toBeNull();
        const item = await rawItem('special:s1');
        expect(item?.userId).toEqual({ S: 'u-1' });
        expect(item?.visits).toEqual({ N: '3' });
        expect(JSON.parse(item?.sess?.S ?? '{}')).toMatchObject({ userId: 'u-1', visits: 3 });
      });

      it('a missing special key fails set through the callback unless skipThrowMissingSpecialKeys', async () => {
        const specialKeys = [
          { name: 'userId', type: 'S' as const },
          { name: 'visits', type: 'N' as const },
        ];
        const strict = new StoreClass({
          table,
          client,
          initialized: true,
          prefix: 'special:',
          specialKeys,
        });
        const failed = await viaCallback<void>((callback) =>
          strict.set('s2', storedSession(Date.now() + 60_000, { visits: 1 }), callback),
        );
        expect(failed.calls).toBe(1);
        expect((failed.error as { code?: string } | null)?.code).toBe('MISSING_INDEX_ATTRIBUTE');
        expect(failed.error?.message).toMatch(/userId/);
        expect(await rawItem('special:s2')).toBeUndefined();

        const lenient = new StoreClass({
          table,
          client,
          initialized: true,
          prefix: 'special:',
          specialKeys,
          skipThrowMissingSpecialKeys: true,
        });
        const written = await viaCallback<void>((callback) =>
          lenient.set('s3', storedSession(Date.now() + 60_000, { visits: 1 }), callback),
        );
        expect(written.error).toBeNull();
        const item = await rawItem('special:s3');
        expect(item?.visits).toEqual({ N: '1' });
        expect(item?.userId).toBeUndefined();
      });

      it('AWSConfigJSON configures the client the store builds (endpoint, region, credentials)', async () => {
        const store = new StoreClass({
          table,
          initialized: true,
          prefix: 'json:',
          AWSConfigJSON: {
            region: 'us-east-1',
            endpoint: server.endpoint,
            accessKeyId: 'local',
            secretAccessKey: 'local',
          },
        });
        try {
          await expect(store.client.config.region()).resolves.toBe('us-east-1');
          await store.set('s1', storedSession(Date.now() + 60_000, { user: 'json' }));
          await expect(store.get('s1')).resolves.toMatchObject({ user: 'json' });
        } finally {
          store.close();
        }
      });

      it('readCapacityUnits / writeCapacityUnits make createSessionsTable create a provisioned table', async () => {
        const name = uniqueTableName('provisioned');
        extraTables.push(name);
        const store = new StoreClass({
          table: name,
          client,
          readCapacityUnits: 3,
          writeCapacityUnits: '4',
        });
        await store.createSessionsTable();
        const described = await client.send(new DescribeTableCommand({ TableName: name }));
        expect(described.Table?.TableStatus).toBe('ACTIVE');
        expect(described.Table?.BillingModeSummary?.BillingMode ?? 'PROVISIONED').toBe(
          'PROVISIONED',
        );
        expect(described.Table?.ProvisionedThroughput?.ReadCapacityUnits).toBe(3);
        expect(described.Table?.ProvisionedThroughput?.WriteCapacityUnits).toBe(4);
        expect(described.Table?.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
      });
    });
  });
}
