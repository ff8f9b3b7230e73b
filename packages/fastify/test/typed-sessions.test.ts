import { type TestServer, testServers, useTestTable } from '@dynamodb-session/test-support';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import fastify, { type FastifyRequest, type Session } from 'fastify';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { DynamoDBStore } from '../src/index';

declare module 'fastify' {
  interface Session {
    cart?: { sku: string; quantity: number }[];
  }
}

const server = testServers()[0] as TestServer;

describe(`fastify's Session augmentation through DynamoDBStore on ${server.name}`, () => {
  const tables = useTestTable(server);
  const { client } = tables;

  it('gives the repository the augmented Session type, and stores what the app wrote', async () => {
    const store = new DynamoDBStore({ client, table: tables.table, prefix: 'typed:' });
    expectTypeOf(store.repository.get).returns.resolves.toEqualTypeOf<Session | null>();

    const app = fastify();
    await app.register(fastifyCookie);
    await app.register(fastifySession, {
      store,
      secret: 'a secret of at least thirty-two characters, typed',
      cookie: { secure: false },
      saveUninitialized: false,
    });
    app.post<{ Params: { sku: string } }>('/cart/:sku', async (req) => {
      const cart = req.session.cart ?? [];
      cart.push({ sku: req.params.sku, quantity: 1 });
      req.session.cart = cart;
      return { items: cart.length };
    });
    const first = await app.inject({ method: 'POST', url: '/cart/tea' });
    expect(first.json()).toEqual({ items: 1 });
    const cookie = first.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    const second = await app.inject({ method: 'POST', url: '/cart/milk', headers: { cookie } });
    expect(second.json()).toEqual({ items: 2 });
    await app.close();

    const stored = [];
    for await (const { data } of store.repository.all()) stored.push(data);
    expect(stored).toHaveLength(1);
    const [only] = stored;
    expectTypeOf(only?.cart).toEqualTypeOf<{ sku: string; quantity: number }[] | undefined>();
    expect(only?.cart?.map((line) => line.sku)).toEqual(['tea', 'milk']);
  });

  it('refuses other shapes at compile time', () => {
    type Cart = FastifyRequest['session']['cart'];
    expectTypeOf<{ sku: string; quantity: string }[]>().not.toExtend<Cart>();
    expectTypeOf<{ sku: string; quantity: number }[]>().toExtend<Cart>();
  });
});
