import {
  expiryFromMaxAge,
  type RepositoryOrOptions,
  repositoryFrom,
  type SessionData,
  type SessionLock,
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
  /** With `pessimisticLocking`: the lock each request (its koa context) took. */
  readonly #locks = new WeakMap<object, SessionLock<Data>>();
  /**
   * What each request (its koa context) loaded or last saved: the key, and the data's JSON
   * (none after a save koa-session called changed, which then compares as changed).
   */
  readonly #loaded = new WeakMap<object, { key: string; json: string | undefined }>();

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
   * Loads session `key`: `null` when it is missing or expired. With `pessimisticLocking`, it
   * locks the session for the request (its context); the request's save or destroy ends the
   * lock, and so does the response's close when neither came.
   */
  async get(
    key: string,
    _maxAge?: number | 'session',
    options?: KoaStoreCallOptions,
  ): Promise<Data | null> {
    const ctx = contextOf(options);
    if (!this.repository.options.pessimisticLocking || !ctx) {
      const data = await this.repository.get(key);
      if (ctx && data) this.#loaded.set(ctx, { key, json: koaSessionJson(data) });
      return data;
    }
    const lock = await this.repository.lock(key);
    this.#locks.set(ctx, lock);
    const response = (ctx as { res?: ClosingResponse }).res;
    if (lock.held && response?.once) {
      const release = () => {
        lock.release().catch(() => {});
      };
      if (response.closed) release();
      else response.once('close', release);
    }
    return lock.data;
  }

  /**
   * Stores session `key` until its `_expire` (else `maxAge` from now; else `defaultLifetimeMs`),
   * never bringing back a session destroyed meanwhile. Data unchanged since it was read (a
   * `rolling` or `renew` save) only has its expiry refreshed, when needed, even when another
   * request of this process changed it meanwhile: koa-session says `changed: false` for those
   * saves, and also for an explicit `ctx.session.save()`, so the store compares what this
   * request loaded (or last saved) with what it saves, `_expire` aside.
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
    const lock = this.#lockOf(key, options);
    if (lock) {
      await lock.save(sess, expiry);
      return;
    }
    const ctx = contextOf(options);
    const unchangedSave = ctx !== undefined && options.changed === false;
    const loaded = unchangedSave ? this.#loaded.get(ctx) : undefined;
    const json = unchangedSave ? koaSessionJson(sess) : undefined;
    const unchangedSinceRead =
      loaded?.key === key && loaded.json !== undefined && loaded.json === json;
    await this.repository.save(key, sess, expiry, { unchangedSinceRead });
    if (ctx) this.#loaded.set(ctx, { key, json });
  }

  /** Deletes session `key`. */
  async destroy(key: string, options?: KoaStoreCallOptions): Promise<void> {
    const lock = this.#lockOf(key, options);
    if (lock) await lock.destroy();
    else await this.repository.destroy(key);
  }

  #lockOf(key: string, options: KoaStoreCallOptions | undefined): SessionLock<Data> | undefined {
    const ctx = contextOf(options);
    const lock = ctx && this.#locks.get(ctx);
    return lock?.id === key ? lock : undefined;
  }

  /** Releases the DynamoDB client if the store built it; a client you passed is left alone. */
  close(): void {
    this.repository.close();
  }
}

/**
 * Session data as this store compares it: without `_expire`, which a `rolling` save moves
 * (`_maxAge` and `_session`, the session's lifetime, count).
 */
function koaSessionJson(data: object): string | undefined {
  try {
    const fields = Object.entries(data).filter(([field]) => field !== '_expire');
    return JSON.stringify(fields.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  } catch {
    return undefined;
  }
}

/** The koa context of a store call, which stands for its request. */
function contextOf(options: KoaStoreCallOptions | undefined): object | undefined {
  const ctx = options?.ctx;
  return typeof ctx === 'object' && ctx !== null ? ctx : undefined;
}
