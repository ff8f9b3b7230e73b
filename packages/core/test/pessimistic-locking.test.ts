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
      const lock = await repository({ waitMs: 200 }).lock(id);
      await lock.release();
      return lock.data;
    };
    /** Asserts that another process cannot lock `id` now: someone holds it. */
    const expectLockedForOthers = (id: string) =>
      expect(repository({ waitMs: 200 }).lock(id)).rejects.toMatchObject({ code: 'LOCK_TIMEOUT' });

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
      const held = await first.lock(id);
      expect(held.data).toEqual({ n: 0 });
      let secondRead: unknown;
      const waiting = second.lock(id).then((lock) => {
        secondRead = lock.data;
        return lock;
      });
      await sleep(300);
      expect(secondRead).toBeUndefined();
      await held.save({ n: 1 }, inOneHour());
      await (await waiting).release();
      expect(secondRead).toEqual({ n: 1 });
    });

    it('loses no update when concurrent requests each read, increment and write', async () => {
      const id = newId();
      await repository().set(id, { n: 0 }, inOneHour());
      await Promise.all(
        Array.from({ length: 5 }, async () => {
          const lock = await repository().lock(id);
          await sleep(20);
          await lock.save({ n: (lock.data as { n: number }).n + 1 }, inOneHour());
        }),
      );
      expect(await repository().get(id)).toEqual({ n: 5 });
    });

    it('frees the lock of a crashed holder when its lease runs out', async () => {
      const id = newId();
      await repository().set(id, { n: 1 }, inOneHour());
      await repository({ leaseMs: 400 }).lock(id);
      const started = Date.now();
      const lock = await repository().lock(id);
      expect(lock.data).toEqual({ n: 1 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      await lock.release();
    });

    it('bounds the wait with LOCK_TIMEOUT', async () => {
      const id = newId();
      await repository().set(id, { n: 1 }, inOneHour());
      const held = await repository().lock(id);
      const started = Date.now();
      await expectLockedForOthers(id);
      expect(Date.now() - started).toBeLessThan(2_000);
      await held.release();
      expect(await readByAnotherProcess(id)).toEqual({ n: 1 });
    });

    it('releases on refresh, on an unchanged save and explicitly', async () => {
      const id = newId();
      const holder = repository({ waitMs: 100 });
      await holder.set(id, { n: 1 }, inOneHour());
      const first = await holder.lock(id);
      expect(await first.refresh(inOneHour())).not.toBe('missing');
      expect(await readByAnotherProcess(id)).toEqual({ n: 1 });
      const saver = await repository().lock(id);
      expect(await saver.save(saver.data as { n: number }, inOneHour())).not.toBe('written');
      const last = await repository({ waitMs: 100 }).lock(id);
      expect(last.data).toEqual({ n: 1 });
      await last.destroy();
      expect((await repository({ waitMs: 100 }).lock(id)).data).toBeNull();
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
            const lock = await shared.lock(id);
            await sleep(300);
            await lock.save({ n: (lock.data as { n: number }).n + 1 }, inOneHour());
          }),
        );
        expect(outcomes.map((outcome) => outcome.status)).toEqual(Array(3).fill('fulfilled'));
        expect(await readByAnotherProcess(id)).toEqual({ n: 3 });
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
          const lock = await shared.lock(id);
          await sleep(10);
          const order = (lock.data as { order: number[] }).order;
          await lock.save({ order: [...order, request] }, inOneHour());
        }),
      );
      expect(await shared.get(id)).toEqual({ order: [0, 1, 2, 3, 4] });
      expect((shared.metrics().requests.UpdateItem ?? 0) - before).toBe(5);
    });

    it('one repository: LOCK_TIMEOUT bounds the wait for a holder of the same process, whose lease then frees it', async () => {
      const id = newId();
      const shared = repository({ leaseMs: 700, waitMs: 200 });
      await shared.set(id, { n: 1 }, inOneHour());
      await shared.lock(id);
      const started = Date.now();
      await expect(shared.lock(id)).rejects.toMatchObject({ code: 'LOCK_TIMEOUT' });
      expect(Date.now() - started).toBeLessThan(2_000);
      await sleep(800);
      const lock = await shared.lock(id);
      expect(lock.data).toEqual({ n: 1 });
      await lock.release();
    });

    it('a write refused for its size ends the lock its read took', async () => {
      const id = newId();
      const holder = repository();
      await holder.set(id, { n: 1 }, inOneHour());
      const lock = await holder.lock(id);
      await expect(
        lock.save({ n: 2, blob: 'x'.repeat(500_000) }, inOneHour()),
      ).rejects.toMatchObject({ code: 'SESSION_TOO_LARGE' });
      expect(await readByAnotherProcess(id)).toEqual({ n: 1 });
    });

    it("a holder's write after another process destroyed the session (log out everywhere) fails with CONFLICT and does not bring it back", async () => {
      const id = newId();
      await repository().set(id, { n: 1 }, inOneHour());
      const lock = await repository().lock(id);
      await repository().destroy(id);
      await expect(lock.save({ n: 2 }, inOneHour())).rejects.toMatchObject({
        code: 'CONFLICT',
      });
      expect(await repository({ waitMs: 200 }).get(id)).toBeNull();
    });

    it("a holder's write after its lease ran out and another request took and released the lock fails with CONFLICT", async () => {
      const id = newId();
      await repository().set(id, { n: 1 }, inOneHour());
      const slow = await repository({ leaseMs: 300 }).lock(id);
      await sleep(400);
      const next = await repository().lock(id);
      expect(next.data).toEqual({ n: 1 });
      await next.save({ n: 2 }, inOneHour());
      await expect(slow.save({ n: 99 }, inOneHour())).rejects.toMatchObject({
        code: 'CONFLICT',
      });
      expect(await repository({ waitMs: 200 }).get(id)).toEqual({ n: 2 });
    });

    it("one repository: a handle whose hold has ended leaves the next request's lock alone", async () => {
      const id = newId();
      const shared = repository({ waitMs: 3_000 });
      await shared.set(id, { n: 0 }, inOneHour());
      const first = await shared.lock(id);
      const secondLock = shared.lock(id);
      await first.save({ n: 1 }, inOneHour());
      const second = await secondLock;
      expect(second.data).toEqual({ n: 1 });
      await first.release();
      expect(await first.refresh(inOneHour())).toBe('skipped');
      await expectLockedForOthers(id);
      await second.save({ n: 2 }, inOneHour());
      expect(await readByAnotherProcess(id)).toEqual({ n: 2 });
    });

    it('one repository: a late save of what a request already wrote does not undo what the next request wrote since', async () => {
      const id = newId();
      const shared = repository({ waitMs: 3_000 });
      await shared.set(id, { n: 0 }, inOneHour());
      const first = await shared.lock(id);
      expect(await first.save({ n: 1 }, inOneHour())).toBe('written');
      const second = await shared.lock(id);
      expect(second.data).toEqual({ n: 1 });
      await second.save({ n: 2 }, inOneHour());
      expect(await first.save({ n: 1 }, inOneHour())).toBe('skipped');
      expect(await readByAnotherProcess(id)).toEqual({ n: 2 });
    });

    it('refuses a write without the lock while another request holds it', async () => {
      const id = newId();
      await repository().set(id, { n: 1 }, inOneHour());
      const lock = await repository().lock(id);
      await expect(repository().set(id, { n: 99 }, inOneHour())).rejects.toMatchObject({
        code: 'CONFLICT',
      });
      await lock.save({ n: 2 }, inOneHour());
      expect(await repository().get(id)).toEqual({ n: 2 });
    });

    it('lock() of a missing session holds nothing, and its save creates the session', async () => {
      const id = newId();
      const lock = await repository().lock(id);
      expect(lock.data).toBeNull();
      expect(lock.held).toBe(false);
      expect(await lock.save({ n: 1 }, inOneHour())).toBe('written');
      expect(await readByAnotherProcess(id)).toEqual({ n: 1 });
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
