import { type TestServer, testServers, useTestTable } from '@dynamodb-session/test-support';
import Koa from 'koa';
import session from 'koa-session';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { DynamoDBStore } from '../src/index';
import { listen } from './koa-app';

/** koa-session types `ctx.session` loosely; the store's type argument carries the app's shape. */
interface CartSession {
  cart?: { sku: string; quantity: number }[];
  _expire?: number;
  _maxAge?: number;
}

const server = testServers()[0] as TestServer;

describe(`typed sessions through the koa DynamoDBStore on ${server.name}`, () => {
  const tables = useTestTable(server);
  const { client } = tables;

  it('reads and lists the declared session type, and stores what the app wrote', async () => {
    const store = new DynamoDBStore<CartSession>({ client, table: tables.table, prefix: 'typed:' });
    expectTypeOf(store.get).returns.resolves.toEqualTypeOf<CartSession | null>();
    expectTypeOf(store.set).parameter(1).toEqualTypeOf<CartSession>();

    const app = new Koa();
    app.keys = ['typed sessions'];
    app.use(session({ store }, app));
    app.use((ctx) => {
      const cart = (ctx.session?.cart ?? []) as NonNullable<CartSession['cart']>;
      cart.push({ sku: ctx.path.slice(1), quantity: 1 });
      if (ctx.session) ctx.session.cart = cart;
      ctx.body = { items: cart.length };
    });
    const running = await listen(app);
    try {
      const first = await fetch(`${running.url}/tea`, { method: 'POST' });
      expect(await first.json()).toEqual({ items: 1 });
      const cookie = first.headers
        .getSetCookie()
        .map((line) => line.split(';')[0])
        .join('; ');
      const second = await fetch(`${running.url}/milk`, { method: 'POST', headers: { cookie } });
      expect(await second.json()).toEqual({ items: 2 });
    } finally {
      await running.close();
    }

    const stored: CartSession[] = [];
    for await (const { data } of store.repository.all()) stored.push(data);
    expect(stored.map((data) => data.cart?.map((line) => line.sku))).toEqual([['tea', 'milk']]);
  });

  it('refuses other shapes at compile time', () => {
    type Written = Parameters<DynamoDBStore<CartSession>['set']>[1];
    expectTypeOf<{ cart: { sku: string; quantity: string }[] }>().not.toExtend<Written>();
    expectTypeOf<{ cart: { sku: string; quantity: number }[] }>().toExtend<Written>();
  });
});
