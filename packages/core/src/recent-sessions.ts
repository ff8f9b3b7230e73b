import { toTtlSeconds } from './expiry';
import type { SessionSerializer } from './serializers';
import { isSessionData, type SessionData } from './session-data';
import { type ExpiryFields, sha1Base64 } from './session-fingerprint';

/** The longest window of `touchAfterMs: 'auto'`: 10 minutes. */
export const AUTO_TOUCH_AFTER_MAX_MS = 600_000;

/** What the repository last saw of a session: its stored data's fingerprint and TTL. */
export interface RecentSession {
  /**
   * The `fingerprintOf` the data attribute's plain form, as read; absent after this process's
   * own write (a save then writes: another process may have written since).
   */
  fingerprint?: string;
  /** The TTL attribute's value, in epoch seconds. */
  ttlSeconds: number;
  /** The stored data's expiry fields: a save puts them in its data before comparing. */
  storedExpiry?: ExpiryFields;
  /** The stored version, with optimistic locking. */
  version?: number;
  /** `cookieKeyOf` the data read or written: `save`'s `unchangedSinceRead` needs it unchanged. */
  cookieKey?: string;
}

/**
 * A bounded, least-recently-used memory of the sessions this process read or wrote, so a save
 * of unchanged data can become an expiry refresh, or nothing. Losing an entry only costs a
 * write; it never decides what is stored (a destroyed session stays destroyed by the conditions
 * of the writes, not by this memory).
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

  /** Whether the memory is on (fingerprints are worth computing). */
  get enabled(): boolean {
    return this.#capacity > 0;
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
   * Marks session `id` as gone (destroyed, or found missing) while keeping its fingerprint: a
   * later unchanged save then only tries a conditional refresh, which finds nothing, and sends
   * no write. An optimisation only: the conditions of the writes keep a destroyed session
   * destroyed when this entry has been evicted.
   */
  markGone(id: string): void {
    const entry = this.#entries.get(id);
    if (entry) entry.ttlSeconds = 0;
  }

  /** Marks every remembered session as gone (after a bulk delete). */
  markAllGone(): void {
    for (const entry of this.#entries.values()) entry.ttlSeconds = 0;
  }
}

/**
 * A SHA-1 of the session's serialized form without the fields that only carry its expiry
 * (`cookie.expires`, `cookie.originalExpires`, `_expire`), which change on every rolling
 * request while the session itself does not. `serializer` (default JSON) is the one the
 * repository writes with. `undefined` when the data cannot be serialized: then it is never
 * taken for unchanged.
 */
export function fingerprintSession(
  data: SessionData,
  serializer?: SessionSerializer,
): string | undefined {
  if (!isSessionData(data)) return undefined;
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

  try {
    const stable = { ...rest, cookie: stableCookie };
    const text = serializer
      ? JSON.stringify(serializer.serialize(stable))
      : JSON.stringify({ rest, cookie: stableCookie });
    return sha1Base64(text);
  } catch {
    return undefined;
  }
}

/**
 * How far the stored expiry of a session with `lifetimeMs` left may lag before a refresh writes
 * it: `touchAfterMs`, or for `'auto'` a tenth of the lifetime (at most
 * {@link AUTO_TOUCH_AFTER_MAX_MS}); never more than a quarter of the lifetime, whatever the
 * option says, so a session in use never expires in the table before its cookie would.
 */
export function refreshWindowMs(touchAfterMs: number | 'auto', lifetimeMs: number): number {
  const quarter = Math.max(0, lifetimeMs / 4);
  if (touchAfterMs === 'auto') return Math.min(AUTO_TOUCH_AFTER_MAX_MS, lifetimeMs / 10, quarter);
  return Math.min(touchAfterMs, quarter);
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
  const window = refreshWindowMs(touchAfterMs, expiresAt - now);
  return ttlSeconds >= recent.ttlSeconds && (ttlSeconds - recent.ttlSeconds) * 1000 <= window;
}
