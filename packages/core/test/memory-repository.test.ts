import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ONE_DAY_MS,
  type SessionRepositoryLike,
  SessionStoreError,
  toTtlSeconds,
} from '../src/index';
import {
  createMemoryRepository,
  MemorySessionRepository,
  type MemorySessionRepositoryOptions,
  MemorySessionStorage,
} from '../src/testing/index';

const START = Date.parse('2030-06-01T12:00:00.250Z');

/** A memory repository on a clock the test moves by hand. */
function onClock(options: MemorySessionRepositoryOptions = {}) {
  const clock = { now: START };
  const repository = createMemoryRepository({ ...options, now: () => clock.now });
  return { clock, repository };
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('the memory repository on an injected clock', () => {
  it('expires a session after defaultLifetimeMs (to the TTL second, rounded up) without sleeping', async () => {
    const { clock, repository } = onClock({ defaultLifetimeMs: 60_000 });
    await repository.set('a', { n: 1 });
    clock.now = toTtlSeconds(START + 60_000) * 1000 - 1;
    expect(await repository.get('a')).toEqual({ n: 1 });
    expect(await repository.length()).toBe(1);
    clock.now += 1;
    expect(await repository.get('a')).toBeNull();
    expect(await repository.touch('a')).toBe(false);
    expect(await collect(repository.ids())).toEqual([]);
  });

  it('ends a session at the millisecond of its cookie.expires', async () => {
    const { clock, repository } = onClock();
    const expires = START + 30_500;
    await repository.set('a', { cookie: { expires: new Date(expires) } }, expires);
    clock.now = expires - 1;
    expect(await repository.get('a')).toEqual({
      cookie: { expires: new Date(expires).toISOString() },
    });
    clock.now = expires;
    expect(await repository.get('a')).toBeNull();
  });

  it('stores the TTL DynamoDB would hold, in whole seconds rounded up', async () => {
    const { repository } = onClock({ prefix: 'app:' });
    await repository.set('a', { n: 1 }, START + 1_000);
    expect(repository.storage.get('app:a')).toEqual({
      id: { S: 'app:a' },
      expires: { N: String(toTtlSeconds(START + 1_000)) },
      sess: { S: '{"n":1}' },
    });
  });

  it('moves a touched session past its former expiry and into its data', async () => {
    const { clock, repository } = onClock();
    const expires = START + 10_000;
    await repository.set('a', { cookie: { expires: new Date(expires).toISOString() } }, expires);
    expect(await repository.touch('a', START + 3_600_000)).toBe(true);
    clock.now = expires + 60_000;
    expect(await repository.get('a')).toEqual({
      cookie: { expires: new Date(toTtlSeconds(START + 3_600_000) * 1000).toISOString() },
    });
  });

  it('reaps what expired by the clock and keeps the rest', async () => {
    const { clock, repository } = onClock();
    await repository.set('old', { n: 1 }, START + 1_000);
    await repository.set('new', { n: 2 }, START + 60_000);
    clock.now += 5_000;
    const progress: number[] = [];
    const result = await repository.reap({ onProgress: ({ found }) => progress.push(found) });
    expect(result).toMatchObject({ found: 1, deleted: 1, kept: 0, interrupted: false });
    expect(progress.at(-1)).toBe(1);
    expect(repository.storage.keys()).toEqual(['sess:new']);
  });

  it('lets a lease run out on the clock, so a crashed holder frees the session', async () => {
    const storage = new MemorySessionStorage();
    const clock = { now: START };
    const make = () =>
      createMemoryRepository({
        storage,
        now: () => clock.now,
        pessimisticLocking: { leaseMs: 5_000, waitMs: 50 },
      });
    const [holder, waiter] = [make(), make()];
    await holder.set('a', { n: 1 });
    const held = await holder.lock('a');
    await expect(waiter.lock('a')).rejects.toMatchObject({ code: 'LOCK_TIMEOUT' });
    clock.now += 5_001;
    expect((await waiter.lock('a')).data).toEqual({ n: 1 });
    await expect(held.save({ n: 2 })).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('lets the hold of a request that never wrote run out on the clock within one repository too', async () => {
    const clock = { now: START };
    const repository = createMemoryRepository({
      now: () => clock.now,
      pessimisticLocking: { leaseMs: 5_000, waitMs: 50 },
    });
    await repository.set('a', { n: 1 });
    await repository.lock('a');
    await expect(repository.lock('a')).rejects.toMatchObject({ code: 'LOCK_TIMEOUT' });
    clock.now += 5_001;
    const next = await repository.lock('a');
    expect(next.data).toEqual({ n: 1 });
    await next.release();
    await repository.set('a', { n: 2 });
    expect(await repository.get('a')).toEqual({ n: 2 });
  });

  it("admits a request already waiting once the injected clock passes the holder's lease", async () => {
    const clock = { now: START };
    const repository = createMemoryRepository({
      now: () => clock.now,
      pessimisticLocking: { leaseMs: 5_000, waitMs: 3_000 },
    });
    await repository.set('a', { n: 1 });
    await repository.lock('a');
    const waiting = repository.lock('a');
    await new Promise((resolve) => setTimeout(resolve, 50));
    clock.now += 5_001;
    const started = Date.now();
    expect((await waiting).data).toEqual({ n: 1 });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('reads the clock through Date.now() by default, so fake timers move it', async () => {
    vi.useFakeTimers({ now: START, toFake: ['Date'] });
    const repository = createMemoryRepository({ defaultLifetimeMs: 1_000 });
    await repository.set('a', { n: 1 });
    vi.setSystemTime(toTtlSeconds(START + 1_000) * 1000 - 1);
    expect(await repository.get('a')).toEqual({ n: 1 });
    vi.setSystemTime(toTtlSeconds(START + 1_000) * 1000);
    expect(await repository.get('a')).toBeNull();
  });
});

describe('the memory repository as a store', () => {
  it('keeps a copy of the data, as JSON would: later changes on either side do not leak', async () => {
    const repository = createMemoryRepository();
    const data = { user: { name: 'ann' }, at: new Date(START), skip: undefined };
    await repository.set('a', data);
    data.user.name = 'changed';
    const read = (await repository.get('a')) as { user: { name: string } };
    expect(read).toEqual({ user: { name: 'ann' }, at: new Date(START).toISOString() });
    read.user.name = 'changed too';
    expect(await repository.get('a')).toMatchObject({ user: { name: 'ann' } });
  });

  it('counts the DynamoDB requests the same calls would send: none for an unchanged save', async () => {
    const { repository } = onClock({ touchAfterMs: 60_000 });
    await repository.set('a', { n: 1 }, START + 3_600_000);
    await repository.get('a');
    expect(await repository.save('a', { n: 1 }, START + 3_600_000)).toBe('skipped');
    expect(repository.metrics()).toEqual({
      requests: { PutItem: 1, GetItem: 1 },
      errors: {},
      consumedCapacity: { read: 0, write: 0 },
    });
    expect(await repository.save('a', { n: 2 }, START + 3_600_000)).toBe('written');
    expect(repository.metrics().requests).toEqual({ PutItem: 2, GetItem: 1 });
  });

  it('reports an unreadable item as CORRUPT_SESSION and reads it as missing', async () => {
    const repository = createMemoryRepository();
    const reported: SessionStoreError[] = [];
    const stop = repository.onError((error) => reported.push(error));
    repository.storage.put('sess:a', { id: { S: 'sess:a' }, sess: { S: '{not json' } });
    expect(await repository.get('a')).toBeNull();
    expect(reported.map((error) => error.code)).toEqual(['CORRUPT_SESSION']);
    repository.report(new SessionStoreError('CORRUPT_SESSION', 'from an adapter'));
    stop();
    repository.report(new SessionStoreError('CORRUPT_SESSION', 'after unsubscribing'));
    expect(reported.map((error) => error.message)).toContain('from an adapter');
    expect(reported).toHaveLength(2);
  });

  it('validates its options with the core schema, naming the option', () => {
    expect(() => createMemoryRepository({ defaultLifetimeMs: -1 })).toThrow(
      /option "defaultLifetimeMs"/,
    );
    expect(() => createMemoryRepository({ tabel: 'x' } as never)).toThrow(
      /option "tabel" is not a known option/,
    );
    expect(() => createMemoryRepository({ now: 5 as never })).toThrow(
      expect.objectContaining({
        code: 'INVALID_OPTIONS',
        message: 'option "now" must be a function',
      }),
    );
    const { options } = createMemoryRepository();
    expect(options).toMatchObject({ defaultLifetimeMs: ONE_DAY_MS, prefix: 'sess:' });
    expect(options.pessimisticLocking).toBeUndefined();
  });

  it('accepts the DynamoDB options of an app and sends nothing anywhere', async () => {
    const repository = createMemoryRepository({
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:9',
      table: 'prod-sessions',
      requestTimeoutMs: 1,
    });
    await repository.set('a', { n: 1 });
    expect(await repository.get('a')).toEqual({ n: 1 });
    repository.close();
    expect(await repository.get('a')).toEqual({ n: 1 });
  });

  it('finds and destroys the sessions of one user through an index attribute', async () => {
    const repository = createMemoryRepository({
      indexAttributes: [{ name: 'userId', path: 'user.id', type: 'S', index: 'by-user' }],
    });
    await repository.set('a', { user: { id: 'ann' } });
    await repository.set('b', { user: { id: 'bob' } });
    await repository.set('c', { user: { id: 'ann' } });
    expect((await collect(repository.idsByAttribute('userId', 'ann'))).sort()).toEqual(['a', 'c']);
    expect(await repository.destroyByAttribute('userId', 'ann')).toBe(2);
    expect(await collect(repository.ids())).toEqual(['b']);
    await expect(collect(repository.idsByAttribute('other', 'x'))).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    });
  });

  it('stops a listing on an aborted signal with code ABORTED', async () => {
    const repository = createMemoryRepository();
    await repository.set('a', { n: 1 });
    const signal = AbortSignal.abort();
    await expect(collect(repository.ids({ signal }))).rejects.toMatchObject({ code: 'ABORTED' });
    expect(await repository.reap({ signal })).toMatchObject({ interrupted: true, deleted: 0 });
  });

  it('is what the adapters take: a SessionRepositoryLike', () => {
    const repository: SessionRepositoryLike = new MemorySessionRepository();
    expect(repository.options.defaultLifetimeMs).toBe(ONE_DAY_MS);
  });
});
