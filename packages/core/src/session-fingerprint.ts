import * as crypto from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { SessionData } from './session-data';

/**
 * The fields of a session that only carry its expiry (`_expire`, `cookie.expires`,
 * `cookie.originalExpires`), which change on every rolling request while the session does not.
 * Values as they were stored (before any TTL adjustment on read).
 */
export interface ExpiryFields {
  expire: unknown;
  cookieExpires: unknown;
  originalExpires: unknown;
}

type OneShotHash = (algorithm: string, data: string | Uint8Array, encoding: 'base64') => string;

const oneShotHash = (crypto as { hash?: OneShotHash }).hash;

/**
 * SHA-1 of `input`, in base64. `crypto.hash` (Node 20.12 and later) where there is one: it costs
 * a third of a `Hash` object for a 1 KB session.
 */
export function sha1Base64(input: string | Uint8Array): string {
  if (oneShotHash) return oneShotHash('sha1', input, 'base64');
  return crypto.createHash('sha1').update(input).digest('base64');
}

/**
 * The fingerprint of a stored data attribute in its plain form (what the serializer wrote,
 * before any compression or encryption): a SHA-1 of its string or bytes, or of its JSON for a
 * map. Two data that serialize alike have the same one.
 */
export function fingerprintOf(plain: AttributeValue): string {
  if (plain.S !== undefined) return sha1Base64(plain.S);
  if (plain.B !== undefined) return sha1Base64(plain.B);
  return sha1Base64(JSON.stringify(plain, sortedKeys));
}

/** A JSON replacer that writes every object's keys in order (a map's keys come in any order). */
function sortedKeys(_key: string, value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries);
}

/**
 * The JSON of `data`'s cookie without its expiry fields (`expires`, `originalExpires`), through
 * the cookie's `toJSON` when it has one: what a framework's change tracking leaves out (e.g.
 * @fastify/session's `isModified()`), and a rolling save does not move. `''` without a cookie
 * object; `undefined` when it cannot be serialized.
 */
export function cookieKeyOf(data: SessionData): string | undefined {
  const cookie = data.cookie as { toJSON?: () => unknown } | null | undefined;
  if (typeof cookie !== 'object' || cookie === null) return '';
  try {
    const plain = typeof cookie.toJSON === 'function' ? cookie.toJSON() : cookie;
    if (typeof plain !== 'object' || plain === null) return JSON.stringify(plain);
    const { expires, originalExpires, ...rest } = plain as Record<string, unknown>;
    return JSON.stringify(rest);
  } catch {
    return undefined;
  }
}

/** The expiry fields of `data`, as they serialize (a Date as its JSON string). */
export function expiryFieldsOf(data: SessionData): ExpiryFields {
  const own = ownExpiryFields(data);
  return {
    expire: asJson(own.expire),
    cookieExpires: asJson(own.cookieExpires),
    originalExpires: asJson(own.originalExpires),
  };
}

/** The expiry fields of `data`, as they are in it. */
function ownExpiryFields(data: SessionData): ExpiryFields {
  const cookie = data.cookie as Record<string, unknown> | null | undefined;
  const plainCookie = typeof cookie === 'object' && cookie !== null ? cookie : undefined;
  return {
    expire: data._expire,
    cookieExpires: plainCookie?.expires,
    originalExpires: plainCookie?.originalExpires,
  };
}

/**
 * `data` with the stored expiry fields of `fields` in place of its own, as a shallow copy (the
 * cookie through its `toJSON` when it has one, as serializing it would); `data` itself when they
 * are the same already, or when putting them back is not safe: data with a `toJSON` of its own,
 * a cookie whose `toJSON` is no plain object, or `cookie.expires` or `_expire` going from a value
 * to none or back (`cookie.expires: null` makes a browser-session cookie: a real change).
 * `cookie.originalExpires` is @fastify/session's bookkeeping (set on a restored cookie only): it
 * is put back whatever it holds. Like the default `dataExpiry`, the cookie's fields count when
 * there is a cookie object, `_expire` otherwise. Serializing the result gives what was stored
 * when only the expiry moved.
 */
export function withExpiryFields(data: SessionData, fields: ExpiryFields): SessionData {
  if (typeof (data as { toJSON?: unknown }).toJSON === 'function') return data;
  const own = ownExpiryFields(data);
  const cookie = data.cookie as { toJSON?: () => unknown } | null | undefined;
  const hasCookie = typeof cookie === 'object' && cookie !== null;
  const sameExpires = !hasCookie || sameValue(own.cookieExpires, fields.cookieExpires);
  const sameOriginal = !hasCookie || sameValue(own.originalExpires, fields.originalExpires);
  const sameExpire = hasCookie || sameValue(own.expire, fields.expire);
  if (sameExpires && sameOriginal && sameExpire) return data;
  const copy: SessionData = { ...data };
  if (!sameExpire) {
    if (!replaceable(own.expire, fields.expire)) return data;
    copy._expire = fields.expire;
  }
  if (hasCookie && !(sameExpires && sameOriginal)) {
    const plain = typeof cookie.toJSON === 'function' ? cookie.toJSON() : cookie;
    if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) return data;
    const replaced: Record<string, unknown> = { ...plain };
    if (!sameExpires) {
      if (!replaceable(own.cookieExpires, fields.cookieExpires)) return data;
      replaced.expires = fields.cookieExpires;
    }
    if (!sameOriginal) replaced.originalExpires = fields.originalExpires;
    copy.cookie = replaced;
  }
  return copy;
}

/** Whether an expiry value may stand for another: both are values (neither null nor absent). */
function replaceable(own: unknown, stored: unknown): boolean {
  return own !== undefined && own !== null && stored !== undefined && stored !== null;
}

/** Whether an expiry value of the data serializes as the `stored` one did. */
function sameValue(own: unknown, stored: unknown): boolean {
  return own === stored || (own instanceof Date && asJson(own) === stored);
}

function asJson(value: unknown): unknown {
  if (!(value instanceof Date)) return value;
  return Number.isNaN(value.getTime()) ? null : value.toJSON();
}
