import {
  cookieExpiry,
  type NodeCallback,
  type RepositoryOrOptions,
  repositoryFrom,
  resolveExpiryMs,
  type SessionData,
  type SessionLock,
  type SessionRepository,
  type SessionRepositoryLike,
  type SessionRepositoryOptions,
  SessionStoreError,
  settle,
  toTtlSeconds,
} from '@dynamodb-session/core';
import session from 'express-session';

/**
 * Options of {@link DynamoDBStore}: the core repository's options, or a repository to use (a
 * `SessionRepository`, or any `SessionRepositoryLike` such as the in-memory repository of
 * `@dynamodb-session/core/testing`).
 */
export type DynamoDBStoreOptions<
  Data extends object = session.SessionData,
  Repository extends SessionRepositoryLike<Data> = SessionRepositoryLike<Data>,
> = RepositoryOrOptions<Data, Repository>;

/** The parts of node's `ServerResponse` the store reads. */
interface ClosingResponse {
  closed?: boolean;
  once?: (event: 'close', listener: () => void) => unknown;
}

/** The session object express-session hands to a store. */
export type StoredSession = session.SessionData & SessionData;

/**
 * An express-session (and connect) store that keeps sessions in DynamoDB. It translates
 * express-session's callback API onto a {@link SessionRepository}; every method also returns
 * a promise. The expiry of a session is its `cookie.expires`, or the repository's
 * `defaultLifetimeMs` for a browser-session cookie.
 *
 * The session type follows express-session's own: augment its `SessionData` interface
 * (`declare module 'express-session' { interface SessionData { userId: string } }`) and
 * `store.repository.get(id)` returns that type too.
 */
export class DynamoDBStore<
  Data extends object = session.SessionData,
  Repository extends SessionRepositoryLike<Data> = SessionRepository<Data>,
