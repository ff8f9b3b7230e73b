/**
 * Attack on `unchangedSinceRead` (the fastify store passes `session.isModified() === false`):
 * @fastify/session's `isModified()` hashes the session WITHOUT its `cookie`, so a request that
 * changes only the cookie (a "remember me" `cookie.maxAge`, `session.options({...})`) is saved
 * as a mere TTL refresh: the stored cookie keeps its old `originalMaxAge` and the next request
 * restores the old one. Before the flag, the repository compared the data (with the cookie) and
 * wrote. Plus the sequences around the flag that held.
 * Fixed: the flag now needs the cookie, but for its expiry, to be the one last read or written.
 */
import {
  createTestTable,
  dropTable,
  localClient,
  testServers,
} from '@dynamodb-session/test-support';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBStore } from '../src/index';
import { buildApp, type FastifyVersion, fastifyVersions } from './apps';

const server = testServers()[0] as { name: string; endpoint: string };
const HOUR = 3_600_000;
const MONTH = 30 * 24 * HOUR;

type Answer = { status: number; body: Record<string, unknown>; cookie?: { expires?: Date } };

/** A cookie-keeping inject client that also returns the session cookie it was sent. */
async function injectBrowser(app: FastifyInstance) {
  await app.ready();
  let cookie = '';
  return async (method: 'GET' | 'POST', url: string): Promise<Answer> => {
    const response = await app.inject({ method, url, headers: cookie ? { cookie } : {} });
    const sent = response.cookies.find((entry) => entry.name === 'sessionId');
    if (sent) {
      const cleared = sent.value === '' || (sent.expires && sent.expires.getTime() <= Date.now());
      cookie = cleared ? '' : `sessionId=${sent.value}`;
    }
    return {
      status: response.statusCode,
      body: response.json<Record<string, unknown>>(),
      cookie: sent as { expires?: Date } | undefined,
    };
  };
}

function addRoutes(app: FastifyInstance) {
  app.get('/remember', async (request) => {
    request.session.cookie.maxAge = MONTH; // only the cookie changes
    return { ok: true };
  });
  app.get('/remember-options', async (request) => {
    request.session.options({ maxAge: MONTH });
    return { ok: true };
  });
  app.get('/cookie', async (request) => ({
    originalMaxAge: request.session.cookie.originalMaxAge,
    views: request.session.views ?? 0,
  }));
  app.get('/save-then-change', async (request) => {
    const before = request.session.views ?? 0;
    request.session.views = before + 100;
    await request.session.save();
    request.session.views = before; // back to what was loaded: must be written at the end
    return { views: before };
  });
  app.get('/save-only', async (request) => {
    request.session.views = (request.session.views ?? 0) + 1;
    await request.session.save();
    return { views: request.session.views };
  });
  app.get('/reload', async (request) => {
    request.session.views = 999;
    await request.session.reload();
    return { views: request.session.views ?? 0 };
  });
  app.get('/login-keep', async (request) => {
    await request.session.regenerate(['views']);
    return { id: request.session.sessionId };
  });
  app.get('/regenerate-empty', async (request) => {
    await request.session.regenerate();
    return { id: request.session.sessionId };
  });
  app.get('/nested', async (request) => {
    const session = request.session as unknown as { cart?: { items: string[] } };
    session.cart ??= { items: [] };
    session.cart.items.push('x');
    return { items: session.cart.items.length };
  });
  app.get('/items', async (request) => {
    const session = request.session as unknown as { cart?: { items: string[] } };
    return { items: session.cart?.items.length ?? 0 };
  });
  app.get('/set-api', async (request) => {
    request.session.set('user', 'bob');
    return { ok: true };
  });
  app.get('/touch', async (request) => {
    request.session.touch();
    return { views: request.session.views ?? 0 };
  });
  app.get('/destroy-then-peek', async (request) => {
    await request.session.destroy();
    return { ok: true };
  });
}

