/**
 * Sequences of operations (get, set, save, touch, refresh, destroy, clear, reap,
 * destroyByAttribute, clock moves) by one or two repositories sharing one storage, checked after
 * every step against a plain reference model: a Map of id -> live session or tombstone with its
 * TTL, where destroy wins (after a destroy, save/touch/refresh of that id never make it readable
 * again until a set, or until the tombstone's hour is over). A third repository that remembers
 * nothing reads every id after every step. The memory repository takes the long run (with an
 * injected clock); dynalite a shorter one on the real clock.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { DESTROYED_SESSION_KEPT_MS, type SessionRepository } from '../../src/index';
import { createMemoryRepository, MemorySessionStorage } from '../../src/testing/index';
import {
  anyId,
  type Layout,
  layoutArb,
  layoutOptions,
  prefixArb,
  runs,
  SEED,
  serverRuns,
  TIMEOUT,
  testServerNames,
  useBackend,
} from './support';

type Data = { nonce: number; s: string; userId?: string };
type Entry = { kind: 'live'; data: Data; ttl: number } | { kind: 'tomb'; ttl: number };
type Expiry = 'default' | 'short' | 'past' | 'long';

type Op =
  | { kind: 'get'; actor: number; id: number }
  | {
      kind: 'set';
      actor: number;
      id: number;
      data: Omit<Data, 'nonce'>;
      expiry: Expiry;
      ms: number;
    }
  | {
      kind: 'save';
      actor: number;
      id: number;
      fresh: boolean;
      data: Omit<Data, 'nonce'>;
      expiry: Expiry;
      ms: number;
    }
  | { kind: 'touch' | 'refresh'; actor: number; id: number; expiry: Expiry; ms: number }
  | { kind: 'destroy'; actor: number; id: number }
  | { kind: 'clear' | 'reap'; actor: number }
  | { kind: 'destroyByAttribute'; actor: number; user: 'u1' | 'u2' }
  | { kind: 'advance'; ms: number };

const actor = fc.nat({ max: 1 });
const id = fc.nat({ max: 2 });
const dataArb = fc
  .record({ s: fc.string({ maxLength: 6 }), userId: fc.constantFrom('u1', 'u2', undefined) })
  .map(({ s, userId }) => (userId === undefined ? { s } : { s, userId }));

function opArb(withClock: boolean): fc.Arbitrary<Op> {
  const expiry = withClock
    ? fc.constantFrom<Expiry>('default', 'short', 'past', 'long')
    : fc.constantFrom<Expiry>('default', 'past', 'long');
  const ms = fc.integer({ min: 500, max: 6_000 });
  const ops: fc.Arbitrary<Op>[] = [
    fc.record({ kind: fc.constant('get' as const), actor, id }),
    fc.record({ kind: fc.constant('set' as const), actor, id, data: dataArb, expiry, ms }),
    fc.record({
      kind: fc.constant('save' as const),
      actor,
      id,
      fresh: fc.boolean(),
      data: dataArb,
      expiry,
      ms,
    }),
    fc.record({
      kind: fc.constant('save' as const),
      actor,
      id,
      fresh: fc.constant(false),
      data: dataArb,
      expiry,
      ms,
    }),
    fc.record({
      kind: fc.constantFrom('touch' as const, 'refresh' as const),
      actor,
      id,
      expiry,
      ms,
    }),
    fc.record({ kind: fc.constant('destroy' as const), actor, id }),
    fc.record({ kind: fc.constantFrom('clear' as const, 'reap' as const), actor }),
    fc.record({
      kind: fc.constant('destroyByAttribute' as const),
      actor,
      user: fc.constantFrom('u1' as const, 'u2' as const),
    }),
  ];
  if (withClock) {
    ops.push(
      fc.record({
        kind: fc.constant('advance' as const),
        ms: fc.oneof(
          fc.integer({ min: 0, max: 4_000 }),
          fc.constant(DESTROYED_SESSION_KEPT_MS + 1_000),
        ),
      }),
    );
  }
  return fc.oneof(...ops);
}

interface Config {
  layout: Layout;
  prefix: string;
  trackedSessions: number | undefined;
  touchAfterMs: number | 'auto';
  actors: 1 | 2;
}

const configArb: fc.Arbitrary<Config> = fc.record({
  layout: layoutArb,
  prefix: prefixArb,
  trackedSessions: fc.constantFrom(0, 1, undefined),
  touchAfterMs: fc.constantFrom<number | 'auto'>('auto', 0, 60_000),
  actors: fc.constantFrom<1 | 2>(1, 2),
});

let nonces = 0;

/**
 * Runs `ops` on `actors` (repositories sharing one storage) and checks every step against the
 * model, reading through `observer`. `now()` is the clock the repositories use; `exact` when it
 * is the injected one (then TTLs are predicted to the second, and the last-second rules apply).
 */
