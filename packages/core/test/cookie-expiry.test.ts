import { describe, expect, it } from 'vitest';
import { cookieExpiry } from '../src/index';

describe('cookieExpiry', () => {
  const now = Date.UTC(2026, 0, 1, 12, 0, 0, 250);

  it('is cookie.expires when the cookie has one, whatever its maxAge says', () => {
    const expires = new Date(now + 5_000);
    expect(cookieExpiry({ cookie: { expires, maxAge: 99_000 } }, now)).toBe(expires);
    expect(cookieExpiry({ cookie: { expires: expires.toISOString(), maxAge: 1 } }, now)).toEqual(
      expires,
    );
    expect(cookieExpiry({ cookie: { expires: now + 7 } }, now)).toEqual(new Date(now + 7));
  });

  it('is now + cookie.maxAge when the cookie has no expires (connect-dynamodb reads it so)', () => {
    expect(cookieExpiry({ cookie: { maxAge: 2_000 } }, now)).toEqual(new Date(now + 2_000));
    expect(cookieExpiry({ cookie: { maxAge: -20_000 } }, now)).toEqual(new Date(now - 20_000));
    expect(cookieExpiry({ cookie: { maxAge: 0, expires: null } }, now)).toEqual(new Date(now));
  });

  it('is undefined for a browser-session cookie, a maxAge that is not a finite number, or no cookie', () => {
    expect(cookieExpiry({ cookie: { expires: null, maxAge: null } }, now)).toBeUndefined();
    expect(cookieExpiry({ cookie: { maxAge: '2000' } }, now)).toBeUndefined();
    expect(cookieExpiry({ cookie: { maxAge: Number.NaN } }, now)).toBeUndefined();
    expect(cookieExpiry({ cookie: { maxAge: Number.POSITIVE_INFINITY } }, now)).toBeUndefined();
    expect(cookieExpiry({ cookie: { expires: 'not a date', maxAge: 2_000 } }, now)).toBeUndefined();
    expect(cookieExpiry({}, now)).toBeUndefined();
    expect(cookieExpiry(null, now)).toBeUndefined();
  });
});
