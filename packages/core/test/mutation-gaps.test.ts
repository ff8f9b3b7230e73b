/**
 * Behaviour of the core's pure modules that the rest of the suite exercised only indirectly:
 * found by mutation testing (`pnpm run mutation`), whose surviving mutants showed it untested.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  and,
  applyChange,
  beginsWith,
  type Comparison,
  type Condition,
  compare,
  compileChange,
  compileCondition,
  ExpressionNames,
  exists,
  holds,
  type Item,
  missing,
  not,
  or,
} from '../src/conditions';
import { parseSessionRepositoryOptions } from '../src/options';
import {
  fingerprintSession,
  RecentSessions,
  refreshCanWait,
  refreshWindowMs,
} from '../src/recent-sessions';
import { jsonSerializer } from '../src/serializers';
import { SessionConditions } from '../src/session-conditions';
import type { SessionData } from '../src/session-data';
import {
  fromSessionKey,
  hashSessionId,
  looksLikeHashedId,
  prefixesOverlap,
} from '../src/session-key';

describe('conditions', () => {
  it('judges comparisons as DynamoDB does: numbers by value, strings by UTF-8 bytes, other types never', () => {
    const item = { n: { N: '9' }, s: { S: '\uffff' }, b: { B: Uint8Array.of(1, 2) } };
    const cases: [Parameters<typeof compare>, boolean][] = [
      [['n', '<', { N: '10' }], true], // '9' < '10' as numbers, not as text
      [['n', '<', { N: '9' }], false],
      [['n', '<=', { N: '9' }], true],
      [['n', '<=', { N: '8' }], false],
      [['n', '>', { N: '8.5' }], true],
      [['n', '>', { N: '9' }], false],
      [['n', '>=', { N: '9' }], true],
      [['n', '>=', { N: '10' }], false],
      [['n', '=', { N: '9.0' }], true],
      [['n', '<>', { N: '9' }], false],
      [['n', '<>', { N: '1' }], true],
      // U+FFFF is EF BF BF in UTF-8, below U+10000 (F0 ...), though above it in UTF-16
      [['s', '<', { S: '\u{10000}' }], true],
      [['s', '>', { S: '\u{10000}' }], false],
      [['b', '<', { B: Uint8Array.of(1, 3) }], true],
      [['b', '=', { B: Uint8Array.of(1, 2) }], true],
      // a number compared with a string, or a missing attribute: only <> holds (as both local
      // servers judge it, attack/session6-conditions.test.ts)
      [['n', '<>', { S: '9' }], true],
      [['absent', '<>', { N: '1' }], true],
      [['n', '=', { S: '9' }], false],
      [['absent', '<', { N: '1' }], false],
      [['n', '<', { N: '1e3' }], true],
      [['n', '>', { N: '-9.5E-1' }], true],
      [['n', '=', { N: '+9.000' }], true],
    ];
    for (const [args, expected] of cases) {
      expect([args, holds(compare(...args), item)]).toEqual([args, expected]);
    }
    expect(holds(compare('n', '=', { N: '9' }), undefined)).toBe(false);
    expect(holds(beginsWith('s', '\uffff'), item)).toBe(true);
    expect(holds(beginsWith('n', '9'), item)).toBe(false);
    expect(holds(exists('n'), undefined)).toBe(false);
    expect(holds(missing('n'), undefined)).toBe(true);
  });

  it('combines conditions, skipping absent ones, and compiles them with shared placeholders', () => {
    const a = exists('a');
    expect(and()).toBeUndefined();
    expect(or(undefined, undefined)).toBeUndefined();
    expect(and(undefined, a)).toBe(a);
    const either = or(missing('a'), exists('b')) as NonNullable<ReturnType<typeof or>>;
    expect(holds(either, { b: { S: 'x' } })).toBe(true);
    expect(holds(either, { a: { S: 'x' } })).toBe(false);
    const both = and(exists('a'), exists('b')) as NonNullable<ReturnType<typeof and>>;
    expect(holds(both, { a: { S: 'x' } })).toBe(false);
    expect(holds(both, { a: { S: 'x' }, b: { S: 'y' } })).toBe(true);

    const names = new ExpressionNames();
    const condition = and(
      exists('a'),
      or(missing('b'), compare('a', '>', { N: '5' }), beginsWith('k', 'app:')),
    ) as NonNullable<ReturnType<typeof and>>;
    expect(compileCondition(condition, names)).toBe(
      'attribute_exists(#n0) AND (attribute_not_exists(#n1) OR #n0 > :v0 OR begins_with(#n2, :v1))',
    );
    expect(names.names).toEqual({ '#n0': 'a', '#n1': 'b', '#n2': 'k' });
    expect(names.values).toEqual({ ':v0': { N: '5' }, ':v1': { S: 'app:' } });
  });

  it('compares numbers exactly, in any notation, and takes what is no number for no value', () => {
    const order = (a: string, b: string) =>
      ['<', '=', '>'].find((comparison) =>
        holds(compare('n', comparison as Comparison, { N: b }), { n: { N: a } }),
      ) ?? 'none';
    expect(order('1700000000.0000000000000000000000000001', '1700000000')).toBe('>');
    expect(
      order('12345678901234567890123456789012345678', '12345678901234567890123456789012345679'),
    ).toBe('<');
    expect(order('1e10', '9e9')).toBe('>');
    expect(order('-5', '3')).toBe('<');
    expect(order('2.50', '25e-1')).toBe('=');
    expect(order('1e400', '1')).toBe('>');
    expect(order('1e-400', '1')).toBe('<');
    for (const [a, b] of [
      ['1x', '1'],
      ['x1', '1'],
      ['1', '1x'],
      ['.', '1'],
      ['', '0'],
      ['1e', '1'],
    ]) {
      expect([a, b, order(a as string, b as string)]).toEqual([a, b, 'none']);
    }
  });

  it('negates a condition: a comparison with a missing attribute fails, so its negation holds', () => {
    const notExpired = not(compare('t', '<=', { N: '10' }));
    expect(holds(notExpired, {})).toBe(true);
    expect(holds(notExpired, undefined)).toBe(true);
    expect(holds(notExpired, { t: { S: '5' } })).toBe(true);
    expect(holds(notExpired, { t: { N: '11' } })).toBe(true);
    expect(holds(notExpired, { t: { N: '10' } })).toBe(false);
    const names = new ExpressionNames();
    expect(compileCondition(and(exists('d'), notExpired) as Condition, names)).toBe(
      'attribute_exists(#n0) AND NOT #n1 <= :v0',
    );
    expect(compileCondition(not(or(exists('a'), exists('b')) as Condition), names)).toBe(
      'NOT (attribute_exists(#n2) OR attribute_exists(#n3))',
    );
    expect(compileCondition(not(not(exists('a'))), names)).toBe('NOT (NOT attribute_exists(#n2))');
    expect(holds(not(not(exists('a'))), { a: { S: 'x' } })).toBe(true);
  });

  it('compiles and applies changes: SET, REMOVE, both or neither, without touching the item', () => {
    const names = new ExpressionNames();
    expect(
      compileChange({ set: { a: { S: 'x' }, b: { N: '1' } }, remove: ['c', 'a'] }, names),
    ).toBe('SET #n0 = :v0, #n1 = :v1 REMOVE #n2, #n0');
    expect(compileChange({ remove: ['c'] }, new ExpressionNames())).toBe('REMOVE #n0');
    expect(compileChange({ set: { a: { S: 'x' } } }, new ExpressionNames())).toBe('SET #n0 = :v0');
    expect(compileChange({}, new ExpressionNames())).toBe('');

    const item = { k: { S: 'id' }, a: { S: 'old' }, c: { N: '1' } };
    expect(applyChange(item, { set: { a: { S: 'new' } }, remove: ['c'] })).toEqual({
      k: { S: 'id' },
      a: { S: 'new' },
    });
    expect(item).toEqual({ k: { S: 'id' }, a: { S: 'old' }, c: { N: '1' } });
  });
});

describe('recent sessions', () => {
  it('forgets the least recently remembered session beyond its capacity, and nothing at 0', () => {
    const recent = new RecentSessions(2);
    expect(recent.enabled).toBe(true);
    recent.remember('a', { fingerprint: 'fa', ttlSeconds: 1 });
    recent.remember('b', { fingerprint: 'fb', ttlSeconds: 2 });
    recent.remember('a', { fingerprint: 'fa2', ttlSeconds: 3 }); // 'a' is now the most recent
    recent.remember('c', { fingerprint: 'fc', ttlSeconds: 4 });
    expect(recent.recall('b')).toBeUndefined();
    expect(recent.recall('a')).toEqual({ fingerprint: 'fa2', ttlSeconds: 3 });
    expect(recent.recall('c')).toEqual({ fingerprint: 'fc', ttlSeconds: 4 });

    recent.markGone('a');
    expect(recent.recall('a')).toEqual({ fingerprint: 'fa2', ttlSeconds: 0 });
    recent.markAllGone();
    expect(recent.recall('c')).toEqual({ fingerprint: 'fc', ttlSeconds: 0 });
    recent.forget('c');
    expect(recent.recall('c')).toBeUndefined();

    const off = new RecentSessions(0);
    expect(off.enabled).toBe(false);
    off.remember('a', { fingerprint: 'fa', ttlSeconds: 1 });
    expect(off.recall('a')).toBeUndefined();
  });

  it('lets a refresh wait only while the stored TTL lags by at most the window, never ahead', () => {
    // 'auto': a tenth of the lifetime, at most 10 minutes; any window: at most a quarter
    expect(refreshWindowMs('auto', 86_400_000)).toBe(600_000);
    expect(refreshWindowMs('auto', 1_000_000)).toBe(100_000);
    expect(refreshWindowMs(10_000_000, 1_000_000)).toBe(250_000);
    expect(refreshWindowMs(1_000, 1_000_000)).toBe(1_000);
    expect(refreshWindowMs(1_000, -4_000)).toBe(0);

    // 1 000 s of lifetime left (window 100 s): the TTL would move to 6 000 s
    const now = 5_000_000;
    const expiresAt = 6_000_000;
    const recentAt = (ttlSeconds: number) => ({ fingerprint: 'f', ttlSeconds });
    expect(refreshCanWait(recentAt(6_000), expiresAt, now, 'auto')).toBe(true);
    expect(refreshCanWait(recentAt(5_900), expiresAt, now, 'auto')).toBe(true);
    expect(refreshCanWait(recentAt(5_899), expiresAt, now, 'auto')).toBe(false);
    expect(refreshCanWait(recentAt(6_001), expiresAt, now, 'auto')).toBe(false);
    expect(refreshCanWait(recentAt(0), 500, 0, 'auto')).toBe(false);
    expect(refreshCanWait(undefined, expiresAt, now, 'auto')).toBe(false);
    expect(refreshCanWait(recentAt(5_999), expiresAt, now, 1_000)).toBe(true);
    expect(refreshCanWait(recentAt(5_998), expiresAt, now, 1_000)).toBe(false);
  });

  it('fingerprints the session without its expiry fields, and nothing that is not session data', () => {
    const at = (expires: string, maxAge = 60_000) => ({ user: 'u1', cookie: { expires, maxAge } });
    const fingerprint = fingerprintSession(at('2030-01-01T00:00:00.000Z'));
    expect(fingerprint).toBeDefined();
    expect(fingerprintSession(at('2031-06-01T00:00:00.000Z'))).toBe(fingerprint);
    expect(fingerprintSession(at('2030-01-01T00:00:00.000Z', 1))).not.toBe(fingerprint);
    expect(fingerprintSession({ user: 'u2', cookie: at('x').cookie })).not.toBe(fingerprint);
    expect(fingerprintSession({ user: 'u1', _expire: 1 })).toBe(
      fingerprintSession({ user: 'u1', _expire: 2 }),
    );
    expect(fingerprintSession({ a: 1 }, jsonSerializer)).not.toBe(
      fingerprintSession({ a: 2 }, jsonSerializer),
    );
    expect(fingerprintSession([] as unknown as SessionData)).toBeUndefined();
  });
});

describe('session keys', () => {
  it('maps ids to keys and back, recognises stored hashes, and finds overlapping prefixes', () => {
    const hash = hashSessionId('abc');
    expect(hash).toBe(createHash('sha256').update('abc', 'utf8').digest('base64url'));
    expect(looksLikeHashedId(hash)).toBe(true);
    expect(looksLikeHashedId(`x${hash}`)).toBe(false);
    expect(looksLikeHashedId(hash.slice(1))).toBe(false);
    expect(looksLikeHashedId(`${hash.slice(1)}+`)).toBe(false);

    expect(fromSessionKey('app:', 'app:xyz')).toBe('xyz');
    expect(fromSessionKey('app:', 'other:xyz')).toBeUndefined();

    expect(prefixesOverlap('app:', 'app:')).toBe(false);
    expect(prefixesOverlap('app:', 'app:admin:')).toBe(true);
    expect(prefixesOverlap('app:admin:', 'app:')).toBe(true);
    expect(prefixesOverlap('app:', 'api:')).toBe(false);
  });
});

describe('session conditions', () => {
  const now = 1_700_000_000_000;
  const nowSeconds = now / 1000;
  const live = { id: { S: 'k' }, sess: { S: '{}' }, expires: { N: String(nowSeconds + 60) } };
  const tombstone = (expires: number) => ({ id: { S: 'k' }, expires: { N: String(expires) } });
  const judge = (condition: ReturnType<SessionConditions['write']>, item?: Item) =>
    condition === undefined || holds(condition, item);

  it("keeps a framework's save from bringing back a session destroyed within the tombstone's life", () => {
    const conditions = new SessionConditions(parseSessionRepositoryOptions({}));
    const save = conditions.write({}, now, undefined, true);
    expect(judge(save, undefined)).toBe(true);
    expect(judge(save, live)).toBe(true);
    expect(judge(save, tombstone(nowSeconds + 10))).toBe(false);
    expect(judge(save, tombstone(nowSeconds))).toBe(true); // the tombstone has expired
    // set() and a lock holder's write are not framework saves: no tombstone check
    expect(conditions.write({}, now, undefined, false)).toBeUndefined();
    expect(conditions.write({}, now, 'token', true)).toBeUndefined();
  });

  it('with optimisticLocking, writes only over the version read (none: a new session)', () => {
    const conditions = new SessionConditions(
      parseSessionRepositoryOptions({ optimisticLocking: true }),
    );
    const versioned = (version: number) => ({ ...live, version: { N: String(version) } });
    // no version read: a new session, where only nothing (or, for set, a tombstone) may be
    const saveNew = conditions.write({}, now, undefined, true);
    expect(judge(saveNew, undefined)).toBe(true);
    expect(judge(saveNew, live)).toBe(false);
    expect(judge(saveNew, tombstone(nowSeconds + 10))).toBe(false);
    const setNew = conditions.write({}, now, undefined, false);
    expect(judge(setNew, tombstone(nowSeconds + 10))).toBe(true);
    expect(judge(setNew, live)).toBe(false);
    // version 0: read from an item written before versions; it must still have none
    const fromUnversioned = conditions.write({ $version: 0 }, now, undefined, false);
    expect(judge(fromUnversioned, live)).toBe(true);
    expect(judge(fromUnversioned, versioned(1))).toBe(false);
    expect(judge(fromUnversioned, undefined)).toBe(false);
    // version 3: only over version 3
    const fromThree = conditions.write({ $version: 3 }, now, undefined, false);
    expect(judge(fromThree, versioned(3))).toBe(true);
    expect(judge(fromThree, versioned(4))).toBe(false);
    // without optimisticLocking the version in the data is ignored
    const plain = new SessionConditions(parseSessionRepositoryOptions({}));
    expect(plain.write({ $version: 3 }, now, undefined, false)).toBeUndefined();
  });
});
