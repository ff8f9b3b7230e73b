import {
  expiryFromMaxAge,
  type RepositoryOrOptions,
  repositoryFrom,
  type SessionData,
  type SessionRepository,
  type SessionRepositoryLike,
  type SessionRepositoryOptions,
} from '@dynamodb-session/core';

/**
 * Options of {@link DynamoDBStore}: the core repository's options, or a repository to use (a
 * `SessionRepository`, or any `SessionRepositoryLike` such as the in-memory repository of
 * `@dynamodb-session/core/testing`).
 */
export type DynamoDBStoreOptions<
  Data extends object = SessionData,
  Repository extends SessionRepositoryLike<Data> = SessionRepositoryLike<Data>,
> = RepositoryOrOptions<Data, Repository>;

/** The parts of node's `ServerResponse` the store reads. */
interface ClosingResponse {
  closed?: boolean;
  once?: (event: 'close', listener: () => void) => unknown;
}

/** The koa context of a store call, which stands for its request's pessimistic lock. */
function lockOwnerOf(options: KoaStoreCallOptions | undefined): object | undefined {
  const ctx = options?.ctx;
  return typeof ctx === 'object' && ctx !== null ? ctx : undefined;
}

/** The last argument koa-session passes to a store method. */
export interface KoaStoreCallOptions {
  /** The koa context of the request. */
  ctx?: unknown;
  /** koa-session's `rolling` option. */
  rolling?: boolean;
  /** `set` only: whether the session data changed during the request. */
  changed?: boolean;
}

/**
 * A koa-session external store that keeps sessions in DynamoDB:
 * `app.use(session({ store: new DynamoDBStore(options) }, app))`. A session expires at its
 * `_expire` (koa-session's own expiry), or after `defaultLifetimeMs` for `maxAge: 'session'`.
 * A save that only extends the expiry (`rolling`, `renew`) moves the expiry alone.
 */
export class DynamoDBStore<
  Data extends object = SessionData,
  Repository extends SessionRepositoryLike<Data> = SessionRepository<Data>,
> {
  /** The repository holding the sessions; use it for anything beyond koa-session's API. */
  readonly repository: Repository;
  readonly #wrote = new WeakSet<object>();

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
   * Loads session `key`: `null` when it is missing or expired. With `pessimisticLocking`, the
   * lock the read took belongs to the request's context: it is released when the response
   * closes, also when koa-session does not save an unchanged session; a request that saved or
   * destroyed the session has ended its lock already and releases nothing (the lock may be the
   * next request's by then), nor does a request whose read failed (it never held the lock).
   */
  async get(
    key: string,
    _maxAge?: number | 'session',
    options?: KoaStoreCallOptions,
  ): Promise<Data | null> {
    const lockOwner = lockOwnerOf(options);
    const data = await this.repository.get(key, { lockOwner });
    const response = (lockOwner as { res?: ClosingResponse } | undefined)?.res;
    if (data !== null && this.repository.options.pessimisticLocking && response?.once) {
      const release = () => {
        this.repository.release(key, { lockOwner }).catch(() => {});
      };
      if (response.closed) release();
      else response.once('close', release);
    }
    return data;
  }

  /**
   * Stores session `key` until its `_expire` (else `maxAge` from now; else `defaultLifetimeMs`).
   * When `changed` is false (a `rolling` or `renew` save) and the data is what the repository
   * last read or wrote under `key`, only the expiry is refreshed, when needed, and a session
   * destroyed meanwhile is not recreated; koa-session's other forced saves (`regenerate`,
   * `save()`, a new `maxAge`) carry new data or a new key and are written in full. With
   * `pessimisticLocking`, a second write in one request (koa-session commits again at the end
   * after an explicit `save()`) is a save too: it writes nothing when the data is what the
   * first one wrote, and so leaves alone what the next request has written since.
   */
  async set(
    key: string,
    sess: Data,
    maxAge?: number | 'session',
    options: KoaStoreCallOptions = {},
  ): Promise<void> {
    const expire = (sess as SessionData)._expire;
    const expiry =
      typeof expire === 'number'
        ? expire
        : typeof maxAge === 'number'
          ? expiryFromMaxAge(maxAge)
          : undefined;
    const lockOwner = lockOwnerOf(options);
    const locking = this.repository.options.pessimisticLocking !== undefined;
    const again = locking && lockOwner !== undefined && this.#wrote.has(lockOwner);
    if (locking && lockOwner !== undefined) this.#wrote.add(lockOwner);
    if (options.changed === false || again) {
      await this.repository.save(key, sess, expiry, { lockOwner });
    } else await this.repository.set(key, sess, expiry, { lockOwner });
  }

  /** Deletes session `key`. */
  async destroy(key: string, options?: KoaStoreCallOptions): Promise<void> {
    await this.repository.destroy(key, { lockOwner: lockOwnerOf(options) });
  }

  /** Releases the DynamoDB client if the store built it; a client you passed is left alone. */
  close(): void {
    this.repository.close();
  }
}