describe(`fastify: unchangedSinceRead from isModified(), on ${server.name}`, () => {
  const client = localClient(server.endpoint);
  let table = '';
  const apps: FastifyInstance[] = [];
  beforeAll(async () => {
    table = await createTestTable(client);
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await dropTable(client, table);
    client.destroy();
  });

  const open = async (version: FastifyVersion, options: { trackedSessions?: number } = {}) => {
    const store = new DynamoDBStore({ client, table, ...options });
    const app = buildApp(version, store, HOUR);
    addRoutes(app);
    apps.push(app);
    return { store, browser: await injectBrowser(app) };
  };

  for (const version of fastifyVersions) {
    describe(version.name, () => {
      // BUG: cookie-only change is refreshed, not written: the next request restores the old
      // cookie. A plain store writes the session (with its new cookie) on this save.
      it('a "remember me" cookie.maxAge set by a request is kept by the next request', async () => {
        const { browser } = await open(version);
        expect((await browser('GET', '/count')).body).toEqual({ views: 1 });
        const remembered = await browser('GET', '/remember');
        // this response's cookie lasts a month
        expect(remembered.cookie?.expires?.getTime()).toBeGreaterThan(Date.now() + MONTH - 60_000);
        const next = await browser('GET', '/cookie');
        expect(next.body.originalMaxAge).toBe(MONTH); // was HOUR: the change is lost
        // and the browser's cookie, rolled by the next response, a month again (not an hour)
        expect(next.cookie?.expires?.getTime()).toBeGreaterThan(Date.now() + MONTH - 60_000);
      });

      // @fastify/session 10 has no session.options()
      it.skipIf(version.name.includes('session 10'))(
        'session.options({ maxAge }) is kept by the next request',
        async () => {
          const { browser } = await open(version);
          await browser('GET', '/count');
          await browser('GET', '/remember-options');
          expect((await browser('GET', '/cookie')).body.originalMaxAge).toBe(MONTH);
        },
      );

      it('the cookie change IS kept when the memory entry was evicted (compared, written)', async () => {
        const { browser } = await open(version, { trackedSessions: 0 });
        await browser('GET', '/count');
        await browser('GET', '/remember');
        expect((await browser('GET', '/cookie')).body.originalMaxAge).toBe(MONTH);
      });

      it('held: explicit save, change back, end-of-request save writes the final data', async () => {
        const { browser } = await open(version);
        await browser('GET', '/count');
        expect((await browser('GET', '/save-then-change')).body).toEqual({ views: 1 });
        expect((await browser('GET', '/peek')).body).toEqual({ views: 1 });
      });

      it('held: an explicit save of a change, then the end-of-request refresh', async () => {
        const { browser } = await open(version);
        await browser('GET', '/count');
        expect((await browser('GET', '/save-only')).body).toEqual({ views: 2 });
        expect((await browser('GET', '/peek')).body).toEqual({ views: 2 });
      });

      it('held: reload() drops the local change and the refresh keeps the stored data', async () => {
        const { browser } = await open(version);
        await browser('GET', '/count');
        expect((await browser('GET', '/reload')).body).toEqual({ views: 1 });
        expect((await browser('GET', '/peek')).body).toEqual({ views: 1 });
      });

      it('held: regenerate(keys) and regenerate() store the new session', async () => {
        const { browser, store } = await open(version);
        await browser('GET', '/count');
        const { id } = (await browser('GET', '/login-keep')).body as { id: string };
        expect(await store.repository.get(id)).toMatchObject({ views: 1 });
        expect((await browser('GET', '/peek')).body).toEqual({ views: 1 });
        const empty = (await browser('GET', '/regenerate-empty')).body as { id: string };
        expect(await store.repository.get(empty.id)).not.toBeNull();
        expect((await browser('GET', '/count')).body).toEqual({ views: 1 });
      });

      it('held: in-place nested change and session.set() are written', async () => {
        const { browser } = await open(version);
        await browser('GET', '/count');
        await browser('GET', '/nested');
        await browser('GET', '/nested');
        expect((await browser('GET', '/items')).body).toEqual({ items: 2 });
        await browser('GET', '/set-api');
        expect((await browser('GET', '/whoami')).body).toMatchObject({ user: 'bob', views: 1 });
      });

      it('held: touch() and destroy() (no resurrection by the unchanged save)', async () => {
        const { browser, store } = await open(version);
        await browser('GET', '/count');
        const { id } = (await browser('GET', '/login-keep')).body as { id: string };
        expect((await browser('GET', '/touch')).body).toEqual({ views: 1 });
        expect(await store.repository.get(id)).not.toBeNull();
        await browser('GET', '/destroy-then-peek');
        expect(await store.repository.get(id)).toBeNull();
      });

      it('held: a session destroyed by another process is not brought back by a refresh', async () => {
        const { browser, store } = await open(version);
        await browser('GET', '/count');
        const { id } = (await browser('GET', '/login-keep')).body as { id: string };
        expect((await browser('GET', '/peek')).body).toEqual({ views: 1 });
        const other = new DynamoDBStore({ client, table });
        await other.repository.destroy(id);
        await browser('GET', '/peek'); // unchanged: a refresh, which must find nothing
        expect(await store.repository.get(id)).toBeNull();
        expect((await browser('GET', '/peek')).body).toEqual({ views: 0 });
        expect(await other.repository.get(id)).toBeNull();
      });

      it('held: saveUninitialized new session (unmodified, no memory entry) is stored', async () => {
        const store = new DynamoDBStore({ client, table });
        const app = version.fastify();
        app.register(version.cookie);
        app.register(version.session, {
          store,
          secret: 'a fixed secret of at least 32 characters, for tests',
          saveUninitialized: true,
          cookie: { secure: false, maxAge: HOUR },
        });
        app.get('/id', async (request) => ({ id: request.session.sessionId }));
        apps.push(app);
        const browser = await injectBrowser(app);
        const { id } = (await browser('GET', '/id')).body as { id: string };
        expect(await store.repository.get(id)).not.toBeNull();
        expect((await browser('GET', '/id')).body).toEqual({ id });
      });
    });
  }
});
