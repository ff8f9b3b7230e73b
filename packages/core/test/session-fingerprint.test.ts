import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  expiryFieldsOf,
  fingerprintOf,
  sha1Base64,
  withExpiryFields,
} from '../src/session-fingerprint';

/** express-session's cookie in miniature: `expires` a Date, serialized through toJSON. */
class DateCookie {
  constructor(readonly expires: Date) {}
  toJSON() {
    return { originalMaxAge: 60_000, expires: this.expires, path: '/' };
  }
}

const ISO_A = '2030-01-01T00:00:00.000Z';
const ISO_B = '2030-01-01T00:05:00.000Z';

describe('session fingerprints', () => {
  it('hashes a string or bytes with SHA-1 in base64, as node:crypto does', () => {
    const expected = createHash('sha1').update('{"n":1}').digest('base64');
    expect(sha1Base64('{"n":1}')).toBe(expected);
    expect(sha1Base64(Buffer.from('{"n":1}'))).toBe(expected);
    expect(fingerprintOf({ S: '{"n":1}' })).toBe(expected);
    expect(fingerprintOf({ B: Buffer.from('{"n":1}') })).toBe(expected);
    expect(fingerprintOf({ S: '{"n":2}' })).not.toBe(expected);
  });

  it('fingerprints a map whatever the order of its keys, and tells different maps apart', () => {
    const map = { M: { a: { S: 'x' }, b: { M: { d: { N: '1' }, c: { L: [{ S: 'y' }] } } } } };
    const reordered = { M: { b: { M: { c: { L: [{ S: 'y' }] }, d: { N: '1' } } }, a: { S: 'x' } } };
    expect(fingerprintOf(map)).toBe(fingerprintOf(reordered));
    expect(fingerprintOf(map)).not.toBe(fingerprintOf({ M: { a: { S: 'x' } } }));
    expect(fingerprintOf({ M: { a: { L: [{ S: '1' }, { S: '2' }] } } })).not.toBe(
      fingerprintOf({ M: { a: { L: [{ S: '2' }, { S: '1' }] } } }),
    );
    expect(fingerprintOf({ M: {} })).toBe(sha1Base64(JSON.stringify({ M: {} })));
  });

  it('reads the expiry fields as they serialize: a Date as its JSON, an invalid one as null', () => {
    expect(
      expiryFieldsOf({ _expire: 5, cookie: { expires: new Date(ISO_A), originalExpires: ISO_B } }),
    ).toEqual({ expire: 5, cookieExpires: ISO_A, originalExpires: ISO_B });
    expect(expiryFieldsOf({ cookie: { expires: new Date(Number.NaN) } }).cookieExpires).toBeNull();
    expect(expiryFieldsOf({ cookie: null })).toEqual({
      expire: undefined,
      cookieExpires: undefined,
      originalExpires: undefined,
    });
    expect(expiryFieldsOf({ cookie: 'not an object' }).cookieExpires).toBeUndefined();
  });

  it('gives the data itself when its expiry fields are the stored ones (a Date equal to its JSON)', () => {
    const data = { n: 1, _expire: 7, cookie: new DateCookie(new Date(ISO_A)) };
    expect(withExpiryFields(data, expiryFieldsOf(data))).toBe(data);
    const plain = { n: 1, cookie: { expires: ISO_A } };
    expect(withExpiryFields(plain, expiryFieldsOf(plain))).toBe(plain);
  });

  it('puts the stored expiry fields back in a copy that serializes as the stored data did', () => {
    const stored = { n: 1, cookie: new DateCookie(new Date(ISO_A)) };
    const storedJson = JSON.stringify(stored);
    const rolled = { n: 1, cookie: new DateCookie(new Date(ISO_B)) };
    const comparable = withExpiryFields(rolled, expiryFieldsOf(stored));
    expect(comparable).not.toBe(rolled);
    expect(JSON.stringify(comparable)).toBe(storedJson);
    expect(rolled.cookie.expires.toJSON()).toBe(ISO_B);
    const changed = withExpiryFields({ ...rolled, n: 2 }, expiryFieldsOf(stored));
    expect(JSON.stringify(changed)).not.toBe(storedJson);
  });

  it('counts _expire as data next to a cookie object, as the default dataExpiry does', () => {
    const stored = { cookie: { expires: ISO_A }, _expire: 'plan-a' };
    const next = { cookie: { expires: ISO_B }, _expire: 'plan-b' };
    expect(JSON.stringify(withExpiryFields(next, expiryFieldsOf(stored)))).toBe(
      JSON.stringify({ cookie: { expires: ISO_A }, _expire: 'plan-b' }),
    );
  });

  it('compares data with a toJSON of its own, or a cookie whose toJSON is no object, as it is', () => {
    const withToJson = { n: 1, cookie: { expires: ISO_B }, toJSON: () => ({ n: 1 }) };
    expect(withExpiryFields(withToJson, expiryFieldsOf({ cookie: { expires: ISO_A } }))).toBe(
      withToJson,
    );
    const stringCookie = { cookie: { expires: ISO_B, toJSON: () => 'ab' } };
    expect(withExpiryFields(stringCookie, expiryFieldsOf({ cookie: { expires: ISO_A } }))).toBe(
      stringCookie,
    );
    const listCookie = { cookie: { expires: ISO_B, toJSON: () => [ISO_B] } };
    expect(withExpiryFields(listCookie, expiryFieldsOf({ cookie: { expires: ISO_A } }))).toBe(
      listCookie,
    );
  });

  it('replaces only the fields that differ, and each of them', () => {
    const stored = { cookie: { expires: ISO_A, originalExpires: ISO_A, path: '/' } };
    const onlyOriginal = { cookie: { expires: ISO_A, originalExpires: ISO_B, path: '/' } };
    expect(JSON.stringify(withExpiryFields(onlyOriginal, expiryFieldsOf(stored)))).toBe(
      JSON.stringify(stored),
    );
    const koa = { n: 1, _expire: 20, _maxAge: 10 };
    expect(withExpiryFields(koa, expiryFieldsOf({ n: 1, _expire: 10, _maxAge: 10 }))).toEqual({
      n: 1,
      _expire: 10,
      _maxAge: 10,
    });
    expect(koa._expire).toBe(20);
  });

  it('takes a field going from a value to none, or back, for a change: it compares data as it is', () => {
    const none = { expire: undefined, cookieExpires: undefined, originalExpires: undefined };
    const koa = { n: 1, _expire: 9 };
    expect(withExpiryFields(koa, none)).toBe(koa);
    const nowNone = { n: 1 };
    expect(withExpiryFields(nowNone, { ...none, expire: 5 })).toBe(nowNone);
    const sessionCookie = { cookie: { path: '/', expires: null } };
    expect(withExpiryFields(sessionCookie, { ...none, cookieExpires: ISO_A })).toBe(sessionCookie);
    const persistent = { cookie: { path: '/', expires: ISO_B } };
    expect(withExpiryFields(persistent, { ...none, cookieExpires: null })).toBe(persistent);
    // @fastify/session sets originalExpires on a restored cookie only: it is put back as stored
    const original = { cookie: { expires: ISO_A, originalExpires: ISO_B } };
    expect(JSON.stringify(withExpiryFields(original, { ...none, cookieExpires: ISO_A }))).toBe(
      JSON.stringify({ cookie: { expires: ISO_A } }),
    );
  });

  it('keeps arrays as arrays in a map fingerprint, and a null cookie out of the cookie rules', () => {
    const list = { M: { x: { L: [{ S: 'a' }] } } };
    const indexed = { M: { x: { L: { '0': { S: 'a' } } } } } as never;
    expect(fingerprintOf(list)).not.toBe(fingerprintOf(indexed));
    const fields = { expire: 2, cookieExpires: undefined, originalExpires: undefined };
    expect(withExpiryFields({ cookie: null, _expire: 1, n: 1 }, fields)).toEqual({
      cookie: null,
      _expire: 2,
      n: 1,
    });
  });

  it("puts back a cookie's expires, and its originalExpires next to an expires of null", () => {
    const stored = { expire: undefined, cookieExpires: ISO_A, originalExpires: undefined };
    expect(withExpiryFields({ cookie: { expires: ISO_B, path: '/' } }, stored)).toEqual({
      cookie: { expires: ISO_A, path: '/' },
    });
    const browserCookie = { cookie: { expires: null, originalExpires: ISO_B } };
    expect(
      withExpiryFields(browserCookie, {
        expire: undefined,
        cookieExpires: null,
        originalExpires: ISO_A,
      }),
    ).toEqual({ cookie: { expires: null, originalExpires: ISO_A } });
    const stringCookie = { cookie: { expires: ISO_B, toJSON: () => 'opaque' } };
    expect(withExpiryFields(stringCookie, stored)).toBe(stringCookie);
  });
});
