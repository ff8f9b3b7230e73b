import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BATCH_SIZE } from '../batch-delete';
import { conflictError, SessionStoreError } from '../errors';
import { type SessionExpiry, sessionExpiryMs, toTtlSeconds } from '../expiry';
import { indexedAttribute } from '../index-attributes';
import type { LockHold, LockOwners } from '../lock-holders';
import {
  parseSessionRepositoryOptions,
  type ResolvedSessionRepositoryOptions,
  type SessionRepositoryOptions,
} from '../options';
import { fingerprintSession, RecentSessions, refreshCanWait } from '../recent-sessions';
import { isSessionData, type SessionData } from '../session-data';
import { fromSessionKey, hashSessionId, sessionIdProblem, toSessionKey } from '../session-key';
import { noReapProgress, type ReapOptions, type ReapResult } from '../session-reaper';
import {
  type RefreshOutcome,
  type SaveOutcome,
  type SessionErrorListener,
  type SessionItem,
  SessionRepository,
} from '../session-repository';
import type { SessionCallOptions, SessionRepositoryLike } from '../session-repository-like';
import { StoreMetrics, type StoreMetricsSnapshot } from '../store-metrics';
import type { BulkOptions } from '../table-context';
import { throwIfAborted } from '../table-scan';
import { MemorySessionLocks } from './memory-session-locks';
import { MemorySessionStorage } from './memory-session-storage';

/** Options of a {@link MemorySessionRepository}: the DynamoDB repository's, and a clock. */
export interface MemorySessionRepositoryOptions extends SessionRepositoryOptions {
  /**
   * The clock, in epoch milliseconds, read on every call: move it to test expiry without
   * sleeping. Default `Date.now()`, read each time, so fake timers move it too.
   */
  now?: () => number;
  /**
   * Where the sessions live. Share one between repositories with different prefixes, as stores
   * share a table. Default: a new, empty storage.
   */
  storage?: MemorySessionStorage;
}

/**
 * Sessions in memory, with the behaviour of {@link SessionRepository} (the same contract suite
 * proves it), for an app's own tests: no DynamoDB, no network, and a clock of your own.
 *
 * Options are validated by the same schema: those about the connection (`client`, `region`,
 * `endpoint`, `requestTimeoutMs`...) are accepted and unused, those that change what is stored
 * (`serializer`, `compression`, `encryption`, `indexAttributes`, `hashSessionIds`...) apply. Items are encoded and read back by the core's
 * own code, so data makes the JSON round trip DynamoDB would give it (Dates come back as ISO
 * strings), expiry follows the TTL attribute and `cookie.expires` / `_expire` to the millisecond,
 * malformed ids read as missing and are refused on write (`INVALID_SESSION_ID`), and oversized
 * sessions fail with `SESSION_TOO_LARGE`. `metrics()` counts the DynamoDB requests the real
 * repository would send for the same calls.
 */
