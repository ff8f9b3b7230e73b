import type { SessionStoreError } from './errors';
import type { SessionExpiry } from './expiry';
import type { ResolvedSessionRepositoryOptions, SessionRepositoryOptions } from './options';
import type { SessionData } from './session-data';
import type { RefreshOutcome, SaveOutcome } from './session-repository';

/** The last argument of the repository's session calls. */
export interface SessionCallOptions {
  /**
   * With `pessimisticLocking`: an object that stands for the request making the call (a koa
   * context, express-session's session object). Calls that name it act on the lock that
   * request's read took, also once it has ended and another request of the process holds the
   * next one: they then act as calls without a lock, and a save of the data the request already
   * wrote writes nothing. The data object a read returned, and the data a write is given,
   * stand for their request in the same way.
   */
  lockOwner?: object;
}

/**
 * What the framework adapters (`@dynamodb-session/express`, `/koa`, `/fastify`) call on the
 * repository they are given as `repository`: {@link SessionRepository} implements it, and so does
 * the in-memory repository of `@dynamodb-session/core/testing`. Implement it to hand a store any
 * other repository, e.g. a wrapper that logs or fails on purpose in a test.
 */
export interface SessionRepositoryLike<Data extends object = SessionData> {
  /** The options the adapters read: the lifetime of a session without an expiry, and locking. */
  readonly options: Readonly<
    Pick<ResolvedSessionRepositoryOptions, 'defaultLifetimeMs' | 'pessimisticLocking'>
  >;
  /** The session `id`, or `null` when it is missing, expired, unreadable or `id` is malformed. */
  get(id: string, options?: SessionCallOptions): Promise<Data | null>;
  /** Stores `data` as session `id`, replacing what was there, until `expiry`. */
  set(
    id: string,
    data: Data,
    expiry?: SessionExpiry | null,
    options?: SessionCallOptions,
  ): Promise<void>;
  /** Stores `data` as session `id`, or only refreshes its expiry when the data is unchanged. */
  save(
    id: string,
    data: Data,
    expiry?: SessionExpiry | null,
    options?: SessionCallOptions,
  ): Promise<SaveOutcome>;
  /** Moves the expiry of session `id` to `expiry` when needed, never recreating it. */
  refresh(
    id: string,
    expiry?: SessionExpiry | null,
    options?: SessionCallOptions,
  ): Promise<RefreshOutcome>;
  /** Deletes session `id`, whether or not it exists. */
  destroy(id: string, options?: SessionCallOptions): Promise<void>;
  /** Releases the lock a `get` of session `id` took (with `pessimisticLocking`). */
  release(id: string, options?: SessionCallOptions): Promise<void>;
  /** Makes `to` stand for the same request as `from` (with `pessimisticLocking`). */
  shareLock?(from: object, to: object): void;
  /** The live sessions as `{ id, data }`. */
  all(): AsyncIterable<{ id: string; data: Data }>;
  /** How many live sessions there are. */
  length(): Promise<number>;
  /** Deletes every session; resolves how many were deleted. */
  clear(): Promise<number>;
  /** Hands a problem handled without failing the request to the `onError` listeners. */
  report(error: SessionStoreError): void;
  /** Releases what the repository owns (a client it built). */
  close(): void;
}

/**
 * What a framework store is built from: the repository's options (the store then builds a
 * `SessionRepository`), or a ready repository, such as the in-memory one of
 * `@dynamodb-session/core/testing`.
 */
export type RepositoryOrOptions<
  Data extends object = SessionData,
  Repository extends SessionRepositoryLike<Data> = SessionRepositoryLike<Data>,
> = (SessionRepositoryOptions & { repository?: undefined }) | { repository: Repository };
