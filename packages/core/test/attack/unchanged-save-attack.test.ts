/**
 * Attacks on the "unchanged save" shortcut of SessionRepository.save(): a save whose data
 * serializes like the stored data, once the stored expiry fields are put back, only refreshes
 * the TTL. Each test is a save of CHANGED data that was taken as unchanged (the change never
 * written) until the fixes that followed this attack.
 */
import { describe, expect, it } from 'vitest';
import type { SessionData, SessionSerializer } from '../../src/index';
import { createMemoryRepository, MemorySessionStorage } from '../../src/testing/index';

const HOUR = 3_600_000;

function pair(options: Record<string, unknown> = {}) {
  const storage = new MemorySessionStorage();
  const make = () => createMemoryRepository({ storage, touchAfterMs: 0, ...options });
  return { storage, make };
}

describe('unchanged-save shortcut: data loss', () => {
  // Fixed (was a bug): withExpiryFields makes a shallow copy `{ ...data }` when an expiry field moved. The
  // copy loses the prototype of the session object, hence its toJSON; the real write goes
  // through JSON.stringify(data), which honours toJSON. A class-based session whose toJSON
  // carries state (private fields) compares as its stale own fields: the change is dropped.
  it('a session object with a prototype toJSON: a change only toJSON shows is lost when the expiry rolls', async () => {
    class Session {
      cookie: { expires: string };
      user = 'ada';
      #user: string;
      constructor(expires: number, user: string) {
        this.cookie = { expires: new Date(expires).toISOString() };
        this.#user = user;
      }
      toJSON() {
        return { cookie: this.cookie, user: this.#user };
      }
    }
    const { make } = pair();
    const repo = make();
    const t1 = Date.now() + HOUR;
    // stored: {"cookie":{"expires":t1},"user":"ada"}
    expect(await repo.save('s1', new Session(t1, 'ada') as unknown as SessionData, t1)).toBe(
      'written',
    );
    const t2 = t1 + 60_000;
    const changed = new Session(t2, 'grace'); // serializes as user "grace"
    expect(JSON.parse(JSON.stringify(changed)).user).toBe('grace');
    const outcome = await repo.save('s1', changed as unknown as SessionData, t2);
    expect(outcome).toBe('written');
    expect(await make().get('s1')).toMatchObject({ user: 'grace' });
  });

  // Fixed (was a bug): withExpiryFields spreads the cookie's toJSON() result as an object. When toJSON returns
  // a string or an array, `{ ...'ab' }` is {0:'a',1:'b'}, i.e. what a cookie stored as that
  // object serializes to; the real write stores the string. Different data, same fingerprint.
  it('a cookie whose toJSON returns a string compares as its characters spread into an object', async () => {
    const { make } = pair();
    const repo = make();
    const t1 = Date.now() + HOUR;
    expect(await repo.save('s2', { cookie: { 0: 'a', 1: 'b' } }, t1)).toBe('written');
    const cookie = { expires: new Date(t1 + 60_000), toJSON: () => 'ab' };
    expect(JSON.stringify({ cookie })).toBe('{"cookie":"ab"}');
    expect(await repo.save('s2', { cookie }, t1 + 60_000)).toBe('written');
    expect(await make().get('s2')).toEqual({ cookie: 'ab' });
  });

  // Fixed (was a bug): `_expire` is ignored by the comparison even where it is not the session's expiry: with
  // a cookie object in the data, the default dataExpiry reads only cookie.expires and `_expire`
  // is plain user data, yet a change to it is never written.
  it('`_expire` next to a cookie (not the expiry there): a change to it is lost', async () => {
    const { make } = pair();
    const repo = make();
    const t1 = Date.now() + HOUR;
    const cookie = { path: '/', expires: new Date(t1).toISOString() };
    expect(await repo.save('s3', { cookie, _expire: 'plan-a' }, t1)).toBe('written');
    expect(await repo.save('s3', { cookie, _expire: 'plan-b' }, t1)).toBe('written');
    expect(await make().get('s3')).toMatchObject({ _expire: 'plan-b' });
  });

  // Fixed (was a bug): with a custom `dataExpiry` (expiry kept in `validUntil`), cookie.expires, `_expire`
  // and cookie.originalExpires are ordinary fields, but the comparison still puts the stored
  // ones back: a change of them alone is dropped.
  it('custom dataExpiry: a change of cookie.expires (now a plain field) is lost', async () => {
    const dataExpiry = {
      read: (data: SessionData) =>
        typeof data.validUntil === 'number' ? (data.validUntil as number) : undefined,
      write: (data: SessionData, at: number) => {
        if (typeof data.validUntil === 'number') data.validUntil = at;
      },
    };
    const { make } = pair({ dataExpiry });
    const repo = make();
    const t1 = Date.now() + HOUR;
    expect(await repo.save('s4', { validUntil: t1, cookie: { expires: 'coupon-2026' } }, t1)).toBe(
      'written',
    );
    expect(await repo.save('s4', { validUntil: t1, cookie: { expires: 'coupon-2027' } }, t1)).toBe(
      'written',
    );
    expect(await make().get('s4')).toMatchObject({ cookie: { expires: 'coupon-2027' } });
  });

  // Fixed (was a bug): turning a persistent cookie into a browser-session one (cookie.expires: null, as a
  // plain-object session does) is taken as "only the expiry moved": the stored date stays and a
  // later read hands back a persistent cookie.
  it('cookie.expires set to null (browser-session cookie) is lost', async () => {
    const { make } = pair();
    const repo = make();
    const t1 = Date.now() + HOUR;
    const iso = new Date(t1).toISOString();
    expect(await repo.save('s5', { cookie: { path: '/', expires: iso }, user: 'a' }, t1)).toBe(
      'written',
    );
    expect(await repo.save('s5', { cookie: { path: '/', expires: null }, user: 'a' }, t1)).toBe(
      'written',
    );
    expect(await make().get('s5')).toMatchObject({ cookie: { expires: null } });
  });

  // Fixed (was a documented limit of save()): process A wrote x; process B then stored y; A saves
  // x again without reading in between (set() then save(), or a second save of a request). A's
  // memory said "x is stored", so the save was a TTL refresh and y stayed: A's save was lost.
  // The memory now keeps a fingerprint only from a read, so a save after A's own write writes.
  it('save of data A wrote earlier, after another process stored other data, is written', async () => {
    const { make } = pair();
    const a = make();
    const b = make();
    const t = Date.now() + HOUR;
    await a.set('s6', { step: 'x' }, t);
    await b.set('s6', { step: 'y' }, t);
    expect(await a.save('s6', { step: 'x' }, t)).toBe('written');
    expect(await make().get('s6')).toEqual({ step: 'x' });
  });

  // Fixed (was a bug): the comparison serializes a copy whose cookie is the cookie's toJSON() output. A custom
  // serializer that stores a cookie by its own fields (not through toJSON) then compares a
  // different object than it writes: a changed field that toJSON omits is dropped.
  it('custom serializer ignoring toJSON: a cookie field toJSON omits is lost when the expiry rolls', async () => {
    const ownFields = (value: unknown): unknown => {
      if (value instanceof Date) return value.toISOString();
      if (typeof value !== 'object' || value === null) return value;
      if (Array.isArray(value)) return value.map(ownFields);
      return Object.fromEntries(
        Object.entries(value)
          .filter(([, v]) => typeof v !== 'function')
          .map(([k, v]) => [k, ownFields(v)]),
      );
    };
    const serializer: SessionSerializer = {
      serialize: (data) => ({ S: JSON.stringify(ownFields(data)) }),
      deserialize: (value) => JSON.parse(value.S as string),
    };
    const { make } = pair({ serializer });
    const repo = make();
    const t1 = Date.now() + HOUR;
    expect(await repo.save('s7', { cookie: { expires: new Date(t1) } }, t1)).toBe('written');
    const t2 = t1 + 60_000;
    const cookie = {
      expires: new Date(t2),
      secure: true,
      toJSON() {
        return { expires: this.expires };
      },
    };
    expect(await repo.save('s7', { cookie }, t2)).toBe('written');
    expect(await make().get('s7')).toMatchObject({ cookie: { secure: true } });
  });
});

describe('unchanged-save shortcut: holds', () => {
  it('Date vs ISO string, key order, in-place mutation: changes written', async () => {
    for (const serializer of ['json', 'map'] as const) {
      for (const extra of [
        {},
        { compression: { thresholdBytes: 0 } },
        { optimisticLocking: true },
      ]) {
        if (serializer === 'map' && 'compression' in extra) continue;
        const { make } = pair({ serializer, ...extra });
        const repo = make();
        const t1 = Date.now() + HOUR;
        await repo.save('h', { b: 1, a: 2, cookie: { expires: new Date(t1) } }, t1);
        const read = (await make().get('h')) as SessionData;
        const reader = make();
        const again = (await reader.get('h')) as SessionData;
        expect(again).toEqual(read);
        (again.cookie as Record<string, unknown>).expires = new Date(t1 + 60_000);
        (again as Record<string, unknown>).nested = { x: 1 };
        expect(await reader.save('h', again, t1 + 60_000)).toBe('written');
        ((again as Record<string, unknown>).nested as Record<string, number>).x = 2;
        expect(await reader.save('h', again, t1 + 60_000)).toBe('written');
        expect(await make().get('h')).toMatchObject({ nested: { x: 2 } });
      }
    }
  });
});
