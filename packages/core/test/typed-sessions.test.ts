import { type TestServer, testServers, useTestTable } from '@dynamodb-session/test-support';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { SessionRepository } from '../src/index';

/** A session type declared as an interface, as applications usually do. */
interface ShopSession {
  userId: string;
  cart: { sku: string; quantity: number }[];
  lastSeen?: string;
}

const server = testServers()[0] as TestServer;

describe(`typed sessions through SessionRepository on ${server.name}`, () => {
  const tables = useTestTable(server);
  const { client } = tables;

  it('reads, lists and writes the declared session type', async () => {
    const repository = new SessionRepository<ShopSession>({
      client,
      table: tables.table,
      prefix: 'typed:',
    });
    await repository.set('s-1', { userId: 'u-1', cart: [{ sku: 'tea', quantity: 2 }] });

    const loaded = await repository.get('s-1');
    expectTypeOf(loaded).toEqualTypeOf<ShopSession | null>();
    expect(loaded?.cart[0]?.quantity).toBe(2);

    for await (const { id, data } of repository.all()) {
      expectTypeOf(data).toEqualTypeOf<ShopSession>();
      expect([id, data.userId]).toEqual(['s-1', 'u-1']);
    }
    expectTypeOf(repository.save).parameter(1).toEqualTypeOf<ShopSession>();
    expect(await repository.save('s-1', { userId: 'u-1', cart: [] })).toBe('written');
    expect((await repository.get('s-1'))?.cart).toEqual([]);
  });

  it('refuses other shapes at compile time', () => {
    type Written = Parameters<SessionRepository<ShopSession>['set']>[1];
    expectTypeOf<{ userId: string }>().not.toExtend<Written>();
    expectTypeOf<{
      userId: string;
      cart: { sku: string; quantity: string }[];
    }>().not.toExtend<Written>();
    expectTypeOf<{ userId: string; cart: [] }>().toExtend<Written>();
  });

  it('is untyped data (any JSON object) without a type argument', () => {
    const repository = new SessionRepository({ client, table: tables.table });
    expectTypeOf(repository.get).returns.resolves.toEqualTypeOf<Record<string, unknown> | null>();
  });
});