async function runModel(
  ids: string[],
  ops: Op[],
  actors: SessionRepository[],
  observer: SessionRepository,
  clock: { now(): number; advance(ms: number): void; exact: boolean },
): Promise<void> {
  const model = new Map<string, Entry>();
  const lastData = new Map<string, Data>();
  const single = actors.length === 1;
  const ttlOf = (expiresAt: number) => Math.ceil(expiresAt / 1000);
  const readable = (entry: Entry | undefined, now: number): entry is Entry & { kind: 'live' } =>
    entry?.kind === 'live' && entry.ttl * 1000 > now;
  const expiryOf = (choice: Expiry, ms: number): number | undefined => {
    const now = clock.now();
    if (choice === 'default') return undefined;
    if (choice === 'short') return now + ms;
    if (choice === 'past') return now - 10_000;
    return now + 7_200_000;
  };
  const expiresAt = (expiry: number | undefined) => expiry ?? clock.now() + 86_400_000;
  const log: string[] = [];

  for (const [step, op] of ops.entries()) {
    const repository =
      'actor' in op ? (actors[op.actor % actors.length] as SessionRepository) : undefined;
    const sessionId = 'id' in op ? (ids[op.id] as string) : '';
    const entry = model.get(sessionId);
    const now = clock.now();
    const where = () => `step ${step} ${JSON.stringify(op)}\n${log.join('\n')}`;
    log.push(`${step}: ${JSON.stringify(op)}`);
    switch (op.kind) {
      case 'advance':
        clock.advance(op.ms);
        break;
      case 'get': {
        const got = await (repository as SessionRepository).get(sessionId);
        expect(got, where()).toEqual(readable(entry, now) ? entry.data : null);
        break;
      }
      case 'set': {
        const data = { ...op.data, nonce: ++nonces };
        const expiry = expiryOf(op.expiry, op.ms);
        await (repository as SessionRepository).set(sessionId, data, expiry);
        model.set(sessionId, { kind: 'live', data, ttl: ttlOf(expiresAt(expiry)) });
        lastData.set(sessionId, data);
        break;
      }
      case 'save': {
        const previous = entry?.kind === 'live' ? entry.data : lastData.get(sessionId);
        const data = op.fresh || !previous ? { ...op.data, nonce: ++nonces } : { ...previous };
        const fresh = op.fresh || !previous;
        const expiry = expiryOf(op.expiry, op.ms);
        const outcome = await (repository as SessionRepository).save(sessionId, data, expiry);
        log.push(`   -> ${outcome}`);
        const destroyed = entry?.kind === 'tomb' && entry.ttl * 1000 > now;
        const margin = clock.exact ? 1_000 : 5_000;
        const lastSecond = readable(entry, now) && entry.ttl * 1000 <= now + margin;
        if (destroyed) {
          // destroy wins: a changed save finds the tombstone; an unchanged one may be skipped by
          // a repository that did not see the destroy (it writes nothing either way)
          const allowed = fresh || single ? ['missing'] : ['missing', 'skipped'];
          expect(allowed, `destroy wins: ${where()}`).toContain(outcome);
        } else if (fresh) {
          expect(outcome, where()).toBe('written');
        } else if (readable(entry, now)) {
          const allowed = ['written', 'refreshed', 'skipped', ...(lastSecond ? ['missing'] : [])];
          expect(allowed, where()).toContain(outcome);
          if (single && outcome !== 'written') expect(entry.data, where()).toEqual(data);
        } else {
          // 'skipped' by a repository that did not see it go, or for an expiry already past
          // (nothing to keep alive: the stored session is expired either way)
          const skip = !single || expiresAt(expiry) <= now;
          expect(['written', 'missing', ...(skip ? ['skipped'] : [])], where()).toContain(outcome);
        }
        if (outcome === 'written') {
          model.set(sessionId, { kind: 'live', data, ttl: ttlOf(expiresAt(expiry)) });
          lastData.set(sessionId, data);
        } else if (outcome === 'refreshed' && entry?.kind === 'live') {
          model.set(sessionId, { ...entry, ttl: ttlOf(expiresAt(expiry)) });
        }
        break;
      }
      case 'touch': {
        const expiry = expiryOf(op.expiry, op.ms);
        const touched = await (repository as SessionRepository).touch(sessionId, expiry);
        log.push(`   -> ${touched}`);
        if (!readable(entry, now)) expect(touched, where()).toBe(false);
        else if (entry.ttl * 1000 > now + (clock.exact ? 1_000 : 5_000))
          expect(touched, where()).toBe(true);
        if (touched && entry?.kind === 'live')
          model.set(sessionId, { ...entry, ttl: ttlOf(expiresAt(expiry)) });
        break;
      }
      case 'refresh': {
        const expiry = expiryOf(op.expiry, op.ms);
        const outcome = await (repository as SessionRepository).refresh(sessionId, expiry);
        log.push(`   -> ${outcome}`);
        if (!readable(entry, now)) {
          const skip = !single || expiresAt(expiry) <= now;
          expect(skip ? ['missing', 'skipped'] : ['missing'], where()).toContain(outcome);
        } else {
          if (outcome === 'missing') {
            expect(entry.ttl * 1000, where()).toBeLessThanOrEqual(
              now + (clock.exact ? 1_000 : 5_000),
            );
          }
          if (outcome === 'skipped' && single && clock.exact) {
            // a skip leaves the stored expiry behind by at most a quarter of the lifetime
            const wanted = ttlOf(expiresAt(expiry));
            expect(wanted, where()).toBeGreaterThanOrEqual(entry.ttl);
            expect((wanted - entry.ttl) * 1000, where()).toBeLessThanOrEqual(
              Math.max(0, (expiresAt(expiry) - now) / 4),
            );
          }
        }
        if (outcome === 'refreshed' && entry?.kind === 'live') {
          model.set(sessionId, { ...entry, ttl: ttlOf(expiresAt(expiry)) });
        }
        break;
      }
      case 'destroy':
        await (repository as SessionRepository).destroy(sessionId);
        model.set(sessionId, { kind: 'tomb', ttl: ttlOf(now + DESTROYED_SESSION_KEPT_MS) });
        break;
      case 'clear': {
        const cleared = await (repository as SessionRepository).clear();
        expect(cleared, where()).toBe(model.size);
        model.clear();
        break;
      }
      case 'reap': {
        const expired = [...model]
          .filter(([, value]) => value.ttl * 1000 <= now)
          .map(([key]) => key);
        const result = await (repository as SessionRepository).reap();
        expect(result.deleted, where()).toBe(expired.length);
        for (const key of expired) model.delete(key);
        break;
      }
      case 'destroyByAttribute': {
        const matching = [...model].filter(
          ([, value]) => readable(value, now) && value.data.userId === op.user,
        );
        const destroyed = await (repository as SessionRepository).destroyByAttribute(
          'userId',
          op.user,
        );
        expect(destroyed, where()).toBe(matching.length);
        for (const [key] of matching) model.set(key, { kind: 'tomb', ttl: ttlOf(now + 3_600_000) });
        break;
      }
    }
    // the observer remembers nothing: it sees what the storage holds
    const seen = clock.now();
    for (const other of ids) {
      const expected = model.get(other);
      expect(await observer.get(other), `id ${JSON.stringify(other)} after ${where()}`).toEqual(
        readable(expected, seen) ? expected.data : null,
      );
    }
  }
  const live = [...model.values()].filter((value) => readable(value, clock.now())).length;
  expect(await observer.length()).toBe(live);
}

