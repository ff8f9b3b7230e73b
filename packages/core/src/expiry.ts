import { SessionStoreError } from './errors';
import type { SessionData } from './session-data';

/** When a session expires: a `Date`, or epoch milliseconds. */
export type SessionExpiry = Date | number;

/** One day in milliseconds: the default lifetime of a session that has no expiry of its own. */
export const ONE_DAY_MS = 86_400_000;

/** The expiry `maxAgeMs` milliseconds from `now` (epoch ms), as epoch milliseconds. */
export function expiryFromMaxAge(maxAgeMs: number, now: number = Date.now()): number {
  return now + maxAgeMs;
}

/** Epoch milliseconds of `expiry`, or `now + defaultLifetimeMs` when there is none. */
export function resolveExpiryMs(
  expiry: SessionExpiry | null | undefined,
  defaultLifetimeMs: number,
  now: number = Date.now(),
): number {
  if (expiry === null || expiry === undefined) return now + defaultLifetimeMs;
  const ms = expiry instanceof Date ? expiry.getTime() : expiry;
  if (!Number.isFinite(ms)) throw new RangeError('the expiry is not a valid date');
  return ms;
}

/**
 * {@link resolveExpiryMs} for a repository call: an invalid expiry is the caller's bad session
 * data, so it fails as a {@link SessionStoreError} with code `INVALID_SESSION_DATA`.
 */
export function sessionExpiryMs(
  expiry: SessionExpiry | null | undefined,
  defaultLifetimeMs: number,
  now: number,
): number {
  try {
    return resolveExpiryMs(expiry, defaultLifetimeMs, now);
  } catch (error) {
    throw new SessionStoreError('INVALID_SESSION_DATA', (error as Error).message, { cause: error });
  }
}

/**
 * The value stored in the TTL attribute: whole epoch seconds (DynamoDB's TTL format), rounded
 * up so that DynamoDB never deletes an item before the session it holds has expired.
 */
export function toTtlSeconds(expiresAtMs: number): number {
  return Math.ceil(expiresAtMs / 1000);
}

/**
 * The precise expiry a session carries in its own data, in epoch milliseconds, if any:
 * express-session's and @fastify/session's `cookie.expires` (a Date or an ISO string), or
 * koa-session's `_expire` (epoch milliseconds).
 */
export function expiryInSessionData(data: SessionData): number | undefined {
  const cookie = data.cookie as { expires?: unknown } | null | undefined;
  if (cookie && typeof cookie === 'object') {
    const expires = cookie.expires;
    if (expires instanceof Date) return finiteOrUndefined(expires.getTime());
    if (typeof expires === 'string') return finiteOrUndefined(Date.parse(expires));
    return undefined;
  }
  return typeof data._expire === 'number' ? finiteOrUndefined(data._expire) : undefined;
}

/**
 * Writes `expiresAt` (epoch ms) into the expiry a session carries in its own data, where it
 * has one: `cookie.expires` (kept as an ISO string or a Date, as found) or `_expire`.
 */
export function setExpiryInSessionData(data: SessionData, expiresAt: number): void {
  const cookie = data.cookie as { expires?: unknown } | null | undefined;
  if (cookie && typeof cookie === 'object') {
    if (cookie.expires instanceof Date) cookie.expires = new Date(expiresAt);
    else if (typeof cookie.expires === 'string') cookie.expires = new Date(expiresAt).toISOString();
    return;
  }
  if (typeof data._expire === 'number') data._expire = expiresAt;
}

/** Where a session's own data keeps its expiry: how to read it and how to move it. */
export interface SessionDataExpiry {
  /** The expiry in the data, in epoch ms, or `undefined` when it has none. */
  read(data: SessionData): number | undefined;
  /** Moves the expiry in the data to `expiresAt` (epoch ms); does nothing when it has none. */
  write(data: SessionData, expiresAt: number): void;
}

/**
 * The default {@link SessionDataExpiry}: `cookie.expires` (express-session, @fastify/session)
 * or `_expire` (koa-session).
 */
export const cookieOrExpireField: SessionDataExpiry = {
  read: expiryInSessionData,
  write: setExpiryInSessionData,
};

/**
 * The expiry of a session as express-session and @fastify/session describe it: its
 * `cookie.expires` (a Date, an ISO string or epoch ms); without one, `now + cookie.maxAge` when
 * `maxAge` is a finite number of milliseconds (a plain object such as `{ cookie: { maxAge } }`,
 * as connect-dynamodb reads it); otherwise `undefined`, a browser-session cookie.
 */
export function cookieExpiry(
  session: { cookie?: unknown } | null | undefined,
  now: number = Date.now(),
): Date | undefined {
  const cookie = session?.cookie as { expires?: unknown; maxAge?: unknown } | null | undefined;
  const expires = cookie?.expires;
  if (expires instanceof Date) return Number.isFinite(expires.getTime()) ? expires : undefined;
  if (typeof expires === 'string' || typeof expires === 'number') {
    const date = new Date(expires);
    return Number.isFinite(date.getTime()) ? date : undefined;
  }
  const maxAge = cookie?.maxAge;
  if ((expires === undefined || expires === null) && typeof maxAge === 'number') {
    const date = new Date(expiryFromMaxAge(maxAge, now));
    return Number.isFinite(date.getTime()) ? date : undefined;
  }
  return undefined;
}

/**
 * Whether a stored session has expired at `now`. The TTL attribute (seconds) decides, except
 * that a precise expiry in the data that falls within the TTL's last second refines it to the
 * millisecond. An expiry in the data older than that is stale (a later `touch` extended only
 * the TTL attribute) and is ignored.
 */
export function isExpired(
  ttlSeconds: number | undefined,
  dataExpiryMs: number | undefined,
  now: number = Date.now(),
): boolean {
  if (ttlSeconds === undefined) {
    return dataExpiryMs !== undefined && dataExpiryMs <= now;
  }
  const ttlMs = ttlSeconds * 1000;
  if (ttlMs <= now) return true;
  return dataExpiryMs !== undefined && dataExpiryMs > ttlMs - 1000 && dataExpiryMs <= now;
}

function finiteOrUndefined(value: number): number | undefined {
  return Number.isFinite(value) ? value : undefined;
}
