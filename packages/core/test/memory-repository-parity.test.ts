import {
  createTestTable,
  dropTable,
  localClient,
  testServers,
} from '@dynamodb-session/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionRepository, type SessionRepositoryOptions } from '../src/index';
import { createMemoryRepository, MemorySessionStorage } from '../src/testing/index';

type Repository = SessionRepository;

/** One scenario: calls on a fresh repository, returning everything they observed. */
type Scenario = (repository: Repository) => Promise<unknown[]>;

const HOUR = 3_600_000;
const later = () => Date.now() + HOUR;
const past = () => Date.now() - 10_000;

/** What a call settled with: its value, or the code of the error it threw. */
async function outcome(call: () => Promise<unknown>): Promise<unknown> {
  try {
    return { value: await call() };
  } catch (error) {
    return { error: (error as { code?: string }).code ?? String(error) };
  }
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

const requests = (repository: Repository) => repository.metrics().requests;

const scenarios: Record<string, [SessionRepositoryOptions, Scenario]> = {
  'save writes changed data, refreshes unchanged data, and never revives a destroyed session': [
    { touchAfterMs: 0 },
    async (repository) => [
      await repository.save('a', { n: 1 }, later()),
      await repository.get('a'),
      await repository.save('a', { n: 1 }, later() + 5_000),
      await repository.save('a', { n: 2 }, later()),
      await repository.refresh('a', later() + 60_000),
      await repository.destroy('a'),
      await repository.save('a', { n: 2 }, later()),
      await repository.get('a'),
      requests(repository),
    ],
  ],
  'requests of one repository on one session take turns, each locking once (pessimisticLocking)': [
    { pessimisticLocking: { waitMs: 3_000, leaseMs: 5_000 } },
    async (repository) => {
      await repository.set('a', { order: [] }, later());
      await Promise.all(
        [0, 1, 2].map(async (request) => {
          const lock = await repository.lock('a');
          await new Promise((resolve) => setTimeout(resolve, 5));
          const order = (lock.data as { order: number[] }).order;
          await lock.save({ order: [...order, request] }, later());
        }),
      );
      return [await repository.get('a'), requests(repository)];
    },
  ],
  'calls for a request whose lock has ended leave the next request alone (pessimisticLocking)': [
    { pessimisticLocking: { waitMs: 3_000, leaseMs: 5_000 } },
    async (repository) => {
      await repository.set('a', { n: 0 }, later());
      const first = await repository.lock('a');
      const observed: unknown[] = [await first.save({ n: 1 }, later())];
      const second = await repository.lock('a');
      observed.push(second.data);
      observed.push(await first.refresh(later() + HOUR));
      observed.push(await outcome(() => first.release()));
      observed.push(await second.save({ n: 2 }, later()));
      observed.push(await first.save({ n: 1 }, later()));
      observed.push(await outcome(() => first.save({ n: 3 }, later())));
      observed.push(await repository.get('a'), requests(repository));
      return observed;
    },
  ],
  'refresh skips a stored expiry that lags by less than touchAfterMs': [
    { touchAfterMs: 60_000 },
    async (repository) => {
      const expiry = later();
      return [
        await repository.save('a', { n: 1 }, expiry),
        await repository.refresh('a', expiry + 30_000),
        await repository.refresh('a', expiry + 90_000),
        await repository.refresh('missing', expiry),
        requests(repository),
      ];
    },
  ],
  'touch refreshes live sessions only': [
    {},
    async (repository) => [
      await repository.touch('missing', later()),
      await repository.set('old', { n: 1 }, past()),
      await repository.touch('old', later()),
      await repository.get('old'),
      await repository.set('live', { cookie: { expires: new Date(later()).toISOString() } }),
      await repository.touch('live', Date.UTC(2031, 0, 1)),
      await repository.get('live'),
      requests(repository),
    ],
  ],
  'refuses bad ids and bad data with the same codes': [
    { indexAttributes: [{ name: 'user', path: 'user.id', type: 'S' }] },
    async (repository) => [
      await outcome(() => repository.set('bad:id', { user: { id: 'u' } })),
      await outcome(() => repository.set('', { user: { id: 'u' } })),
      await outcome(() => repository.set('a', [] as never)),
      await outcome(() => repository.set('a', { n: 1 })),
      await outcome(() => repository.set('a', { user: { id: 'u' } }, new Date(Number.NaN))),
      await outcome(() => repository.set('a', { user: { id: 'u' }, big: 'x'.repeat(401 * 1024) })),
      await outcome(() => repository.set('a', { user: { id: 'u' }, n: 10n } as never)),
      await outcome(() => repository.get('a')),
      requests(repository),
    ],
  ],
  'lists, counts and clears the live sessions of its prefix only': [
    {},
    async (repository) => {
      await repository.set('a', { n: 1 }, later());
      await repository.set('b', { n: 2, when: new Date(Date.UTC(2030, 0, 1)) });
      await repository.set('gone', { n: 3 }, past());
      const byId = (x: { key: string }, y: { key: string }) => x.key.localeCompare(y.key);
      return [
        (await collect(repository.ids({ segments: 1 }))).sort(),
        (await collect(repository.all({ segments: 1 }))).sort(byId),
        await repository.length({ segments: 1 }),
        await repository.clear({ segments: 1 }),
        await repository.length({ segments: 1 }),
        await repository.get('a'),
      ];
    },
  ],
  'reaps expired sessions and keeps live ones': [
    {},
    async (repository) => {
      for (const id of ['x1', 'x2', 'x3']) await repository.set(id, { id }, past());
      await repository.set('live', { id: 'live' }, later());
      const { found, deleted, kept, interrupted } = await repository.reap({ segments: 1 });
      return [{ found, deleted, kept, interrupted }, await repository.length({ segments: 1 })];
    },
  ],
  'optimistic locking refuses a write based on a stale read': [
    { optimisticLocking: true },
    async (repository) => {
      await repository.set('a', { n: 1 });
      const first = (await repository.get('a')) as Record<string, unknown>;
      const second = (await repository.get('a')) as Record<string, unknown>;
      return [
        first,
        await outcome(() => repository.set('a', { ...first, n: 2 })),
        await outcome(() => repository.set('a', { ...second, n: 3 })),
        await repository.get('a'),
        await outcome(() => repository.set('a', { n: 4 })),
      ];
    },
  ],
  'hashes ids at rest and lists the stored keys, not ids': [
    { hashSessionIds: true },
    async (repository) => {
      await repository.set('secret-id', { n: 1 });
      const keys = (await collect(repository.keys({ segments: 1 }))) as string[];
      return [
        await repository.get('secret-id'),
        keys.map((key) => key.replace(/^parity\d+:/, '')),
        await outcome(() => collect(repository.ids({ segments: 1 }))),
      ];
    },
  ],
};

for (const server of testServers()) {
  describe(`the memory repository behaves like the DynamoDB one on ${server.name}`, () => {
    const client = localClient(server.endpoint);
    let table = '';
    let run = 0;
    beforeAll(async () => {
      table = await createTestTable(client);
    });
    afterAll(async () => {
      await dropTable(client, table);
      client.destroy();
    });

    for (const [name, [options, scenario]] of Object.entries(scenarios)) {
      it(name, async () => {
        const prefix = `parity${run++}:`;
        const dynamo = new SessionRepository({ ...options, client, table, prefix });
        const memory = createMemoryRepository({ ...options, prefix });
        const expected = await scenario(dynamo);
        expect(await scenario(memory)).toEqual(expected);
      });
    }

    it('locks pessimistically like the DynamoDB repository', async () => {
      const observe = async (make: (prefix: string) => [Repository, Repository]) => {
        const [holder, waiter] = make(`parity${run++}:`);
        await holder.set('a', { n: 1 });
        const held = await holder.lock('a');
        const blocked = await outcome(() => waiter.lock('a'));
        await held.release();
        const waiting = await waiter.lock('a');
        const free = waiting.data;
        const conflict = await outcome(() => holder.set('a', { n: 2 }));
        await waiting.save({ n: 3 });
        const again = await holder.lock('a');
        const afterWrite = again.data;
        await again.release();
        const last = await waiter.lock('a');
        await holder.destroy('a');
        const afterLogout = await outcome(() => last.save({ n: 4 }));
        return [blocked, free, conflict, afterWrite, afterLogout, await holder.get('a')];
      };
      const pessimisticLocking = { waitMs: 150, leaseMs: 5_000 };
      const expected = await observe((prefix) => [
        new SessionRepository({ client, table, prefix, pessimisticLocking }),
        new SessionRepository({ client, table, prefix, pessimisticLocking }),
      ]);
      expect(expected[0]).toEqual({ error: 'LOCK_TIMEOUT' });
      expect(expected.slice(4)).toEqual([{ error: 'CONFLICT' }, null]);
      const storage = new MemorySessionStorage();
      const actual = await observe((prefix) => [
        createMemoryRepository({ prefix, pessimisticLocking, storage }),
        createMemoryRepository({ prefix, pessimisticLocking, storage }),
      ]);
      expect(actual).toEqual(expected);
    });
  });
}
