import { Readable } from 'node:stream';
import {
  cookieJarFetch,
  createTestTable,
  dropTable,
  localClient,
  type RunningApp,
  testServers,
} from '@dynamodb-session/test-support';
import Koa from 'koa';
import session from 'koa-session';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBStore } from '../src/index';
import { answerErrors, listen } from './koa-app';

for (const server of testServers()) {
  describe(`koa with pessimisticLocking on ${server.name}`, () => {
    const client = localClient(server.endpoint);
    let table = '';
    const apps: RunningApp[] = [];
    beforeAll(async () => {
      table = await createTestTable(client);
    });
    afterAll(async () => {
      await Promise.all(apps.map((app) => app.close()));
      await dropTable(client, table);
      client.destroy();
    });

    /** A koa app with sessions on a locking store, answering with `handler`; browsed by a cookie jar. */
    async function startLockingApp(waitMs: number, handler: Koa.Middleware) {
      const app = new Koa();
      app.keys = ['locking secret'];
      app.use(answerErrors);
      const store = new DynamoDBStore({
        client,
        table,
        pessimisticLocking: { leaseMs: 30_000, waitMs },
      });
      app.use(session({ store, maxAge: 60_000 }, app));
      app.use(handler);
      const running = await listen(app);
      apps.push(running);
      return cookieJarFetch(running.url);
    }

    it('releases the lock of a read-only request although koa-session saves nothing', async () => {
      const browser = await startLockingApp(1_000, (ctx) => {
        const state = ctx.session as { views?: number };
        if (ctx.path === '/count') state.views = (state.views ?? 0) + 1;
        ctx.body = { views: state.views ?? 0 };
      });
      expect(await (await browser('/count')).json()).toEqual({ views: 1 });
      for (let i = 0; i < 3; i++) {
        const response = await browser('/peek');
        expect(response.status, 'a lock left behind fails the next read with LOCK_TIMEOUT').toBe(
          200,
        );
        expect(await response.json()).toEqual({ views: 1 });
      }
      expect(await (await browser('/count')).json()).toEqual({ views: 2 });
    });

    it('loses no increment of concurrent requests on one session: a request that wrote does not release the next holder when its (slow) response closes', async () => {
      const browser = await startLockingApp(10_000, async (ctx) => {
        const state = ctx.session as { views?: number };
        const views = (state.views ?? 0) + 1;
        await new Promise((resolve) => setTimeout(resolve, 30));
        state.views = views;
        ctx.type = 'json';
        ctx.body = Readable.from(
          (async function* slowBody() {
            await new Promise((resolve) => setTimeout(resolve, 150));
            yield JSON.stringify({ views });
          })(),
        );
      });
      await browser('/count');
      const responses = await Promise.all(Array.from({ length: 6 }, () => browser('/count')));
      expect(responses.map((response) => response.status)).toEqual(Array(6).fill(200));
      expect(await (await browser('/count')).json()).toEqual({ views: 8 });
    }, 30_000);

    it('a request that gave up waiting (LOCK_TIMEOUT) does not release the lock of the request it waited for', async () => {
      const browser = await startLockingApp(300, async (ctx) => {
        const state = ctx.session as { views?: number };
        const views = (state.views ?? 0) + 1;
        if (ctx.path === '/slow') await new Promise((resolve) => setTimeout(resolve, 900));
        state.views = views;
        ctx.body = { views };
      });
      await browser('/count');
      const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      const requests = [
        browser('/slow'),
        pause(50).then(() => browser('/count')),
        pause(450).then(() => browser('/count')),
      ];
      const statuses = (await Promise.all(requests)).map((response) => response.status);
      expect(statuses[0]).toBe(200);
      expect(statuses[1]).toBe(500);
      const acknowledged = statuses.filter((status) => status === 200).length;
      const last = (await (await browser('/count')).json()) as { views: number };
      expect(last.views).toBe(1 + acknowledged + 1);
    }, 30_000);

    it('loses no increment when each request saves explicitly before koa-session commits again at the end', async () => {
      const browser = await startLockingApp(10_000, async (ctx) => {
        const state = ctx.session as { views?: number; save(): Promise<void> };
        const views = (state.views ?? 0) + 1;
        await new Promise((resolve) => setTimeout(resolve, 100));
        state.views = views;
        await state.save();
        await new Promise((resolve) => setTimeout(resolve, 400));
        ctx.body = { views };
      });
      await browser('/count');
      const responses = await Promise.all(Array.from({ length: 5 }, () => browser('/count')));
      expect(responses.map((response) => response.status)).toEqual(Array(5).fill(200));
      expect(await (await browser('/count')).json()).toEqual({ views: 7 });
    }, 30_000);
  });
}
