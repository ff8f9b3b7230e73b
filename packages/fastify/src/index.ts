import {
  cookieExpiry,
  type NodeCallback,
  type RepositoryOrOptions,
  repositoryFrom,
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

  /** A store on a `SessionRepository` built from `options`. */
  constructor(options?: SessionRepositoryOptions & { repository?: undefined });
  /** A store on `options.repository`: a `SessionRepository` or any `SessionRepositoryLike`. */
  constructor(options: { repository: Repository & SessionRepositoryLike<Data> });
  /** A store from either form of options. */
  constructor(options: DynamoDBStoreOptions<Data, Repository>);
  constructor(options: DynamoDBStoreOptions<Data, Repository> = {}) {
    this.repository = repositoryFrom<Data, Repository>(options);
  }

  /** Loads session `sessionId`: `null` when it is missing or expired. */
  get(
    sessionId: string,
    callback?: NodeCallback<FastifySession | null>,
  ): Promise<FastifySession | null> {
    const loaded = this.repository.get(sessionId) as Promise<unknown>;
    return settle(loaded as Promise<FastifySession | null>, callback);
  }

  /**
   * Stores session `sessionId` until its cookie expires. @fastify/session calls this on every
   * response of a rolling session: a session whose data is unchanged since it was loaded only
   * has its TTL moved, and only when the stored one lags by more than `touchAfterMs`.
   */
  set(sessionId: string, session: FastifySession, callback?: NodeCallback<void>): Promise<void> {
    const data = session as unknown as Data;
    const saved = this.repository.save(sessionId, data, cookieExpiry(session));
    return settle(
      saved.then(() => undefined),
      callback,
    );
  }

  /** Deletes session `sessionId`. */
  destroy(sessionId: string, callback?: NodeCallback<void>): Promise<void> {
    return settle(this.repository.destroy(sessionId), callback);
  }

  /** Releases the DynamoDB client if the store built it; a client you passed is left alone. */
  close(): void {
    this.repository.close();
  }
}
