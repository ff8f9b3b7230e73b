import { randomUUID } from 'node:crypto';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type ReapOptions,
  type ReapResult,
  SessionBulk,
  type SessionEntry,
  type StoredSessionKey,
} from './session-bulk';
import type { BulkOptions } from './table-context';
import { and, compare, exists, type Item, missing, or } from './conditions';
import { DynamoDBCaller } from './dynamodb-caller';
import { DynamoDBDriver } from './dynamodb-driver';
import {
  conflictError,
  isSessionStoreError,
  lockTimeoutError,
  SessionStoreError,
  toSessionStoreError,
} from './errors';
import { type SessionExpiry, sessionExpiryMs, toTtlSeconds } from './expiry';
import { ItemCodec } from './item-codec';
import { LockQueue, type LockTurn } from './lock-queue';
import {
  MAX_TIMER_MS,
  parseSessionRepositoryOptions,
  type ResolvedSessionRepositoryOptions,
  type SessionRepositoryOptions,
} from './options';
import { fingerprintSession, RecentSessions, refreshCanWait } from './recent-sessions';
import { resolveSerializer, type SessionSerializer } from './serializers';
import type { SessionData } from './session-data';
import { sessionIdProblem } from './session-key';
import {
  HeldSession,
  type LockedOperations,
  type RefreshOutcome,
  type SaveOutcome,
  type SessionLock,
} from './session-lock';
import { DiagnosticLog, loggedSessionId } from './session-logger';
import {
  type CreateTableOptions,
  type CreateTableResult,
  createSessionTable,
  describeSessionTable,
  type SessionTableDescription,
} from './session-table';
import type { StorageDriver } from './storage-driver';
import { StoreMetrics, type StoreMetricsSnapshot } from './store-metrics';

export type { RefreshOutcome, SaveOutcome } from './session-lock';

/** A DynamoDB item as the SDK returns it. */
export type SessionItem = Item;

/** Called with every problem the repository handles without failing the call (corrupt items). */
export type SessionErrorListener = (error: SessionStoreError) => void;

/** How long a destroyed session's tombstone keeps `save` and `touch` from bringing it back. */
export const DESTROYED_SESSION_KEPT_MS = 3_600_000;

/** Where a repository keeps its items, for a repository over another driver (the memory one). */
export interface RepositoryStorage {
  driver: (metrics: StoreMetrics) => StorageDriver;
  /** The clock, in epoch milliseconds. Default `Date.now`. */
  now?: () => number;
}

/**
 * Sessions in one DynamoDB table (or another storage driver): a promise-based, framework-free
 * repository. A missing, expired or unreadable session is `null`, never an error; every failure
 * of the storage rejects with a {@link SessionStoreError}. The constructor validates the options
 * and makes no network call.
 */
export class SessionRepository<Data extends object = SessionData> {
  /** The DynamoDB client in use (the caller's, or one the repository built). */
  readonly client: DynamoDBClient;
  /** The validated options, defaults applied. */
  readonly options: Readonly<ResolvedSessionRepositoryOptions>;
  readonly #ownsClient: boolean;
  readonly #driver: StorageDriver;
  readonly #codec: ItemCodec;
  readonly #serializer: SessionSerializer | undefined;
  readonly #recent: RecentSessions;
  readonly #metrics = new StoreMetrics();
  readonly #errorListeners = new Set<SessionErrorListener>();
  readonly #log: DiagnosticLog;
  readonly #now: () => number;
  readonly #queue: LockQueue | undefined;
  readonly #bulk: SessionBulk;
  readonly #locked: LockedOperations<Data>;