export class MemorySessionRepository<Data extends object = SessionData>
  implements SessionRepositoryLike<Data>
{
  /** The validated options, defaults applied. */
  readonly options: Readonly<ResolvedSessionRepositoryOptions>;
  /** The items, in DynamoDB's layout; pass it to another repository to share it. */
  readonly storage: MemorySessionStorage;
  readonly #now: () => number;
  readonly #codec: SessionRepository<Data>;
  readonly #recent: RecentSessions;
  readonly #errorListeners = new Set<SessionErrorListener>();
  readonly #metrics = new StoreMetrics();
  readonly #locks: MemorySessionLocks | undefined;

  constructor(options: MemorySessionRepositoryOptions = {}) {
    const { now, storage, ...repositoryOptions } = options;
    this.options = parseSessionRepositoryOptions(repositoryOptions);
    if (now !== undefined && typeof now !== 'function') {
      throw new SessionStoreError('INVALID_OPTIONS', 'option "now" must be a function');
    }
    if (storage !== undefined && !(storage instanceof MemorySessionStorage)) {
      throw new SessionStoreError(
        'INVALID_OPTIONS',
        'option "storage" must be a MemorySessionStorage',
      );
    }
    this.#now = now ?? (() => Date.now());
    this.storage = storage ?? new MemorySessionStorage();
    const { client, clientConfig, region, endpoint, ...layout } = repositoryOptions;
    this.#codec = new SessionRepository<Data>({ ...layout, client: OFFLINE_CLIENT });
    this.#codec.onError((error) => this.#report(error));
    this.#recent = new RecentSessions(this.options.trackedSessions);
    const { pessimisticLocking } = this.options;
    this.#locks = pessimisticLocking
      ? new MemorySessionLocks(this.storage, pessimisticLocking, this.#now, this.#metrics)
      : undefined;
  }

  /**
   * The session `id`, or `null` when it is missing, expired, unreadable or `id` is malformed.
   * With `pessimisticLocking`, the lock it takes is bound to `options.lockOwner` and to the
   * returned data object.
   */
  async get(id: string, options?: SessionCallOptions): Promise<Data | null> {
    if (sessionIdProblem(this.options.prefix, id) !== undefined) return null;
    let item: SessionItem | undefined;
    let hold: LockHold | undefined;
    if (this.#locks) {
      ({ item, hold } = await this.#locks.lockAndRead(id, this.#key(id), [options?.lockOwner]));
    } else {
      this.#metrics.request('GetItem');
      item = this.storage.get(this.#key(id));
    }
    if (!item && this.options.readUnhashedIds) {
      this.#metrics.request('GetItem');
      item = this.storage.get(this.#legacyKey(id));
    }
    const data = item ? this.#codec.parseItem(item, this.#now()) : null;
    const ttl = Number(item?.[this.options.expiresAttribute]?.N);
    if (data === null) {
      this.#recent.markGone(id);
      await this.#release(id, [options?.lockOwner]);
    } else {
      this.#locks?.holders.bind(id, hold, [data]);
      if (Number.isFinite(ttl)) this.#recent.rememberData(id, data as SessionData, ttl);
    }
    return data;
  }

  /**
   * Stores `data` as session `id`, replacing what was there. `expiry` is when the session
   * expires; without one it lives for `defaultLifetimeMs`.
   */
  async set(
    id: string,
    data: Data,
    expiry?: SessionExpiry | null,
    options?: SessionCallOptions,
  ): Promise<void> {
    await this.#set(id, data, expiry, [options?.lockOwner, data]);
  }

  async #set(
    id: string,
    data: Data,
    expiry: SessionExpiry | null | undefined,
    owners: LockOwners,
  ): Promise<void> {
    const problem = sessionIdProblem(this.options.prefix, id);
    if (problem !== undefined) throw new SessionStoreError('INVALID_SESSION_ID', problem);
    let item: SessionItem;
    try {
      item = this.#codec.toItem(id, data, expiry ?? this.#now() + this.options.defaultLifetimeMs);
    } catch (error) {
      await this.#release(id, owners);
      throw error;
    }
    const key = item[this.options.hashKey]?.S as string;
    const hold = this.#locks?.holders.holdFor(id, owners);
    const token = hold?.token;
    this.#locks?.holders.leave(id, hold);
    this.#metrics.request('PutItem');
    const stored = this.storage.get(key);
    const locked = this.#locks !== undefined && !this.#locks.mayReplace(stored, token);
    if (locked || !this.#versionMatches(stored, data)) {
      this.#recent.forget(id);
      throw conflictError(id, this.#locks !== undefined);
    }
    this.storage.put(key, item);
    if (hold && isSessionData(data)) hold.written = fingerprintSession(data);
    if (this.options.optimisticLocking) {
      (data as SessionData)[this.options.versionField] = Number(
        item[this.options.versionAttribute]?.N,
      );
    }
    if (this.options.readUnhashedIds) this.#delete(this.#legacyKey(id));
    this.#recent.rememberData(
      id,
      data as SessionData,
      Number(item[this.options.expiresAttribute]?.N),
    );
  }

  /**
   * Stores `data` as session `id`, unless it is unchanged since this repository last read or
   * wrote it (expiry fields aside): then only the expiry is refreshed, as {@link refresh} does.
   */
  async save(
    id: string,
    data: Data,
    expiry?: SessionExpiry | null,
    options?: SessionCallOptions,
  ): Promise<SaveOutcome> {
    const owners = [options?.lockOwner, data];
    const holders = this.#locks?.holders;
    const wroteBefore =
      holders && ((fingerprint: string) => holders.wroteBefore(id, owners, fingerprint));
    if (this.#recent.unchanged(id, data, wroteBefore)) return this.#refresh(id, expiry, owners);
    await this.#set(id, data, expiry, owners);
    return 'written';
  }

  /**
   * Moves the expiry of session `id` to `expiry` when needed: skipped while the stored expiry
   * known to this repository lags by no more than `touchAfterMs`; otherwise a {@link touch}.
   */
  async refresh(
    id: string,
    expiry?: SessionExpiry | null,
    options?: SessionCallOptions,
  ): Promise<RefreshOutcome> {
    return this.#refresh(id, expiry, [options?.lockOwner]);
  }

  async #refresh(
    id: string,
    expiry: SessionExpiry | null | undefined,
    owners: LockOwners,
  ): Promise<RefreshOutcome> {
    const now = this.#now();
    const expiresAt = sessionExpiryMs(expiry, this.options.defaultLifetimeMs, now);
    const ended = this.#locks?.holders.holdFor(id, owners)?.ended === true;
    if (
      ended ||
      refreshCanWait(this.#recent.recall(id), expiresAt, now, this.options.touchAfterMs)
    ) {
      await this.#release(id, owners);
      return 'skipped';
    }
    const touched = await this.#touch(id, toTtlSeconds(expiresAt) * 1000, owners);
    return touched ? 'refreshed' : 'missing';
  }

  /**
   * Moves the expiry of session `id` to `expiry` without rewriting its data. Resolves `false`,
   * and writes nothing, when the session does not exist or is in the last second of its TTL.
   */
  async touch(
    id: string,
    expiry?: SessionExpiry | null,
    options?: SessionCallOptions,
  ): Promise<boolean> {
    return this.#touch(id, expiry, [options?.lockOwner]);
  }

  async #touch(
    id: string,
    expiry: SessionExpiry | null | undefined,
    owners: LockOwners,
  ): Promise<boolean> {
    if (sessionIdProblem(this.options.prefix, id) !== undefined) return false;
    const hold = this.#locks?.holders.holdFor(id, owners);
    const token = hold?.token;
    this.#locks?.holders.leave(id, hold);
    if (this.#touchKey(id, this.#key(id), expiry, token)) return true;
    return this.options.readUnhashedIds && this.#touchKey(id, this.#legacyKey(id), expiry, token);
  }

  /** Deletes session `id`, whether or not it exists; a later unchanged save does not revive it. */
  async destroy(id: string, options?: SessionCallOptions): Promise<void> {
    if (sessionIdProblem(this.options.prefix, id) !== undefined) return;
    this.#recent.markGone(id);
    this.#locks?.holders.leave(id, this.#locks.holders.holdFor(id, [options?.lockOwner]), true);
    this.#delete(this.#key(id));
    if (this.options.readUnhashedIds) this.#delete(this.#legacyKey(id));
  }

  /** With `pessimisticLocking`: releases the lock a `get` of session `id` took. */
  async release(id: string, options?: SessionCallOptions): Promise<void> {
    await this.#release(id, [options?.lockOwner]);
  }

  /** With `pessimisticLocking`: makes `to` stand for the same request as `from`. */
  shareLock(from: object, to: object): void {
    this.#locks?.holders.share(from, to);
  }

  async #release(id: string, owners: LockOwners): Promise<void> {
    const hold = this.#locks?.holders.holdFor(id, owners);
    const token = hold?.token;
    if (!this.#locks || token === undefined) return;
    this.#locks.holders.leave(id, hold);
    this.#locks.release(this.#key(id), token);
  }

  /** The ids of the live sessions of this prefix (expiry checked to the second, by the TTL). */
  async *ids(options: BulkOptions = {}): AsyncGenerator<string> {
    for (const { id } of this.#scan('live', options)) yield id;
  }

  /** The live sessions of this prefix as `{ id, data }`. */
  async *all(options: BulkOptions = {}): AsyncGenerator<{ id: string; data: Data }> {
    for (const { id, item } of this.#scan('live', options)) {
      const data = this.#codec.parseItem(item, this.#now());
      if (data !== null) yield { id, data };
    }
  }

  /** How many live sessions this prefix holds. */
  async length(options: BulkOptions = {}): Promise<number> {
    return this.#scan('live', options).length;
  }

  /** Deletes every session of this prefix (expired ones included); other prefixes stay. */
  async clear(options: BulkOptions = {}): Promise<number> {
    this.#recent.markAllGone();
    const found = this.#scan('any', options);
    for (const { key } of found) this.storage.delete(key);
    this.#countBatches('BatchWriteItem', found.length);
    return found.length;
  }

  /** Deletes the expired sessions of this prefix, as DynamoDB's TTL eventually would. */
  async reap(options: ReapOptions = {}): Promise<ReapResult> {
    const progress = noReapProgress();
    if (options.signal?.aborted) return { ...progress, interrupted: true };
    const expired = this.#scan('expired', options);
    progress.scanRequests = 1;
    progress.found = expired.length;
    options.onProgress?.({ ...progress });
    for (const { key } of expired) this.storage.delete(key);
    progress.deleted = expired.length;
    progress.deleteRequests = this.#countBatches('BatchExecuteStatement', expired.length);
    if (expired.length > 0) options.onProgress?.({ ...progress });
    return { ...progress, interrupted: false };
  }

  /**
   * The ids of the live sessions whose index attribute `name` equals `value` (it needs an
   * `indexAttributes` entry with an `index`, as with DynamoDB).
   */
  async *idsByAttribute(
    name: string,
    value: string | number,
    options: BulkOptions = {},
  ): AsyncGenerator<string> {
    const attribute = indexedAttribute(this.options.indexAttributes, name);
    this.#metrics.request('Query');
    for (const { id, item } of this.#scan('live', options, false)) {
      const stored = item[name];
      const matches =
        attribute.type === 'N'
          ? stored?.N !== undefined && Number(stored.N) === Number(value)
          : attribute.type === 'B'
            ? stored?.B !== undefined &&
              Buffer.from(stored.B).equals(Buffer.from(String(value), 'base64'))
            : stored?.S === String(value);
      if (matches) yield id;
    }
  }

  /** Destroys every session whose index attribute `name` equals `value` ("log out everywhere"). */
  async destroyByAttribute(
    name: string,
    value: string | number,
    options: BulkOptions = {},
  ): Promise<number> {
    const keys: string[] = [];
    for await (const id of this.idsByAttribute(name, value, options)) {
      this.#recent.markGone(id);
      keys.push(toSessionKey(this.options.prefix, id));
    }
    for (const key of keys) this.storage.delete(key);
    this.#countBatches('BatchWriteItem', keys.length);
    return keys.length;
  }

  /** Hands `error` to the `onError` listeners, as adapters do for problems they handle. */
  report(error: SessionStoreError): void {
    this.#report(error);
  }

  /**
   * Registers a listener for problems handled without failing a call (a corrupt item read as
   * missing, an adapter's report). Returns an unsubscribe function.
   */
  onError(listener: SessionErrorListener): () => void {
    this.#errorListeners.add(listener);
    return () => this.#errorListeners.delete(listener);
  }

  /**
   * The DynamoDB requests the DynamoDB repository would have sent for the calls so far, by
   * operation (`GetItem`, `PutItem`, `UpdateItem`, ...): assert that a request wrote nothing.
   */
  metrics(): StoreMetricsSnapshot {
    return this.#metrics.snapshot();
  }

  /** Does nothing: there is no client to release. The sessions stay in `storage`. */
  close(): void {}

  #touchKey(
    id: string,
    key: string,
    expiry: SessionExpiry | null | undefined,
    token: string | undefined,
  ): boolean {
    const now = this.#now();
    const expiresAt = sessionExpiryMs(expiry, this.options.defaultLifetimeMs, now);
    this.#metrics.request('UpdateItem');
    const item = this.storage.get(key);
    const ttl = item?.[this.options.expiresAttribute];
    const live = item !== undefined && (ttl === undefined || Number(ttl.N) > now / 1000 + 1);
    if (!live || (this.#locks && !this.#locks.mayWrite(item, token))) {
      this.#recent.markGone(id);
      return false;
    }
    const ttlSeconds = toTtlSeconds(expiresAt);
    const touched = { ...item, [this.options.expiresAttribute]: { N: String(ttlSeconds) } };
    this.storage.put(key, this.#locks ? this.#locks.unlocked(touched) : touched);
    const recent = this.#recent.recall(id);
    if (recent) this.#recent.remember(id, { ...recent, ttlSeconds });
    return true;
  }

  /**
   * The items of this prefix that a Scan with the DynamoDB repository's filter would return:
   * `live` (a data attribute, and no TTL or a TTL after now), `expired` (a TTL at or before the current second) or
   * `any`. Counted as one Scan request unless `count` is false.
   */
  #scan(
    filter: 'live' | 'expired' | 'any',
    options: BulkOptions,
    count = true,
  ): { id: string; key: string; item: SessionItem }[] {
    throwIfAborted(options.signal);
    if (count) this.#metrics.request('Scan');
    const nowSeconds = this.#now() / 1000;
    const found: { id: string; key: string; item: SessionItem }[] = [];
    for (const key of this.storage.keys()) {
      const id = fromSessionKey(this.options.prefix, key);
      const item = this.storage.get(key);
      if (id === undefined || item === undefined) continue;
      const ttl = item[this.options.expiresAttribute];
      const ttlSeconds = ttl?.N === undefined ? undefined : Number(ttl.N);
      const keep =
        filter === 'any' ||
        (filter === 'live'
          ? item[this.options.dataAttribute] !== undefined &&
            (ttl === undefined || (ttlSeconds as number) > nowSeconds)
          : ttlSeconds !== undefined && ttlSeconds <= Math.floor(nowSeconds));
      if (keep) found.push({ id, key, item });
    }
    return found;
  }

  #versionMatches(stored: SessionItem | undefined, data: Data): boolean {
    if (!this.options.optimisticLocking) return true;
    const read = (data as SessionData)[this.options.versionField];
    const version = stored?.[this.options.versionAttribute];
    if (typeof read !== 'number') return stored === undefined;
    if (read === 0) return stored !== undefined && version === undefined;
    return version?.N !== undefined && Number(version.N) === read;
  }

  #countBatches(operation: string, items: number): number {
    const batches = Math.ceil(items / BATCH_SIZE);
    for (let batch = 0; batch < batches; batch++) this.#metrics.request(operation);
    return batches;
  }

  #delete(key: string): void {
    this.#metrics.request('DeleteItem');
    this.storage.delete(key);
  }

  #key(id: string): string {
    const { prefix, hashSessionIds } = this.options;
    return toSessionKey(prefix, hashSessionIds ? hashSessionId(id) : id);
  }

  #legacyKey(id: string): string {
    return toSessionKey(this.options.prefix, id);
  }

  #report(error: SessionStoreError): void {
    for (const listener of this.#errorListeners) {
      try {
        listener(error);
      } catch {
        // a failing listener must not break the read that reported
      }
    }
  }
}

/** A {@link MemorySessionRepository}: `createMemoryRepository({ now: () => clock })`. */
export function createMemoryRepository<Data extends object = SessionData>(
  options?: MemorySessionRepositoryOptions,
): MemorySessionRepository<Data> {
  return new MemorySessionRepository<Data>(options);
}

/**
 * The client of the repository that encodes and reads items for the memory repository: it
 * only ever calls `toItem` and `parseItem`, which send nothing.
 */
const OFFLINE_CLIENT = {
  config: {},
  send: () => Promise.reject(new Error('the in-memory session repository sends no request')),
  destroy: () => {},
} as unknown as DynamoDBClient;
