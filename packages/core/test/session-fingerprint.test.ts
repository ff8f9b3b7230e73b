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
    const stored = { n: 1, cookie: new DateCookie(new Date(ISO_A)), _expire: 1 };
    const storedJson = JSON.stringify(stored);
    const rolled = { n: 1, cookie: new DateCookie(new Date(ISO_B)), _expire: 2 };
    const comparable = withExpiryFields(rolled, expiryFieldsOf(stored));
    expect(comparable).not.toBe(rolled);
    expect(JSON.stringify(comparable)).toBe(storedJson);
    expect(rolled.cookie.expires.toJSON()).toBe(ISO_B);
    expect(rolled._expire).toBe(2);
    const changed = withExpiryFields({ ...rolled, n: 2 }, expiryFieldsOf(stored));
    expect(JSON.stringify(changed)).not.toBe(storedJson);
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

  it('adds a stored field the data lacks (then the key order differs) and drops one it no longer has', () => {
    const withoutExpire = withExpiryFields(
      { n: 1 },
      { expire: 5, cookieExpires: undefined, originalExpires: undefined },
    );
    expect(withoutExpire).toEqual({ n: 1, _expire: 5 });
    const storedWithout = withExpiryFields({ n: 1, _expire: 9 }, expiryFieldsOf({ n: 1 }));
    expect(JSON.stringify(storedWithout)).toBe(JSON.stringify({ n: 1 }));
    const cookieAdded = withExpiryFields(
      { cookie: { path: '/' } },
      { expire: undefined, cookieExpires: ISO_A, originalExpires: ISO_B },
    );
    expect(cookieAdded).toEqual({ cookie: { path: '/', expires: ISO_A, originalExpires: ISO_B } });
  });
});
