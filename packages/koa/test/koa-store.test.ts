import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SessionRepository, SessionStoreError } from '@dynamodb-session/core';
import {
  cookieJarFetch,
  countCommands,
  createTestTable,
  dropTable,
  localClient,
  type RunningApp,
  testServers,
} from '@dynamodb-session/test-support';
import Koa3 from 'koa';
import Koa2 from 'koa-2';
import session7 from 'koa-session';
import session6 from 'koa-session-6';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBStore } from '../src/index';
import { answerErrors, listen } from './koa-app';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const HOUR_MS = 3_600_000;

/** The raw item of session `key`: its TTL (epoch seconds) and its stored data. */
async function rawItem(client: DynamoDBClient, table: string, key: string) {
  const { Item } = await client.send(
    new GetItemCommand({
      TableName: table,
      Key: { id: { S: `sess:${key}` } },
      ConsistentRead: true,
    }),
  );
  if (!Item?.sess) return undefined; // no item, or a destroyed session's tombstone (no data)
  return {
    ttl: Number(Item.expires?.N),
    data: JSON.parse(Item.sess?.S ?? 'null') as Record<string, unknown>,
  };
}

/** The session key a cookie jar holds (koa-session's `koa.sess` cookie). */
function sessionKey(cookieHeader: string): string {
  const key = /(?:^|; )koa\.sess=([^;]+)/.exec(cookieHeader)?.[1];
  if (!key) throw new Error(`no session cookie in "${cookieHeader}"`);
  return key;
}

interface KoaApp {
  Koa: typeof Koa3;
  session: typeof session7;
}

/** A koa app with a visit counter, `/rotate` (regenerate) and `/remember` (maxAge + login). */
function startApp({ Koa, session }: KoaApp, store: DynamoDBStore, maxAge: number) {
  const app = new Koa();
  app.keys = ['store test secret'];
  app.use(answerErrors);
  app.use(session({ store, maxAge, rolling: true }, app));
  app.use(async (ctx) => {
    const state = ctx.session as NonNullable<typeof ctx.session> & { views?: number };
    if (ctx.path === '/count') state.views = (state.views ?? 0) + 1;
    if (ctx.path === '/rotate') await state.regenerate?.();
    if (ctx.path === '/remember') {
      state.maxAge = 2 * HOUR_MS;
      state.user = 'ann';
    }
    ctx.body = { views: state.views ?? 0, user: state.user ?? null };
  });
  return listen(app);
}