function repositoryOptions(config: Config) {
  return {
    ...layoutOptions(config.layout),
    prefix: config.prefix,
    touchAfterMs: config.touchAfterMs,
    ...(config.trackedSessions !== undefined && { trackedSessions: config.trackedSessions }),
    indexAttributes: [
      { name: 'userId', type: 'S' as const, index: 'userId-index', required: false },
    ],
  };
}

describe('operation sequences against the reference model (memory repository)', {
  timeout: TIMEOUT,
}, () => {
  test.prop(
    [
      configArb,
      fc.uniqueArray(anyId, { minLength: 3, maxLength: 3 }),
      fc.array(opArb(true), { minLength: 1, maxLength: 30 }),
    ],
    { numRuns: runs(150), seed: SEED },
  )('one or two repositories sharing a MemorySessionStorage', async (config, ids, ops) => {
    let time = 1_800_000_000_000;
    const clock = {
      now: () => time,
      advance: (ms: number) => {
        time += ms;
      },
      exact: true,
    };
    const storage = new MemorySessionStorage();
    const options = { ...repositoryOptions(config), storage, now: clock.now };
    const actors = Array.from({ length: config.actors }, () => createMemoryRepository(options));
    const observer = createMemoryRepository({ ...options, trackedSessions: 0 });
    await runModel(ids, ops, actors, observer, clock);
  });
});

for (const name of testServerNames().filter((server) => server === 'dynalite')) {
  describe(`operation sequences against the reference model (${name})`, {
    timeout: Math.max(TIMEOUT, 60_000),
  }, () => {
    const backend = useBackend(name);
    let run = 0;
    test.prop(
      [
        configArb,
        fc.uniqueArray(anyId, { minLength: 3, maxLength: 3 }),
        fc.array(opArb(false), { minLength: 1, maxLength: 15 }),
      ],
      { numRuns: serverRuns(8), seed: SEED },
    )('one or two repositories sharing a table', async (config, ids, ops) => {
      run += 1;
      const scoped = {
        ...config,
        prefix: `m${String(run).padStart(5, '0')}${process.pid}${config.prefix}`,
      };
      const options = repositoryOptions(scoped);
      const actors = Array.from({ length: config.actors }, () => backend.repo(options));
      const observer = backend.repo({ ...options, trackedSessions: 0 });
      const clock = { now: () => Date.now(), advance: () => {}, exact: false };
      await runModel(ids, ops, actors, observer, clock);
    });
  });
}