  constructor(options?: SessionRepositoryOptions, storage?: RepositoryStorage) {
    this.options = parseSessionRepositoryOptions(options);
    const { client, clientConfig, region, endpoint, requestTimeoutMs } = this.options;
    this.#ownsClient = client === undefined && storage === undefined;
    this.client =
      client ??
      new DynamoDBClient({
        cacheMiddleware: true,
        requestHandler: { requestTimeout: requestTimeoutMs, throwOnRequestTimeout: true },
        ...clientConfig,
        ...(region && { region }),
        ...(endpoint && { endpoint }),
      });
    this.#log = new DiagnosticLog(this.options.logger);
    this.#now = storage?.now ?? (() => Date.now());
    this.#driver = storage ? storage.driver(this.#metrics) : this.#dynamoDBDriver();
    this.#codec = new ItemCodec(this.options);
    const { serializer } = this.options;
    this.#serializer = typeof serializer === 'object' ? resolveSerializer(serializer) : undefined;
    this.#recent = new RecentSessions(this.options.trackedSessions);
    this.#queue = this.options.pessimisticLocking ? new LockQueue(this.#now) : undefined;
    this.#bulk = new SessionBulk(this.#driver, this.#codec, this.options, this.#now);
    this.#locked = {
      save: (id, data, expiry, token) => this.#save(id, data, expiry, token),
      refresh: (id, expiry, token) => this.#refresh(id, expiry, token),
      release: (id, token) => this.#releaseLock(id, token),
      destroy: (id) => this.destroy(id),
    };
    this.#log.write('repository created', () => ({
      table: this.options.table,
      prefix: this.options.prefix,
      ownsClient: this.#ownsClient,
    }));
  }

  /** The session `id`, or `null` when it is missing, expired, unreadable or `id` is malformed. */
  async get(id: string): Promise<Data | null> {
    if (sessionIdProblem(this.options.prefix, id) !== undefined) return null;
    let item = await this.#driver.get(this.#codec.key(id));
    const legacy = item ? undefined : this.#codec.legacyKey(id);
    if (legacy) item = await this.#driver.get(legacy);
    const data = this.#read(id, item);
    this.#log.write('get', () => ({ session: loggedSessionId(id), found: data !== null }));
    return data;
  }

  /**
   * Stores `data` as session `id` until `expiry` (default `defaultLifetimeMs` from now),
   * creating or replacing it, also where it was destroyed: for programs that manage sessions.
   * Frameworks' writes go through {@link save}, which never brings a destroyed session back.
   */
  async set(id: string, data: Data, expiry?: SessionExpiry | null): Promise<void> {
    await this.#write(id, data, expiry, false);
  }

  /**
   * Stores `data` as session `id`, as a framework does at the end of a request, unless it was
   * destroyed since: then nothing is written (`missing`; `CONFLICT` with a locking option). Data
   * unchanged since this repository last read or wrote it only has its expiry refreshed.
   */
  save(id: string, data: Data, expiry?: SessionExpiry | null): Promise<SaveOutcome> {
    return this.#save(id, data, expiry, undefined);
  }

  /**
   * Moves the expiry of session `id` to `expiry` when the stored one lags by more than the
   * refresh window (`touchAfterMs`, capped to a quarter of the lifetime); never recreates it.
   */
  refresh(id: string, expiry?: SessionExpiry | null): Promise<RefreshOutcome> {
    return this.#refresh(id, expiry, undefined);
  }

  /**
   * Moves the expiry of session `id` to `expiry` without rewriting its data. Resolves `false`,
   * and writes nothing, when there is no live session (missing, expired, destroyed, or an item
   * without data). A session in the last second of its TTL counts as expired.
   */
  async touch(id: string, expiry?: SessionExpiry | null): Promise<boolean> {
    if (sessionIdProblem(this.options.prefix, id) !== undefined) return false;
    return this.#touch(id, expiry, undefined);
  }

  /**
   * Destroys session `id`, whether or not it exists. It leaves a tombstone (the key and an
   * expiry, no data) for {@link DESTROYED_SESSION_KEPT_MS}: a request that loaded the session
   * earlier cannot bring it back with `save` or `touch`, in any process.
   */
  async destroy(id: string): Promise<void> {
    if (sessionIdProblem(this.options.prefix, id) !== undefined) return;
    this.#recent.markGone(id);
    const key = this.#codec.key(id);
    await this.#driver.put(this.#codec.tombstone(key, this.#now() + DESTROYED_SESSION_KEPT_MS));
    const legacy = this.#codec.legacyKey(id);
    if (legacy) await this.#driver.delete(legacy);
    this.#log.write('destroy', () => ({ session: loggedSessionId(id) }));
  }

  /**
   * With `pessimisticLocking`: waits (at most `waitMs`) until no other request holds session
   * `id`, locks it for `leaseMs` and returns the hold: the data read and what the holder may do.
   * A missing session is not locked (`data: null`; its `save` creates it).
   */
  async lock(id: string): Promise<SessionLock<Data>> {
    const locking = this.options.pessimisticLocking;
    if (!locking || !this.#queue) {
      throw new SessionStoreError('INVALID_OPTIONS', 'lock() needs the pessimisticLocking option');
    }
    if (sessionIdProblem(this.options.prefix, id) !== undefined) {
      return new HeldSession<Data>(id, null, undefined, undefined, this.#locked);
    }
    const turn = await this.#queue.enter(id, locking.waitMs, loggedSessionId(id));
    try {
      return await this.#acquire(id, turn, Date.now() + locking.waitMs);
    } catch (error) {
      turn.leave();
      throw error;
    }
  }

  /** The ids of the live sessions of this prefix; `UNSUPPORTED` with `hashSessionIds`. */
  ids(options?: BulkOptions): AsyncGenerator<string> {
    return this.#bulk.ids(options);
  }

  /** The stored keys of the live sessions of this prefix (hashes with `hashSessionIds`). */
  keys(options?: BulkOptions): AsyncGenerator<StoredSessionKey> {
    return this.#bulk.keys(options);
  }

  /** The live sessions of this prefix as `{ id, key, data }` (constant memory). */
  all(options?: BulkOptions): AsyncGenerator<SessionEntry<Data>> {
    return this.#bulk.all((item) => this.parseItem(item) as SessionData | null, options) as AsyncGenerator<SessionEntry<Data>>;
  }

  /** How many live sessions this prefix holds. */
  length(options?: BulkOptions): Promise<number> {
    return this.#bulk.length(options);
  }

  /** Deletes every item of this prefix (expired ones included); other prefixes stay. */
  clear(options?: BulkOptions): Promise<number> {
    this.#recent.markAllGone();
    return this.#bulk.clear(options);
  }

  /** The ids of the live sessions whose index attribute `name` equals `value` (through its GSI). */
  idsByAttribute(name: string, value: string | number, options?: BulkOptions): AsyncGenerator<string> {
    return this.#bulk.idsByAttribute(name, value, options);
  }

  /** Destroys every session whose index attribute `name` equals `value` ("log out everywhere"). */
  destroyByAttribute(name: string, value: string | number, options?: BulkOptions): Promise<number> {
    this.#recent.markAllGone();
    return this.#bulk.destroyByAttribute(name, value, options);
  }

  /** Destroys the session stored under `key`, as {@link keys} yields it. */
  destroyKey(key: StoredSessionKey): Promise<void> {
    this.#recent.markAllGone();
    return this.#bulk.destroyKey(key);
  }

  /**
   * Deletes the expired sessions of this prefix that DynamoDB's TTL has not removed yet, each
   * delete conditional on the item still being expired. On abort it resolves with
   * `interrupted: true` once the batches already sent have finished.
   */
  async reap(options?: ReapOptions): Promise<ReapResult> {
    const result = await this.#bulk.reap(options);
    this.#log.write('reap', () => ({ ...result }));
    return result;
  }

  /**
   * Runs {@link reap} every `intervalMs` on a timer that does not keep the process alive, one run
   * at a time; failures go to the `onError` listeners. Returns a function that stops it.
   */
  scheduleReap(intervalMs: number, options?: Omit<ReapOptions, 'signal'>): () => void {
    if (!Number.isFinite(intervalMs) || intervalMs <= 0 || intervalMs > MAX_TIMER_MS) {
      throw new SessionStoreError(
        'INVALID_OPTIONS',
        `the reap interval must be a positive number of milliseconds up to ${MAX_TIMER_MS}`,
      );
    }
    const controller = new AbortController();
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      this.reap({ ...options, signal: controller.signal })
        .catch((error: unknown) => this.report(toSessionStoreError(error, 'reap')))
        .finally(() => {
          running = false;
        });
    }, intervalMs);
    timer.unref();
    return () => {
      clearInterval(timer);
      controller.abort();
    };
  }

  /** Creates the table for this configuration, waits until ACTIVE and enables TTL. */
  createTable(options?: CreateTableOptions): Promise<CreateTableResult> {
    return createSessionTable(this.#tableConfig(), options);
  }

  /** The table's status (e.g. `ACTIVE`), or `null` when it does not exist. One DescribeTable. */
  async tableStatus(): Promise<string | null> {
    try {
      const output = await this.#caller().send<{ Table?: { TableStatus?: string } }>(
        'DescribeTable',
        new DescribeTableCommand({ TableName: this.options.table }),
      );
      return output.Table?.TableStatus ?? 'UNKNOWN';
    } catch (error) {
      if (isSessionStoreError(error, 'TABLE_NOT_FOUND')) return null;
      throw error;
    }
  }

  /** Describes the table and lists where it differs from this configuration. */
  describeTable(): Promise<SessionTableDescription> {
    return describeSessionTable(this.#tableConfig());
  }

  /**
   * Reads a stored item: the session data, or `null` when the item is expired, has no data or is
   * unreadable (an unreadable item is reported to the `onError` listeners as `CORRUPT_SESSION`).
   */
  parseItem(item: SessionItem, now: number = this.#now()): Data | null {
    const { data, problem } = this.#codec.parse(item, now);
    if (problem) this.report(problem);
    return data as Data | null;
  }

  /** The item `set` would write for session `id`; throws when it is invalid or too large. */
  toItem(id: string, data: Data, expiry?: SessionExpiry | null): SessionItem {
    return this.#codec.toItem(id, data, this.#expiresAt(expiry));
  }

  /** Hands `error` to the `onError` listeners (for problems handled without failing a request). */
  report(error: SessionStoreError): void {
    this.#log.write('error', () => ({ code: error.code, message: error.message }));
    for (const listener of this.#errorListeners) {
      try {
        listener(error);
      } catch {
        // a failing listener must not break the call that reported
      }
    }
  }

  /** Counters of the requests sent, errors by code and capacity consumed, since construction. */
  metrics(): StoreMetricsSnapshot {
    return this.#metrics.snapshot();
  }

  /**
   * Registers a listener for every error: failed DynamoDB calls (which also reject) and
   * problems handled without failing a call. Returns an unsubscribe function.
   */
  onError(listener: SessionErrorListener): () => void {
    this.#errorListeners.add(listener);
    return () => this.#errorListeners.delete(listener);
  }

  /** Releases the client if the repository built it; a client passed in is left alone. */
  close(): void {
    if (this.#ownsClient) this.client.destroy();
  }

  async #save(
    id: string,
    data: Data,
    expiry: SessionExpiry | null | undefined,
    token: string | undefined,
  ): Promise<SaveOutcome> {
    const fingerprint = this.#fingerprint(data);
    const unchanged = fingerprint !== undefined && this.#recent.recall(id)?.fingerprint === fingerprint;
    const outcome: SaveOutcome = unchanged
      ? await this.#refresh(id, expiry, token)
      : (await this.#write(id, data, expiry, true, token, fingerprint))
        ? 'written'
        : 'missing';
    this.#log.write('save', () => ({ session: loggedSessionId(id), unchanged, outcome }));
    return outcome;
  }

  /** Writes the item; `false` when `onlyLive` and the session was destroyed meanwhile. */
  async #write(
    id: string,
    data: Data,
    expiry: SessionExpiry | null | undefined,
    onlyLive: boolean,
    token?: string,
    fingerprint = this.#fingerprint(data),
  ): Promise<boolean> {
    const problem = sessionIdProblem(this.options.prefix, id);
    if (problem !== undefined) throw new SessionStoreError('INVALID_SESSION_ID', problem);
    let item: Item;
    try {
      item = this.#codec.toItem(id, data, this.#expiresAt(expiry));
    } catch (error) {
      if (token !== undefined) await this.#releaseLock(id, token).catch(() => {});
      throw error;
    }
    const { hashKey, dataAttribute, expiresAttribute } = this.options;
    const now = this.#now();
    const condition = and(
      this.#versionCondition(data),
      token === undefined ? this.#unlocked(now) : this.#heldBy(token),
      onlyLive && token === undefined
        ? or(missing(hashKey), exists(dataAttribute), expiredBy(expiresAttribute, now))
        : undefined,
    );
    if (!(await this.#driver.put(item, condition))) {
      this.#recent.forget(id);
      if (this.options.optimisticLocking || this.options.pessimisticLocking) {
        throw conflictError(loggedSessionId(id), this.options.pessimisticLocking !== undefined);
      }
      return false;
    }
    if (this.options.optimisticLocking) {
      (data as SessionData)[this.options.versionField] = Number(
        item[this.options.versionAttribute]?.N,
      );
    }
    const legacy = this.#codec.legacyKey(id);
    if (legacy) await this.#driver.delete(legacy);
    this.#recent.rememberData(id, fingerprint, this.#codec.ttlOf(item));
    return true;
  }

  async #refresh(
    id: string,
    expiry: SessionExpiry | null | undefined,
    token: string | undefined,
  ): Promise<RefreshOutcome> {
    const now = this.#now();
    const expiresAt = sessionExpiryMs(expiry, this.options.defaultLifetimeMs, now);
    let outcome: RefreshOutcome = 'skipped';
    if (refreshCanWait(this.#recent.recall(id), expiresAt, now, this.options.touchAfterMs)) {
      if (token !== undefined) await this.#releaseLock(id, token);
    } else {
      outcome = (await this.#touch(id, expiresAt, token)) ? 'refreshed' : 'missing';
    }
    this.#log.write('refresh', () => ({ session: loggedSessionId(id), outcome }));
    return outcome;
  }

  async #touch(
    id: string,
    expiry: SessionExpiry | null | undefined,
    token: string | undefined,
  ): Promise<boolean> {
    const now = this.#now();
    const ttl = toTtlSeconds(this.#expiresAt(expiry));
    const { expiresAttribute, dataAttribute } = this.options;
    const locking = this.options.pessimisticLocking;
    const change = {
      set: { [expiresAttribute]: { N: String(ttl) } },
      remove: token === undefined || !locking ? [] : [locking.ownerAttribute, locking.leaseAttribute],
    };
    const live = (key: Item) =>
      this.#driver.update(
        key,
        change,
        and(
          exists(dataAttribute),
          or(missing(expiresAttribute), compare(expiresAttribute, '>', { N: String(now / 1000 + 1) })),
          token === undefined ? this.#unlocked(now) : this.#heldBy(token),
        ),
      );
    const legacy = this.#codec.legacyKey(id);
    const touched = (await live(this.#codec.key(id))) ?? (legacy && (await live(legacy)));
    if (!touched) {
      this.#recent.markGone(id);
      return false;
    }
    const recent = this.#recent.recall(id);
    if (recent) this.#recent.remember(id, { ...recent, ttlSeconds: ttl });
    return true;
  }

  async #acquire(id: string, turn: LockTurn, deadline: number): Promise<SessionLock<Data>> {
    const locking = this.options.pessimisticLocking as NonNullable<typeof this.options.pessimisticLocking>;
    const { dataAttribute, expiresAttribute } = this.options;
    const key = this.#codec.key(id);
    const token = randomUUID();
    const unlocked = (data: Data | null) => {
      turn.leave();
      return new HeldSession<Data>(id, data, undefined, undefined, this.#locked);
    };
    for (let attempt = 0; ; attempt++) {
      const now = this.#now();
      const locked = await this.#driver.update(
        key,
        { set: { [locking.ownerAttribute]: { S: token }, [locking.leaseAttribute]: { N: String(now + locking.leaseMs) } } },
        and(exists(dataAttribute), or(missing(expiresAttribute), compare(expiresAttribute, '>', { N: String(now / 1000) })), this.#unlocked(now)),
      );
      if (locked) {
        const data = this.#read(id, locked);
        if (data === null) {
          await this.#releaseLock(id, token);
          return unlocked(null);
        }
        turn.startLease(locking.leaseMs);
        return new HeldSession<Data>(id, data, token, turn, this.#locked);
      }
      const stored = await this.#driver.get(key);
      if (!stored || this.#codec.parse(stored, now).data === null) {
        const legacy = this.#codec.legacyKey(id);
        return unlocked(legacy ? this.#read(id, await this.#driver.get(legacy)) : null);
      }
      if (Date.now() >= deadline) throw lockTimeoutError(loggedSessionId(id), locking.waitMs);
      const delay = Math.min(200, 20 * 2 ** attempt);
      await new Promise((resolve) => setTimeout(resolve, delay / 2 + Math.random() * (delay / 2)));
    }
  }

  async #releaseLock(id: string, token: string): Promise<void> {
    const locking = this.options.pessimisticLocking;
    if (!locking) return;
    await this.#driver.update(
      this.#codec.key(id),
      { remove: [locking.ownerAttribute, locking.leaseAttribute] },
      this.#heldBy(token),
    );
  }

  #read(id: string, item: Item | undefined): Data | null {
    if (!item) {
      this.#recent.markGone(id);
      return null;
    }
    const data = this.parseItem(item);
    if (data === null) this.#recent.markGone(id);
    else if (this.#recent.enabled) {
      this.#recent.rememberData(id, this.#fingerprint(data), this.#codec.ttlOf(item));
    }
    return data;
  }

  #fingerprint(data: Data): string | undefined {
    return this.#recent.enabled ? fingerprintSession(data as SessionData, this.#serializer) : undefined;
  }

  #expiresAt(expiry: SessionExpiry | null | undefined): number {
    return sessionExpiryMs(expiry, this.options.defaultLifetimeMs, this.#now());
  }

  /** With pessimisticLocking: nobody else holds a live lease on the item. */
  #unlocked(now: number) {
    const locking = this.options.pessimisticLocking;
    if (!locking) return undefined;
    return or(missing(locking.ownerAttribute), compare(locking.leaseAttribute, '<', { N: String(now) }));
  }

  #heldBy(token: string) {
    const locking = this.options.pessimisticLocking;
    return locking && compare(locking.ownerAttribute, '=', { S: token });
  }

  #versionCondition(data: Data) {
    const { optimisticLocking, versionField, versionAttribute, hashKey } = this.options;
    if (!optimisticLocking) return undefined;
    const read = (data as SessionData)[versionField];
    if (typeof read !== 'number') return missing(hashKey);
    if (read === 0) return and(exists(hashKey), missing(versionAttribute));
    return compare(versionAttribute, '=', { N: String(read) });
  }

  #caller(): DynamoDBCaller {
    return new DynamoDBCaller({
      client: this.client,
      table: this.options.table,
      requestTimeoutMs: this.options.requestTimeoutMs,
      metrics: this.#metrics,
      log: this.#log,
      report: (error) => this.report(error),
    });
  }

  #dynamoDBDriver(): StorageDriver {
    const { table, hashKey, expiresAttribute, consistentRead, returnConsumedCapacity } = this.options;
    return new DynamoDBDriver(
      { client: this.client, table, hashKey, expiresAttribute, consistentRead, returnConsumedCapacity },
      this.#caller(),
    );
  }

  #tableConfig() {
    const { table, hashKey, expiresAttribute, indexAttributes } = this.options;
    return { client: this.client, table, hashKey, expiresAttribute, indexAttributes };
  }
}

/** The TTL attribute says the item expired by `now` (epoch ms). */
function expiredBy(expiresAttribute: string, now: number) {
  return compare(expiresAttribute, '<=', { N: String(Math.floor(now / 1000)) });
}
