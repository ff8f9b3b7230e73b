import { createHash } from 'node:crypto';
import { toTtlSeconds } from './expiry';
import { isSessionData, type SessionData } from './session-data';

/** The longest window of `touchAfterMs: 'auto'`: 10 minutes. */
export const AUTO_TOUCH_AFTER_MAX_MS = 600_000;

/** What the repository last saw of a session: its content fingerprint and stored TTL. */
export interface RecentSession {
  /** {@link fingerprintSession} of the data, expiry fields left out. */
  fingerprint: string;
  /** The TTL attribute's value, in epoch seconds. */
  ttlSeconds: number;
}

/**
 * A bounded, least-recently-used memory of the sessions this process read or wrote, so a save
 * of unchanged data can become an expiry refresh, or nothing. Losing an entry only costs a
 * write; it never changes what is stored.
 */
export class RecentSessions {
  readonly #entries = new Map<string, RecentSession>();
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** Records what was read or written for session `id`. */
  remember(id: string, entry: RecentSession): void {
    if (this.#capacity === 0) return;
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    if (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }

  /**
   * Records `data` (as its fingerprint) and the stored TTL of session `id`; nothing when the
   * memory is off or the TTL unknown.
   */
  rememberData(id: string, data: SessionData, ttlSeconds: number): void {
    if (this.#capacity === 0 || !Number.isFinite(ttlSeconds)) return;
    this.remember(id, { fingerprint: fingerprintSession(data), ttlSeconds });
  }

  /**
   * Whether a save of `data` as session `id` can skip the write: the data (expiry fields aside)
   * is what this repository last read or wrote under `id`, or a fingerprint `wroteBefore`
   * recognises. Hashes `data` only when there is something to compare it with.
   */
  unchanged(id: string, data: object, wroteBefore?: (fingerprint: string) => boolean): boolean {
    const recent = this.#entries.get(id);
    if (!isSessionData(data) || (recent === undefined && wroteBefore === undefined)) return false;
    const fingerprint = fingerprintSession(data);
    return recent?.fingerprint === fingerprint || wroteBefore?.(fingerprint) === true;
  }

  /** What was last seen of session `id`, if it is still remembered. */
  recall(id: string): RecentSession | undefined {
    return this.#entries.get(id);
  }

  /** Forgets session `id` (after a destroy, or when it turned out to be gone). */
  forget(id: string): void {
    this.#entries.delete(id);
  }

  /**
   * Marks session `id` as gone (deleted, or found missing) while keeping its fingerprint: a later
   * save of the same unchanged data then only tries a conditional refresh, which finds nothing,
   * instead of writing the session back.
   */
  markGone(id: string): void {
    const entry = this.#entries.get(id);
    if (entry) entry.ttlSeconds = 0;
  }

  /** Marks every remembered session as gone. */
  markAllGone(): void {
    for (const entry of this.#entries.values()) entry.ttlSeconds = 0;
  }
}

/**
 * A SHA-1 of the session's JSON form without the fields that only carry its expiry
 * (`cookie.expires`, `cookie.originalExpires`, `_expire`), which change on every rolling
 * request while the session itself does not.
 */
export function fingerprintSession(data: SessionData): string {
  const { _expire, cookie, ...rest } = data;
  let stableCookie = cookie;
  if (cookie !== null && typeof cookie === 'object') {
    const plain = (
      typeof (cookie as { toJSON?: unknown }).toJSON === 'function'
        ? (cookie as { toJSON(): unknown }).toJSON()
        : cookie
    ) as Record<string, unknown>;
    const { expires, originalExpires, ...cookieRest } = plain;
    stableCookie = cookieRest;
  }

  return createHash('sha1')
    .update(JSON.stringify({ rest, cookie: stableCookie }))
    .digest('base64');
}

/**
 * Whether moving a session's expiry to `expiresAt` can be skipped: the TTL stored for it, as
 * `recent` remembers, lags the new one by no more than the `touchAfterMs` window (`'auto'`: a
 * tenth of the remaining lifetime, at most {@link AUTO_TOUCH_AFTER_MAX_MS}), and is not ahead.
 */
export function refreshCanWait(
  recent: RecentSession | undefined,
  expiresAt: number,
  now: number,
  touchAfterMs: number | 'auto',
): boolean {
  if (recent === undefined || recent.ttlSeconds <= 0) return false;
  const ttlSeconds = toTtlSeconds(expiresAt);
  const window =
    touchAfterMs === 'auto'
      ? Math.min(AUTO_TOUCH_AFTER_MAX_MS, (expiresAt - now) / 10)
      : touchAfterMs;
  return ttlSeconds >= recent.ttlSeconds && (ttlSeconds - recent.ttlSeconds) * 1000 <= window;
}