> extends session.Store {
  /** The repository holding the sessions; use it for anything beyond express-session's API. */
  readonly repository: Repository;
  /** The lock of each request, by the session objects that stand for it. */
  readonly #locks = new WeakMap<object, SessionLock<Data>>();
  /** The locks held by requests of this process, by session id (one at a time per id). */
  readonly #held = new Map<string, SessionLock<Data>>();

  /** A store on a `SessionRepository` built from `options`. */
  constructor(options?: SessionRepositoryOptions & { repository?: undefined });
  /** A store on `options.repository`: a `SessionRepository` or any `SessionRepositoryLike`. */
  constructor(options: { repository: Repository & SessionRepositoryLike<Data> });
  /** A store from either form of options. */
  constructor(options: DynamoDBStoreOptions<Data, Repository>);
  constructor(options: DynamoDBStoreOptions<Data, Repository> = {}) {
    super();
    this.repository = repositoryFrom<Data, Repository>(options);
  }

  /**
   * Loads session `sid`: `null` when it is missing or expired, or when the stored data is not an
   * express-session session (no `cookie` object; reported to `onError` as CORRUPT_SESSION). With
   * `pessimisticLocking`, it locks the session for the request; the request's save, touch or
   * destroy ends the lock.
   */
  override get(
    sid: string,
    callback?: NodeCallback<StoredSession | null>,
  ): Promise<StoredSession | null> {
    return settle(this.#load(sid), callback);
  }

  /** Builds `req.session` from what {@link get} loaded; it carries the request's lock along. */
  override createSession(
    req: Parameters<session.Store['createSession']>[0],
    sess: session.SessionData,
  ): session.Session & session.SessionData {
    const created = super.createSession(req, sess);
    const lock = this.#locks.get(sess);
    if (lock) {
      this.#locks.set(created, lock);
      this.#endWithResponse(req, lock);
    }
    return created;
  }

  /**
   * Stores session `sid` until its cookie expires, never bringing back a session destroyed
   * meanwhile. A session unchanged since it was loaded (`resave: true`) only has its expiry
   * refreshed.
   */
  override set(sid: string, sess: StoredSession, callback?: NodeCallback<void>): Promise<void> {
    const data = sess as unknown as Data;
    const lock = this.#lockOf(sid, sess);
    const saved = lock
      ? lock.save(data, cookieExpiry(sess))
      : this.repository.save(sid, data, cookieExpiry(sess));
    return settle(
      saved.then(() => undefined),
      callback,
    );
  }

  /**
   * Moves the expiry of session `sid` to its cookie's when it would otherwise lag by more than
   * the refresh window, without rewriting the data; never recreates a session that is gone.
   * Resolves (and calls back with) the expiry in epoch seconds, as connect-dynamodb did. A failed
   * refresh loses nothing (the next request refreshes again), so it goes to the repository's
   * `onError` listeners instead of failing a response express-session has already sent.
   */
  override touch(
    sid: string,
    sess: StoredSession,
    callback?: NodeCallback<{ expires: number }>,
  ): Promise<{ expires: number }> {
    const expiresAt = resolveExpiryMs(
      cookieExpiry(sess),
      this.repository.options.defaultLifetimeMs,
    );
    const expires = { expires: toTtlSeconds(expiresAt) };
    const lock = this.#lockOf(sid, sess);
    const refreshed = lock ? lock.refresh(expiresAt) : this.repository.refresh(sid, expiresAt);
    return settle(
      refreshed.then(
        () => expires,
        () => expires,
      ),
      callback,
    );
  }

  /** Deletes session `sid` (ending the lock a request of this process holds on it). */
  override destroy(sid: string, callback?: NodeCallback<void>): Promise<void> {
    const lock = this.#held.get(sid);
    this.#held.delete(sid);
    return settle(lock ? lock.destroy() : this.repository.destroy(sid), callback);
  }

  /**
   * Every live session, as express-session's optional `all` wants them: an object keyed by
   * session id (by stored key with `hashSessionIds`, whose table holds no ids). It holds them all in memory; `repository.all()` streams them instead.
   */
  override all(
    callback?: NodeCallback<Record<string, StoredSession>>,
  ): Promise<Record<string, StoredSession>> {
    const collect = async () => {
      const sessions: Record<string, StoredSession> = {};
      for await (const { id, key, data } of this.repository.all()) {
        sessions[id ?? key] = data as unknown as StoredSession;
      }
      return sessions;
    };
    return settle(collect(), callback);
  }

  /** How many live sessions the store holds (express-session's optional `length`). */
  override length(callback?: NodeCallback<number>): Promise<number> {
    return settle(this.repository.length(), callback);
  }

  /** Deletes every session of this store's prefix (express-session's optional `clear`). */
  override clear(callback?: NodeCallback<void>): Promise<void> {
    return settle(
      this.repository.clear().then(() => undefined),
      callback,
    );
  }

  /** Releases the DynamoDB client if the store built it; a client you passed is left alone. */
  close(): void {
    this.repository.close();
  }

  async #load(sid: string): Promise<StoredSession | null> {
    const locking = this.repository.options.pessimisticLocking !== undefined;
    const lock = locking ? await this.repository.lock(sid) : undefined;
    const data = lock ? lock.data : await this.repository.get(sid);
    if (data !== null && !isObject((data as SessionData).cookie)) {
      this.repository.report(
        new SessionStoreError(
          'CORRUPT_SESSION',
          'a stored session has no cookie: not an express-session session',
        ),
      );
      await lock?.release();
      return null;
    }
    if (lock?.held && data !== null) {
      this.#locks.set(data, lock);
      this.#held.set(sid, lock);
    }
    return data as unknown as StoredSession | null;
  }

  /**
   * Ends the hold of `lock` when the request's response closes, if the request's `set`, `touch`
   * or `destroy` has not ended it (express-session sends none when the app unsets `req.session`,
   * or when the response is torn down before it ends), and forgets it.
   */
  #endWithResponse(req: object, lock: SessionLock<Data>): void {
    const response = (req as { res?: ClosingResponse }).res;
    if (typeof response?.once !== 'function') return;
    const end = () => {
      if (this.#held.get(lock.id) === lock) this.#held.delete(lock.id);
      lock.release().catch(() => {});
    };
    if (response.closed) end();
    else response.once('close', end);
  }

  /** The lock this request's read of `sid` took, if it holds one; it stays with `sess`. */
  #lockOf(sid: string, sess: object): SessionLock<Data> | undefined {
    const lock = this.#locks.get(sess);
    if (lock?.id !== sid) return undefined;
    if (this.#held.get(sid) === lock) this.#held.delete(sid);
    return lock;
  }
}

export { cookieExpiry };

function isObject(value: unknown): value is object {
  return value !== null && typeof value === 'object';
}
