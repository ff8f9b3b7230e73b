/**
 * Two requests of one session served at once by one process: one changes the session, the
 * other (loaded before that change, ending after it) leaves it as it was. koa-session saves both
 * (`rolling`); the unchanged one must not write its stale copy over the change.
 */
import {
  cookieJarFetch,
  createTestTable,
  dropTable,
  localClient,
  testServers,
} from '@dynamodb-session/test-support';
import Koa3 from 'koa';
import Koa2 from 'koa-2';
import session7 from 'koa-session';
import session6 from 'koa-session-6';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBStore } from '../src/index';
import { answerErrors, listen } from './koa-app';

const server = testServers()[0] as { name: string; endpoint: string };
const versions = [
  { name: 'koa 3 + koa-session 7', Koa: Koa3, session: session7 },
  {
    name: 'koa 2 + koa-session 6',
    Koa: Koa2 as unknown as typeof Koa3,
    session: session6 as unknown as typeof session7,
  },
];

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

  it('an explicit save (changed: false) of data the request changed still writes it', async () => {
    const store = new DynamoDBStore({ client, table });
    const key = `forced-${Date.now()}`;
    const expire = Date.now() + 3_600_000;
    await store.repository.set(key, { views: 1, _expire: expire, _maxAge: 3_600_000 });
    const request = {};
    const loaded = (await store.get(key, 3_600_000, { ctx: request, rolling: false })) as object;
    await store.set(key, { ...loaded, views: 2, _expire: expire + 5 }, 3_610_000, {
      changed: false,
      ctx: request,
    });
    expect(await store.repository.get(key)).toMatchObject({ views: 2 });
    const other = {};
    await store.get(key, 3_600_000, { ctx: other, rolling: true });
    const writes = store.repository.metrics().requests.PutItem ?? 0;
    expect(writes).toBeGreaterThan(0);
    await store.set(key, { views: 2, _expire: expire + 10, _maxAge: 3_600_000 }, 3_610_000, {
      changed: false,
      ctx: other,
    });
    expect(store.repository.metrics().requests.PutItem ?? 0).toBe(writes);
  });

  for (const { name, Koa, session } of versions) {
    it(`keeps the change of one when the other, unchanged, ends later (${name})`, async () => {
      const store = new DynamoDBStore({ client, table });
      let entered: () => void = () => {};
      const slowEntered = new Promise<void>((resolve) => {
        entered = resolve;
      });
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const app = new Koa();
      app.keys = ['concurrent requests secret'];
      app.use(answerErrors);
      app.use(session({ store, maxAge: 3_600_000, rolling: true }, app));
      app.use(async (ctx) => {
        const state = ctx.session as NonNullable<typeof ctx.session> & { views?: number };
        if (ctx.path === '/count') state.views = (state.views ?? 0) + 1;
        if (ctx.path === '/slow-peek') {
          entered();
          await gate;
        }
        ctx.body = { views: state.views ?? 0 };
      });
      const running = await listen(app);
      try {
        const browser = cookieJarFetch(running.url);
        const views = async (path: string) =>
          ((await (await browser(path)).json()) as { views: number }).views;
        expect(await views('/count')).toBe(1);
        const slow = views('/slow-peek');
        await slowEntered;
        expect(await views('/count')).toBe(2);
        release();
        expect(await slow).toBe(1);
        expect(await views('/peek')).toBe(2);
      } finally {
        await running.close();
      }
    });
  }
});
