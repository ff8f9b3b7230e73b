import { and, type Condition, compare, exists, missing, not, or } from './conditions';
import type { ResolvedSessionRepositoryOptions } from './options';
import type { SessionData } from './session-data';

/**
 * The conditions of a repository's writes, as values, from its options alone (pure: the clock
 * is an argument). Combined with `and`, none can drop another.
 */
export class SessionConditions {
  readonly #options: Readonly<ResolvedSessionRepositoryOptions>;

  constructor(options: Readonly<ResolvedSessionRepositoryOptions>) {
    this.#options = options;
  }

  /**
   * A full write: the version read (`optimisticLocking`), the lock (`token`, or nobody else's
   * live lease), and for a framework's save (`onlyLive`, without a lock) no tombstone: the
   * session was not destroyed since. A tombstone is an item without data whose TTL is still
   * ahead, so `data exists OR NOT ttl > now` (which also holds on no item, since a comparison
   * with a missing attribute fails): two tests, where a server parses each one.
   */
  write(data: object, now: number, token: string | undefined, onlyLive: boolean) {
    const { dataAttribute, expiresAttribute } = this.#options;
    const notDestroyed = or(
      exists(dataAttribute),
      not(compare(expiresAttribute, '>', { N: String(Math.floor(now / 1000)) })),
    );
    return and(
      this.#version(data as SessionData, onlyLive),
      this.lockedFor(token, now),
      onlyLive && token === undefined ? notDestroyed : undefined,
    );
  }

  /**
   * A touch: a session with data and a numeric TTL more than a second ahead, and the lock. An
   * item without a numeric TTL (this store never writes one) is read by its data's expiry
   * alone; a touch would give it a TTL, after which a read takes that expiry for a stale one and
   * the session would come back: such an item is never touched, only saved.
   */
  touch(now: number, token: string | undefined) {
    const { dataAttribute, expiresAttribute } = this.#options;
    const cutoff = { N: String(Math.floor(now / 1000) + 1) };
    return and(
      exists(dataAttribute),
      compare(expiresAttribute, '>', cutoff),
      this.lockedFor(token, now),
    ) as Condition;
  }

  /** Taking the lock: a live session, and nobody else's live lease. */
  lock(now: number) {
    return and(this.live(now / 1000), this.lockedFor(undefined, now));
  }

  /**
   * A session with data whose TTL, if any, is after `cutoffSeconds`: `NOT ttl <= cutoff`, which
   * also holds without a TTL (or with one that is no number, which DynamoDB never expires and a
   * read takes as none; the lock then reads the data, and its expiry decides). The cutoff is
   * sent in whole seconds: TTLs are whole seconds, so `ttl > floor(cutoff)` is the same test.
   */
  live(cutoffSeconds: number): Condition {
    const { dataAttribute, expiresAttribute } = this.#options;
    const cutoff = { N: String(Math.floor(cutoffSeconds)) };
    return and(exists(dataAttribute), not(compare(expiresAttribute, '<=', cutoff))) as Condition;
  }

  /**
   * With `pessimisticLocking`: the item carries `token` (the holder's write), or without a token,
   * nobody holds a live lease. Nothing without locking.
   */
  lockedFor(token: string | undefined, now: number) {
    const locking = this.#options.pessimisticLocking;
    if (!locking) return undefined;
    if (token !== undefined) return compare(locking.ownerAttribute, '=', { S: token });
    return or(
      missing(locking.ownerAttribute),
      compare(locking.leaseAttribute, '<', { N: String(now) }),
    );
  }

  /**
   * Optimistic locking: the version read is still the stored one. Data without a version is a
   * new session: no item (or, for `set`, only a destroyed session's tombstone) may be there.
   */
  #version(data: SessionData, onlyLive: boolean) {
    const { optimisticLocking, versionField, versionAttribute, hashKey, dataAttribute } =
      this.#options;
    if (!optimisticLocking) return undefined;
    const read = data[versionField];
    if (typeof read !== 'number') {
      return onlyLive ? missing(hashKey) : or(missing(hashKey), missing(dataAttribute));
    }
    if (read === 0) return and(exists(hashKey), missing(versionAttribute));
    return compare(versionAttribute, '=', { N: String(read) });
  }
}
