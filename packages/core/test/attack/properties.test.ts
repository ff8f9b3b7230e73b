/**
 * Property-based attacks on ids, prefixes and layouts: every framework's id shape and arbitrary
 * strings, under prefixes ending in each separator, with every serializer / hashing /
 * encryption / compression layout. The memory repository takes the many runs; each local server
 * a shorter run of the round trip. `PROPERTY_RUNS=2000` for a long run.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { hashSessionId, type SessionRepository } from '../../src/index';
import { createMemoryRepository, MemorySessionStorage } from '../../src/testing/index';
import {
  anyId,
  frameworkId,
  isStoreError,
  type Layout,
  layoutArb,
  layoutOptions,
  prefixArb,
  rejection,
  runs,
  SEED,
  serverRuns,
  TIMEOUT,
  testServerNames,
  useBackend,
} from './support';

const params = (numRuns: number) => ({ numRuns: runs(numRuns), seed: SEED });

/** The table key the repository must use for `id`. */
const storedKey = (prefix: string, id: string, layout: { hashSessionIds: boolean }) =>
  prefix + (layout.hashSessionIds ? hashSessionId(id) : id);

/** A lone surrogate inserted somewhere in a valid id: an id that must be refused. */
const loneSurrogateId = fc
  .tuple(anyId, fc.nat(), fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff'))
  .map(([id, at, lone]) => {
    const points = [...id];
    const index = at % (points.length + 1);
    return [...points.slice(0, index), lone, ...points.slice(index)].join('');
  })
  // a high surrogate inserted right before a low one would make a pair
  .filter((id) =>
    /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(id),
  );

/** The life of one session through the calls a framework makes, checked on `repository`. */
async function roundTrip(
  repository: SessionRepository,
  observer: SessionRepository,
  raw: (key: string) => Promise<unknown>,
  prefix: string,
  id: string,
  layout: Layout,
): Promise<void> {
  const data = { user: id, n: 1, nested: { list: [1, 'two', null] } };
  await repository.set(id, data);
  expect(await repository.get(id)).toEqual(data);
  expect(await raw(storedKey(prefix, id, layout))).toBeDefined();
  expect(await repository.save(id, { ...data, n: 2 })).toBe('written');
  expect(await observer.get(id)).toEqual({ ...data, n: 2 });
  expect(await repository.get(id)).toEqual({ ...data, n: 2 });
  expect(await repository.save(id, { ...data, n: 2 })).not.toBe('written');
  expect(await repository.touch(id)).toBe(true);
  await repository.destroy(id);
  expect(await observer.get(id)).toBeNull();
  expect(await repository.save(id, { ...data, n: 2 })).not.toBe('written');
  expect(await repository.save(id, { ...data, n: 3 })).toBe('missing');
  expect(await repository.touch(id)).toBe(false);
  expect(await observer.get(id)).toBeNull();
  await repository.set(id, { ...data, n: 4 });
  expect(await observer.get(id)).toEqual({ ...data, n: 4 });
}

describe('ids, prefixes and layouts on the memory repository', { timeout: TIMEOUT }, () => {
  test.prop([prefixArb, anyId, layoutArb], params(100))(
    'every valid id round-trips under every prefix and layout',
    async (prefix, id, layout) => {
      const storage = new MemorySessionStorage();
      const options = { ...layoutOptions(layout), prefix, storage };
      const repository = createMemoryRepository(options);
      const observer = createMemoryRepository({ ...options, trackedSessions: 0 });
      await roundTrip(repository, observer, async (key) => storage.get(key), prefix, id, layout);
    },
  );

  test.prop([prefixArb, frameworkId], params(100))(
    'connect-dynamodb items (key = prefix + id, sess JSON, expires seconds) are read',
    async (prefix, id) => {
      const storage = new MemorySessionStorage();
      const session = { cookie: { originalMaxAge: 60_000, path: '/' }, user: 'a' };
      storage.put(prefix + id, {
        id: { S: prefix + id },
        expires: { N: String(Date.now() / 1000 + 60) },
        type: { S: 'connect-session' },
        sess: { S: JSON.stringify(session) },
      });
      expect(await createMemoryRepository({ prefix, storage }).get(id)).toEqual(session);
    },
  );

  test.prop(
    [
      prefixArb,
      fc.uniqueArray(anyId, { minLength: 1, maxLength: 12 }),
      fc.boolean(),
      fc.integer({ min: 1, max: 5 }),
    ],
    params(60),
  )(
    'hashSessionIds: keys/all/length/destroyByAttribute/reap/clear see every session of the prefix',
    async (prefix, ids, hashSessionIds, pageSize) => {
      let clock = 1_800_000_000_000;
      const storage = new MemorySessionStorage();
      const indexAttributes = [
        { name: 'userId', type: 'S' as const, index: 'userId-index', required: false },
      ];
      const options = { prefix, hashSessionIds, storage, now: () => clock, indexAttributes };
      const repository = createMemoryRepository(options);
      // another app on the table, under a prefix neither starts nor is started by this one
      const neighbourPrefix = prefix === '' ? undefined : `\u{10FFFF}${prefix}`;
      const neighbour =
        neighbourPrefix === undefined
          ? undefined
          : createMemoryRepository({ ...options, prefix: neighbourPrefix });
      await neighbour?.set('n', { userId: 'u1' });
      for (const [index, id] of ids.entries()) {
        await repository.set(id, { index, userId: index % 2 === 0 ? 'u1' : 'u2' });
      }
      await repository.set(`${ids[0]}\u2063expired`, { userId: 'u1' }, clock + 1_000);
      clock += 2_000;
      const bulk = { pageSize, segments: 1 + (pageSize % 3) };
      const keys: string[] = [];
      for await (const key of repository.keys(bulk)) keys.push(key);
      expect(keys.sort()).toEqual(
        ids.map((id) => storedKey(prefix, id, { hashSessionIds })).sort(),
      );
      const entries = [];
      for await (const entry of repository.all(bulk)) entries.push(entry);
      expect(entries.length).toBe(ids.length);
      for (const entry of entries) {
        expect(entry.id).toBe(hashSessionIds ? undefined : ids[entry.data.index as number]);
      }
      expect(await repository.length(bulk)).toBe(ids.length);
      const u1 = ids.filter((_, index) => index % 2 === 0);
      expect(await repository.destroyByAttribute('userId', 'u1', bulk)).toBe(u1.length);
      for (const id of u1) expect(await repository.get(id)).toBeNull();
      expect(await repository.length(bulk)).toBe(ids.length - u1.length);
      expect((await repository.reap(bulk)).deleted).toBe(1);
      expect(await repository.clear(bulk)).toBe(ids.length);
      expect(await repository.length()).toBe(0);
      if (neighbour) {
        expect(await neighbour.get('n')).toEqual({ userId: 'u1' });
        expect(storage.keys()).toEqual([
          `${neighbourPrefix}${hashSessionIds ? hashSessionId('n') : 'n'}`,
        ]);
      } else {
        expect(storage.keys()).toEqual([]);
      }
    },
  );

  test.prop([prefixArb, anyId, fc.constantFrom('json' as const, 'map' as const)], params(100))(
    'readUnhashedIds: no stored key (with or without the prefix) works as a credential',
    async (prefix, victim, serializer) => {
      const storage = new MemorySessionStorage();
      const repository = createMemoryRepository({
        prefix,
        storage,
        serializer,
        hashSessionIds: true,
        readUnhashedIds: true,
      });
      await repository.set(victim, { role: 'admin' });
      const keys: string[] = [];
      for await (const key of repository.keys()) keys.push(key);
      expect(keys).toEqual([prefix + hashSessionId(victim)]);
      const key = keys[0] as string;
      const victimItem = structuredClone(storage.get(key));
      for (const credential of new Set([key.slice(prefix.length), key])) {
        expect(await repository.get(credential)).toBeNull();
        expect(await repository.touch(credential)).toBe(false);
        expect(await repository.refresh(credential)).toBe('missing');
        await repository.set(credential, { role: 'attacker' });
        await repository.save(credential, { role: 'attacker', n: 2 });
        await repository.destroy(credential);
        expect(storage.get(key)).toEqual(victimItem);
      }
      expect(await repository.get(victim)).toEqual({ role: 'admin' });
    },
  );

  test.prop([prefixArb, loneSurrogateId, fc.boolean()], params(100))(
    'an id with a lone surrogate is refused by every call and touches no item',
    async (prefix, id, hashSessionIds) => {
      const storage = new MemorySessionStorage();
      const repository = createMemoryRepository({ prefix, storage, hashSessionIds });
      const victim = id.replace(/[\ud800-\udfff]/g, '\ufffd');
      await repository.set(victim, { owner: 'victim' });
      const before = JSON.stringify(storage.keys().map((key) => storage.get(key)));
      expect(await repository.get(id)).toBeNull();
      expect(
        isStoreError(await rejection(repository.set(id, { a: 1 })), 'INVALID_SESSION_ID'),
      ).toBe(true);
      expect(
        isStoreError(await rejection(repository.save(id, { a: 1 })), 'INVALID_SESSION_ID'),
      ).toBe(true);
      expect(await repository.touch(id)).toBe(false);
      await repository.destroy(id);
      expect(JSON.stringify(storage.keys().map((key) => storage.get(key)))).toBe(before);
    },
  );

  test.prop(
    [prefixArb, fc.uniqueArray(anyId, { minLength: 2, maxLength: 6 }), fc.boolean()],
    params(100),
  )(
    'distinct ids never share an item (plain or hashed, with readUnhashedIds)',
    async (prefix, ids, hashed) => {
      const storage = new MemorySessionStorage();
      const repository = createMemoryRepository({
        prefix,
        storage,
        hashSessionIds: hashed,
        readUnhashedIds: hashed,
      });
      for (const [index, id] of ids.entries()) await repository.set(id, { index });
      for (const [index, id] of ids.entries()) expect(await repository.get(id)).toEqual({ index });
      expect(storage.keys()).toHaveLength(ids.length);
      await repository.destroy(ids[0] as string);
      for (const [index, id] of ids.entries()) {
        expect(await repository.get(id)).toEqual(index === 0 ? null : { index });
      }
    },
  );
});

describe('continuously refreshed sessions never expire (memory repository, injected clock)', {
  timeout: TIMEOUT,
}, () => {
  test.prop(
    [
      fc.integer({ min: 2_000, max: 60_000 }),
      fc.double({ min: 0.01, max: 0.5, noNaN: true }),
      fc.oneof(fc.constant<'auto'>('auto'), fc.double({ min: 0, max: 20, noNaN: true })),
      fc.constantFrom('refresh', 'save unchanged', 'save rolling', 'touch'),
      fc.constantFrom(1, 2),
      fc.integer({ min: 0, max: 999 }),
    ],
    params(100),
  )(
    'lifetime L, a refresh every r <= L/2, any touchAfterMs (up to 20 L): always readable',
    async (lifetime, share, touchFactor, kind, repositories, offset) => {
      const every = Math.max(1, Math.floor(lifetime * share));
      const touchAfterMs: number | 'auto' =
        touchFactor === 'auto' ? 'auto' : Math.min(86_399_999, Math.floor(lifetime * touchFactor));
      let clock = 1_800_000_000_000 + offset;
      const storage = new MemorySessionStorage();
      const options = { now: () => clock, storage, touchAfterMs };
      const actors = Array.from({ length: repositories }, () => createMemoryRepository(options));
      const observer = createMemoryRepository({ now: () => clock, storage, trackedSessions: 0 });
      const data = (expiresAt: number) => ({
        user: 'u',
        cookie: { originalMaxAge: lifetime, expires: new Date(expiresAt).toISOString() },
      });
      const first = clock + lifetime;
      await actors[0]?.set('s', data(first), first);
      for (let step = 0; step < 40; step++) {
        clock += every - 1;
        expect(await observer.get('s'), `just before refresh ${step}`).not.toBeNull();
        clock += 1;
        const actor = actors[step % actors.length] as (typeof actors)[number];
        const expiresAt = clock + lifetime;
        if (kind === 'refresh') await actor.refresh('s', expiresAt);
        else if (kind === 'touch') await actor.touch('s', expiresAt);
        else if (kind === 'save unchanged') await actor.save('s', data(first), expiresAt);
        else await actor.save('s', data(expiresAt), expiresAt);
        expect(await observer.get('s'), `after refresh ${step}`).not.toBeNull();
      }
    },
  );
});

for (const name of testServerNames()) {
  describe(`ids, prefixes and layouts on ${name}`, { timeout: Math.max(TIMEOUT, 60_000) }, () => {
    const backend = useBackend(name);
    let run = 0;
    test.prop([prefixArb, anyId, layoutArb], { numRuns: serverRuns(8), seed: SEED })(
      'every valid id round-trips under every prefix and layout',
      async (prefix, id, layout) => {
        run += 1;
        // a stem of its own per run, so runs (and the other files) never share keys
        const scoped = `p${String(run).padStart(5, '0')}${process.pid}${prefix}`;
        const options = { ...layoutOptions(layout), prefix: scoped };
        const repository = backend.repo(options);
        const observer = backend.repo({ ...options, trackedSessions: 0 });
        await roundTrip(repository, observer, backend.raw, scoped, id, layout);
        // the same id expired: reap (PartiQL on DynamoDB Local, DeleteItem on dynalite) finds it
        await repository.set(id, { expired: true }, Date.now() - 10_000);
        expect((await repository.reap()).deleted).toBe(1);
        expect(await backend.raw(storedKey(scoped, id, layout))).toBeUndefined();
      },
    );
  });
}
