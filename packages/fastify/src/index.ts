import {
  cookieExpiry,
  type NodeCallback,
  type RepositoryOrOptions,
  repositoryFrom,
  type SessionLock,
  type SessionRepository,
  type SessionRepositoryLike,
  type SessionRepositoryOptions,
  settle,
} from '@dynamodb-session/core';
import type { SessionStore } from '@fastify/session';

/**
 * Options of {@link DynamoDBStore}: the core repository's options, or a repository to use (a
 * `SessionRepository`, or any `SessionRepositoryLike` such as the in-memory repository of
 * `@dynamodb-session/core/testing`).
 */
export type DynamoDBStoreOptions<
  Data extends object = FastifySession,
  Repository extends SessionRepositoryLike<Data> = SessionRepositoryLike<Data>,
> = RepositoryOrOptions<Data, Repository>;

/** The session object @fastify/session hands to a store (`request.session`). */
export type FastifySession = Parameters<SessionStore['set']>[1];

/**
 * A @fastify/session store that keeps sessions in DynamoDB. It translates @fastify/session's
 * callback API onto a {@link SessionRepository}; every method also returns a promise. A session
 * expires at its `cookie.expires`, or after the repository's `defaultLifetimeMs` for a
 * browser-session cookie.
 *
 * The session type follows @fastify/session's own: augment fastify's `Session` interface
 * (`declare module 'fastify' { interface Session { userId: string } }`) and
 * `store.repository.get(id)` returns that type too.
 */
export class DynamoDBStore<
  Data extends object = FastifySession,
  Repository extends SessionRepositoryLike<Data> = SessionRepository<Data>,
> implements SessionStore
{
  /** The repository holding the sessions; use it for anything beyond @fastify/session's API. */
  readonly repository: Repository;
  /**
   * With `pessimisticLocking`: the locks held by requests of this process, by session id (one at
   * a time per id), until the request's first write; from then on by its session object, so
   * that the end-of-request save after an explicit `save()` acts on its own, ended lock.
   */
  readonly #held = new Map<string, SessionLock<Data>>();
  readonly #bySession = new WeakMap<object, SessionLock<Data>>();

  /** A store on a `SessionRepository` built from `options`. */
  constructor(options?: SessionRepositoryOptions & { repository?: undefined });
  /** A store on `options.repository`: a `SessionRepository` or any `SessionRepositoryLike`. */
  constructor(options: { repository: Repository & SessionRepositoryLike<Data> });
  /** A store from either form of options. */
  constructor(options: DynamoDBStoreOptions<Data, Repository>);
  constructor(options: DynamoDBStoreOptions<Data, Repository> = {}) {
    this.repository = repositoryFrom<Data, Repository>(options);
  }

  /**
   * Loads session `sessionId`: `null` when it is missing or expired. With `pessimisticLocking`,
   * it locks the session for the request; the request's save or destroy ends the lock.
   */
  get(
    sessionId: string,
    callback?: NodeCallback<FastifySession | null>,
  ): Promise<FastifySession | null> {
    return settle(this.#load(sessionId) as Promise<FastifySession | null>, callback);
  }

  /**
   * Stores session `sessionId` until its cookie expires, never bringing back a session destroyed
   * meanwhile. @fastify/session calls this on every response of a rolling session: a session
   * whose data is unchanged since it was loaded (its `isModified()` says so) only has its TTL
   * moved, when needed, even when another request of this process changed it meanwhile.
   */
  set(sessionId: string, session: FastifySession, callback?: NodeCallback<void>): Promise<void> {
    const data = session as unknown as Data;
    const lock = this.#bySession.get(session) ?? this.#held.get(sessionId);
    if (lock) {
      this.#bySession.set(session, lock);
      if (this.#held.get(sessionId) === lock) this.#held.delete(sessionId);
    }
    const unchangedSinceRead = (session as { isModified?: () => boolean }).isModified?.() === false;
    const saved = lock
      ? lock.save(data, cookieExpiry(session))
      : this.repository.save(sessionId, data, cookieExpiry(session), { unchangedSinceRead });
    return settle(
      saved.then(() => undefined),
      callback,
    );
  }

  /** Deletes session `sessionId` (ending the lock a request of this process holds on it). */
  destroy(sessionId: string, callback?: NodeCallback<void>): Promise<void> {
    const lock = this.#held.get(sessionId);
    this.#held.delete(sessionId);
    return settle(lock ? lock.destroy() : this.repository.destroy(sessionId), callback);
  }

  /** Releases the DynamoDB client if the store built it; a client you passed is left alone. */
  close(): void {
    this.repository.close();
  }

  async #load(sessionId: string): Promise<Data | null> {
    if (!this.repository.options.pessimisticLocking) return this.repository.get(sessionId);
    const lock = await this.repository.lock(sessionId);
    if (lock.held) {
      this.#held.set(sessionId, lock);
      const { leaseMs } = this.repository.options.pessimisticLocking;
      const forget = () => this.#held.get(sessionId) === lock && this.#held.delete(sessionId);
      setTimeout(forget, leaseMs).unref();
    }
    return lock.data;
  }
}