for (const server of testServers()) {
  describe(`DynamoDBStore as a koa-session store on ${server.name}`, () => {
    const client = localClient(server.endpoint);
    let table = '';
    let store: DynamoDBStore;
    const apps: RunningApp[] = [];
    const ctx = () => ({ request: Symbol('a koa context') });

    beforeAll(async () => {
      table = await createTestTable(client);
      store = new DynamoDBStore({ client, table, defaultLifetimeMs: HOUR_MS });
    });
    afterAll(async () => {
      await Promise.all(apps.map((app) => app.close()));
      await dropTable(client, table);
      client.destroy();
    });

    it("stores a maxAge 'session' session for the repository's defaultLifetimeMs", async () => {
      const before = Date.now();
      await store.set('browser', { views: 1, _session: true }, 'session', {
        changed: true,
        ctx: ctx(),
      });
      const item = await rawItem(client, table, 'browser');
      expect(item?.data).toEqual({ views: 1, _session: true });
      expect(item?.ttl).toBeGreaterThanOrEqual(Math.ceil((before + HOUR_MS) / 1000));
      expect(item?.ttl).toBeLessThanOrEqual(Math.ceil((Date.now() + HOUR_MS) / 1000));
      expect(await store.get('browser', 'session', { rolling: false, ctx: ctx() })).toEqual({
        views: 1,
        _session: true,
      });
    });

    it("expires a session at its own _expire, not at koa-session's padded maxAge", async () => {
      const expire = Date.now() + 120_000;
      await store.set('precise', { views: 1, _expire: expire, _maxAge: 120_000 }, 130_000, {
        changed: true,
        ctx: ctx(),
      });
      expect((await rawItem(client, table, 'precise'))?.ttl).toBe(Math.ceil(expire / 1000));
    });

    it('expires a session without _expire maxAge from now', async () => {
      const before = Date.now();
      await store.set('no-expire', { views: 1 }, 90_000, { changed: true, ctx: ctx() });
      const ttl = (await rawItem(client, table, 'no-expire'))?.ttl;
      expect(ttl).toBeGreaterThanOrEqual(Math.ceil((before + 90_000) / 1000));
      expect(ttl).toBeLessThanOrEqual(Math.ceil((Date.now() + 90_000) / 1000));
    });

    it('refreshes only the expiry, with one UpdateItem and no PutItem, when changed is false', async () => {
      const first = Date.now() + 60_000;
      await store.set('rolling', { views: 3, _expire: first, _maxAge: 60_000 }, 70_000, {
        changed: true,
        ctx: ctx(),
      });
      const request = ctx();
      const loaded = await store.get('rolling', 60_000, { rolling: true, ctx: request });
      expect(loaded).toEqual({ views: 3, _expire: first, _maxAge: 60_000 });
      const counter = countCommands(client);
      try {
        const later = first + 30_000;
        await store.set('rolling', { views: 3, _expire: later, _maxAge: 60_000 }, 70_000, {
          changed: false,
          rolling: true,
          ctx: request,
        });
        expect(counter.counts).toEqual({ UpdateItemCommand: 1 });
        const item = await rawItem(client, table, 'rolling');
        expect(item?.ttl).toBe(Math.ceil(later / 1000));
        expect(item?.data).toEqual({ views: 3, _expire: first, _maxAge: 60_000 });
      } finally {
        counter.stop();
      }
    });

    it('does not recreate a session destroyed meanwhile when changed is false', async () => {
      await store.set('gone', { views: 1, _expire: Date.now() + 60_000 }, 70_000, {
        changed: true,
        ctx: ctx(),
      });
      const request = ctx();
      expect(await store.get('gone', 60_000, { rolling: true, ctx: request })).not.toBeNull();
      await new DynamoDBStore({ client, table }).destroy('gone', { ctx: ctx() });
      const counter = countCommands(client);
      try {
        await store.set('gone', { views: 1, _expire: Date.now() + 90_000 }, 70_000, {
          changed: false,
          rolling: true,
          ctx: request,
        });
        expect(counter.counts).toEqual({ UpdateItemCommand: 1 });
      } finally {
        counter.stop();
      }
      expect(await rawItem(client, table, 'gone')).toBeUndefined();
      expect(await store.get('gone', 60_000, { rolling: true, ctx: ctx() })).toBeNull();
    });

    it('writes in full when changed is false but the data or key differs from what the request loaded', async () => {
      const expire = Date.now() + 60_000;
      await store.set('forced', { views: 1, _expire: expire, _maxAge: 60_000 }, 70_000, {
        changed: true,
        ctx: ctx(),
      });
      const request = ctx();
      await store.get('forced', 60_000, { rolling: false, ctx: request });
      const counter = countCommands(client);
      try {
        const longer = { views: 1, user: 'ann', _expire: expire + HOUR_MS, _maxAge: HOUR_MS };
        await store.set('forced', longer, HOUR_MS + 10_000, { changed: false, ctx: request });
        await store.set('regenerated', longer, HOUR_MS + 10_000, { changed: false, ctx: request });
        await store.set('new', { views: 0 }, 70_000, { changed: false, ctx: ctx() });
        expect(counter.counts).toEqual({ PutItemCommand: 3 });
      } finally {
        counter.stop();
      }
      expect((await rawItem(client, table, 'forced'))?.data).toMatchObject({ user: 'ann' });
      expect((await rawItem(client, table, 'regenerated'))?.data).toMatchObject({ user: 'ann' });
      expect((await rawItem(client, table, 'new'))?.data).toEqual({ views: 0 });
    });

    it('get returns null for an expired session', async () => {
      await store.set('past', { views: 1, _expire: Date.now() - 1_000 }, 70_000, {
        changed: true,
        ctx: ctx(),
      });
      await store.set('soon', { views: 1, _expire: Date.now() + 300 }, 70_000, {
        changed: true,
        ctx: ctx(),
      });
      expect(await store.get('soon', 60_000, { rolling: false, ctx: ctx() })).not.toBeNull();
      expect(await store.get('past', 60_000, { rolling: false, ctx: ctx() })).toBeNull();
      await sleep(400);
      expect(await store.get('soon', 60_000, { rolling: false, ctx: ctx() })).toBeNull();
      expect(await store.get('never-written', 60_000, { rolling: false, ctx: ctx() })).toBeNull();
    });

    it('destroy deletes the session', async () => {
      await store.set('doomed', { views: 1 }, 70_000, { changed: true, ctx: ctx() });
      await store.destroy('doomed', { ctx: ctx() });
      expect(await rawItem(client, table, 'doomed')).toBeUndefined();
    });

    it('uses a repository it is given, and close() leaves a client it did not build alone', async () => {
      const repository = new SessionRepository({ client, table, prefix: 'other:' });
      const shared = new DynamoDBStore({ repository });
      expect(shared.repository).toBe(repository);
      await shared.set('mine', { views: 7 }, 70_000, { changed: true, ctx: ctx() });
      shared.close();
      store.close();
      expect(await repository.get('mine')).toEqual({ views: 7 });
      expect(await rawItem(client, table, 'mine')).toBeUndefined();
    });

    it('rejects with a SessionStoreError carrying a code when DynamoDB fails', async () => {
      const broken = new DynamoDBStore({ client, table: 'no-such-table' });
      const failure = broken.get('any', 60_000, { rolling: false, ctx: ctx() });
      await expect(failure).rejects.toBeInstanceOf(SessionStoreError);
      await expect(failure).rejects.toMatchObject({ code: 'TABLE_NOT_FOUND' });
      await expect(
        broken.set('any', { views: 1 }, 70_000, { changed: true, ctx: ctx() }),
      ).rejects.toMatchObject({ code: 'TABLE_NOT_FOUND' });
    });

    it('keeps a rolling session that only had its expiry refreshed past its first _expire', async () => {
      const app = await startApp({ Koa: Koa3, session: session7 }, store, 2_000);
      apps.push(app);
      const browser = cookieJarFetch(app.url);
      expect(await (await browser('/count')).json()).toEqual({ views: 1, user: null });
      const key = sessionKey(browser.cookieHeader());
      const firstExpire = (await rawItem(client, table, key))?.data._expire as number;
      const counter = countCommands(client);
      try {
        const started = Date.now();
        while (Date.now() - started < 3_200) {
          await sleep(600);
          expect(await (await browser('/peek')).json()).toEqual({ views: 1, user: null });
        }
        expect(Date.now()).toBeGreaterThan(firstExpire + 1_000);
        expect(counter.counts.PutItemCommand ?? 0).toBe(0);
        expect(counter.counts.UpdateItemCommand ?? 0).toBeGreaterThanOrEqual(3);
      } finally {
        counter.stop();
      }
      const item = await rawItem(client, table, key);
      expect(item?.data._expire).toBe(firstExpire);
      expect(item?.ttl).toBeGreaterThan(Date.now() / 1000);
      expect(await (await browser('/count')).json()).toEqual({ views: 2, user: null });
    });

    it('keeps the data when koa-session 7 regenerates the session key', async () => {
      const app = await startApp({ Koa: Koa3, session: session7 }, store, 60_000);
      apps.push(app);
      const browser = cookieJarFetch(app.url);
      await browser('/count');
      await browser('/count');
      const before = sessionKey(browser.cookieHeader());
      expect(await (await browser('/rotate')).json()).toEqual({ views: 2, user: null });
      const after = sessionKey(browser.cookieHeader());
      expect(after).not.toBe(before);
      expect(await rawItem(client, table, before)).toBeUndefined();
      expect(await (await browser('/peek')).json()).toEqual({ views: 2, user: null });
    });

    for (const [name, framework] of [
      ['koa 3 + koa-session 7', { Koa: Koa3, session: session7 }],
      ['koa 2 + koa-session 6', { Koa: Koa2, session: session6 }],
    ] as const) {
      it(`${name}: keeps data changed in the request that also changes maxAge`, async () => {
        const app = await startApp(framework, store, 60_000);
        apps.push(app);
        const browser = cookieJarFetch(app.url);
        await browser('/count');
        const before = Date.now();
        expect(await (await browser('/remember')).json()).toEqual({ views: 1, user: 'ann' });
        expect(await (await browser('/peek')).json()).toEqual({ views: 1, user: 'ann' });
        const item = await rawItem(client, table, sessionKey(browser.cookieHeader()));
        expect(item?.data).toMatchObject({ user: 'ann', _maxAge: 2 * HOUR_MS });
        expect(item?.ttl).toBeGreaterThanOrEqual(Math.floor((before + 2 * HOUR_MS) / 1000));
      });
    }
  });
}
