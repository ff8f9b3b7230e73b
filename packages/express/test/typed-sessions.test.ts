import { type TestServer, testServers, useTestTable } from '@dynamodb-session/test-support';
import express from 'express';
import session from 'express-session';
import request from 'supertest';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { DynamoDBStore } from '../src/index';

declare module 'express-session' {
  interface SessionData {
    cart?: { sku: string; quantity: number }[];
  }
}

const server = testServers()[0] as TestServer;

describe(`express-session's SessionData augmentation through DynamoDBStore on ${server.name}`, () => {
  const tables = useTestTable(server);
  const { client } = tables;

  it('gives the repository the augmented SessionData type, and stores what the app wrote', async () => {
    const store = new DynamoDBStore({ client, table: tables.table, prefix: 'typed:' });
    expectTypeOf(store.repository.get).returns.resolves.toEqualTypeOf<session.SessionData | null>();

    const app = express();
    app.use(session({ store, secret: 'typed sessions', resave: false, saveUninitialized: false }));
    app.post('/cart/:sku', (req, res) => {
      const cart = req.session.cart ?? [];
      cart.push({ sku: req.params.sku, quantity: 1 });
      req.session.cart = cart;
      res.json({ items: cart.length });
    });
    const agent = request.agent(app);
    await agent.post('/cart/tea').expect(200, { items: 1 });
    await agent.post('/cart/milk').expect(200, { items: 2 });

    const stored = [];
    for await (const { data } of store.repository.all()) stored.push(data);
    expect(stored).toHaveLength(1);
    const [only] = stored;
    expectTypeOf(only?.cart).toEqualTypeOf<{ sku: string; quantity: number }[] | undefined>();
    expect(only?.cart?.map((line) => line.sku)).toEqual(['tea', 'milk']);
    expect(only?.cookie.httpOnly).toBe(true);
  });

  it('refuses other shapes at compile time', () => {
    type Cart = express.Request['session']['cart'];
    expectTypeOf<{ sku: string; quantity: string }[]>().not.toExtend<Cart>();
    expectTypeOf<{ sku: string; quantity: number }[]>().toExtend<Cart>();
    type Written = Parameters<DynamoDBStore['repository']['set']>[1];
    expectTypeOf<{ cart: [] }>().not.toExtend<Written>();
  });
});
