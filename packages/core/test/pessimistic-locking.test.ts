import {
  createTestTable,
  dropTable,
  localClient,
  testServers,
} from '@dynamodb-session/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionRepository } from '../src/index';

const inOneHour = () => Date.now() + 3_600_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let counter = 0;
const newId = () => `lock-${Date.now()}-${counter++}`;

for (const server of testServers()) {
  describe(`pessimistic locking on ${server.name}`, () => {
    const client = localClient(server.endpoint);
    let table = '';
    const repository = (options: { leaseMs?: number; waitMs?: number } = {}) =>
      new SessionRepository({
        client,
        table,
        pessimisticLocking: { leaseMs: 5_000, waitMs: 5_000, ...options },
      });
    /** What another process reads under its own lock (then released): what is stored. */
    const readByAnotherProcess = async (id: string) => {
      const other = repository({ waitMs: 200 });
      const data = await other.get(id);
      await other.release(id);
      return data;
    };
    /** Asserts that another process cannot lock `id` now: someone holds it. */
    const expectLockedForOthers = (id: string) =>
      expect(repository({ waitMs: 200 }).get(id)).rejects.toMatchObject({ code: 'LOCK_TIMEOUT' });

    beforeAll(async () => {
      table = await createTestTable(client);
    });
    afterAll(async () => {
      await dropTable(client, table);
      client.destroy();
    });

    it('makes a second reader wait until the first writes, then serves what it wrote', async () => {
      const id = newId();
      const first = repository();
      const second = repository();
      await first.set(id, { n: 0 }, inOneHour());
      expect(await first.get(id)).toEqual({ n: 0 });
      let secondRead: unknown;
      const waiting = second.get(id).then((data) => {
        secondRead = data;
      });
      await sleep(300);
      expect(secondRead).toBeUndefined();
      await first.set(id, { n: 1 }, inOneHour());
      await waiting;
      expect(secondRead).toEqual({ n: 1 });
      await second.release(id);
    });

    it('loses no update when concurrent requests each read, increment and write', async () => {
      const id = newId();
      await repository().set(id, { n: 0 }, inOneHour());
      await Promise.all(
        Array.from({ length: 5 }, async () => {
          const request = repository();
          const data = (await request.get(id)) as { n: number };
          await sleep(20);
          await request.set(id, { n: data.n + 1 }, inOneHour());
        }),
      );
      expect(await repository().get(id)).toEqual({ n: 5 });
    });

    it('frees the lock of a crashed holder when its lease runs out', async () => {
      const id = newId();
      await repository().set(id, { n: 1 }, inOneHour());
      await repository({ leaseMs: 400 }).get(id);
      const started = Date.now();
      expect(await repository().get(id)).toEqual({ n: 1 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    });

    it('bounds the wait with LOCK_TIMEOUT', async () => {
      const id = newId();
      await repository().set(id, { n: 1 }, inOneHour());
      const holder = repository();
      await holder.get(id);
      const started = Date.now();
      await expectLockedForOthers(id);
      expect(Date.now() - started).toBeLessThan(2_000);
      await holder.release(id);
      expect(await repository({ waitMs: 200 }).get(id)).toEqual({ n: 1 });
    });

    it('releases on touch, on an unchanged save and explicitly', async () => {
      const id = newId();
      const holder = repository();
      await holder.set(id, { n: 1 }, inOneHour());
      await holder.get(id);
      expect(await holder.touch(id, inOneHour())).toBe(true);
      const reader = repository({ waitMs: 100 });
      expect(await reader.get(id)).toEqual({ n: 1 });
      await reader.release(id);
      const saver = repository();
      const data = await saver.get(id);
      expect(await saver.save(id, data as { n: number }, inOneHour())).not.toBe('written');
      const last = repository({ waitMs: 100 });
      expect(await last.get(id)).toEqual({ n: 1 });
      await last.destroy(id);
      expect(await repository({ waitMs: 100 }).get(id)).toBeNull();
    });

    it("one repository: a slow answer to the holder's write does not cost the next holder its lock", async () => {
      const slowWrites = localClient(server.endpoint);
      slowWrites.middlewareStack.add(
        (next, context) => async (args) => {
          const output = await next(args);
          if (context.commandName === 'PutItemCommand') await sleep(250);
          return output;
        },
        { step: 'initialize' },
      );
      try {
        const id = newId();
        const shared = new SessionRepository({
          client: slowWrites,
          table,
          pessimisticLocking: { leaseMs: 10_000, waitMs: 10_000 },
        });
        await shared.set(id, { n: 0 }, inOneHour());
        const outcomes = await Promise.allSettled(
          Array.from({ length: 3 }, async () => {
            const data = (await shared.get(id)) as { n: number };
            await sleep(300);
            await shared.set(id, { n: data.n + 1 }, inOneHour());
          }),
        );
        expect(outcomes.map((outcome) => outcome.status)).toEqual(Array(3).fill('fulfilled'));
        expect(await repository({ waitMs: 200 }).get(id)).toEqual({ n: 3 });
      } finally {
        slowWrites.destroy();
      }
    }, 20_000);

    it('one repository: requests on one session take turns in arrival order, each locking once', async () => {
      const id = newId();
      const shared = repository();
      await shared.set(id, { order: [] }, inOneHour());
      const before = shared.metrics().requests.UpdateItem ?? 0;
      await Promise.all(
        Array.from({ length: 5 }, async (_, request) => {
          const data = (await shared.get(id)) as { order: number[] };
          await sleep(10);
          await shared.set(id, { order: [...data.order, request] }, inOneHour());
        }),
      );
      expect(await shared.get(id)).toEqual({ order: [0, 1, 2, 3, 4] });
      await shared.release(id);
      const lockingReads = 5 + 1;
      expect((shared.metrics().requests.UpdateItem ?? 0) - before).toBe(lockingReads + 1);
    });

    it('one repository: LOCK_TIMEOUT bounds the wait for a holder of the same process, whose lease then frees it', async () => {
      const id = newId();
      const shared = repository({ leaseMs: 700, waitMs: 200 });
      await shared.set(id, { n: 1 }, inOneHour());
      await shared.get(id);
      const started = Date.now();
      await expect(shared.get(id)).rejects.toMatchObject({ code: 'LOCK_TIMEOUT' });
      expect(Date.now() - started).toBeLessThan(2_000);
      await sleep(800);
      expect(await shared.get(id)).toEqual({ n: 1 });
      await shared.release(id);
    });

    it('a write refused for its size ends the lock its read took', async () => {
      const id = newId();
      const holder = repository();
      await holder.set(id, { n: 1 }, inOneHour());
      await holder.get(id);
      await expect(
        holder.set(id, { n: 2, blob: 'x'.repeat(500_000) }, inOneHour()),
      ).rejects.toMatchObject({ code: 'SESSION_TOO_LARGE' });
      expect(await readByAnotherProcess(id)).toEqual({ n: 1 });
    });

    it("a holder's write after another process destroyed the session (log out everywhere) fails with CONFLICT and does not bring it back", async () => {
      const id = newId();
      await repository().set(id, { n: 1 }, inOneHour());
      const holder = repository();
      await holder.get(id);
      await repository().destroy(id);
      await expect(holder.set(id, { n: 2 }, inOneHour())).rejects.toMatchObject({
        code: 'CONFLICT',
      });
      expect(await repository({ waitMs: 200 }).get(id)).toBeNull();
    });

    it("a holder's write after its lease ran out and another request took and released the lock fails with CONFLICT", async () => {
      const id = newId();
      await repository().set(id, { n: 1 }, inOneHour());
      const slow = repository({ leaseMs: 300 });
      await slow.get(id);
      await sleep(400);
      const next = repository();
      expect(await next.get(id)).toEqual({ n: 1 });
      await next.set(id, { n: 2 }, inOneHour());
      await expect(slow.set(id, { n: 99 }, inOneHour())).rejects.toMatchObject({
        code: 'CONFLICT',
      });
      expect(await repository({ waitMs: 200 }).get(id)).toEqual({ n: 2 });
    });

    it("one repository: calls naming a request whose lock has ended leave the next request's lock alone", async () => {
      const id = newId();
      const shared = repository({ waitMs: 3_000 });
      await shared.set(id, { n: 0 }, inOneHour());
      const first = { request: 'first' };
      const second = { request: 'second' };
      await shared.get(id, { lockOwner: first });
      const secondRead = shared.get(id, { lockOwner: second });
      await shared.set(id, { n: 1 }, inOneHour(), { lockOwner: first });
      expect(await secondRead).toEqual({ n: 1 });
      await shared.release(id, { lockOwner: first });
      expect(await shared.refresh(id, inOneHour(), { lockOwner: first })).not.toBe('missing');
      await expectLockedForOthers(id);
      await shared.set(id, { n: 2 }, inOneHour(), { lockOwner: second });
      expect(await readByAnotherProcess(id)).toEqual({ n: 2 });
    });

    it('one repository: a late save of what a request already wrote does not undo what the next request wrote since', async () => {
      const id = newId();
      const shared = repository({ waitMs: 3_000 });
      await shared.set(id, { n: 0 }, inOneHour());
      const first = { request: 'first' };
      const second = { request: 'second' };
      await shared.get(id, { lockOwner: first });
      expect(await shared.save(id, { n: 1 }, inOneHour(), { lockOwner: first })).toBe('written');
      expect(await shared.get(id, { lockOwner: second })).toEqual({ n: 1 });
      await shared.save(id, { n: 2 }, inOneHour(), { lockOwner: second });
      expect(await shared.save(id, { n: 1 }, inOneHour(), { lockOwner: first })).toBe('skipped');
      expect(await readByAnotherProcess(id)).toEqual({ n: 2 });
    });

    it('one repository: the data object a read returned stands for its request', async () => {
      const id = newId();
      const shared = repository({ waitMs: 3_000 });
      await shared.set(id, { n: 0 }, inOneHour());
      const firstData = (await shared.get(id)) as { n: number };
      const secondRead = shared.get(id);
      firstData.n = 1;
      await shared.save(id, firstData, inOneHour());
      const secondData = (await secondRead) as { n: number };
      expect(await shared.save(id, firstData, inOneHour())).not.toBe('written');
      await expectLockedForOthers(id);
      secondData.n = 2;
      await shared.save(id, secondData, inOneHour());
      expect(await readByAnotherProcess(id)).toEqual({ n: 2 });
    });

    it('refuses a write while another request holds the lock', async () => {
      const id = newId();
      await repository().set(id, { n: 1 }, inOneHour());
      const holder = repository();
      await holder.get(id);
      await expect(repository().set(id, { n: 99 }, inOneHour())).rejects.toMatchObject({
        code: 'CONFLICT',
      });
      await holder.set(id, { n: 2 }, inOneHour());
      expect(await repository().get(id)).toEqual({ n: 2 });
    });
  });
}

describe('pessimistic locking options', () => {
  it('cannot be combined with optimistic locking', () => {
    expect(
      () =>
        new SessionRepository({
          region: 'us-east-1',
          optimisticLocking: true,
          pessimisticLocking: {},
        }),
    ).toThrow(/option "pessimisticLocking": cannot be combined with optimisticLocking/);
  });
});
