import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { BulkOptions } from './bulk-options';
import type { Item } from './conditions';
import { DynamoDBStorage } from './dynamodb-storage';
import { SessionStoreError, toSessionStoreError } from './errors';
import { ItemCodec, type ParsedItem } from './item-codec';
import {
  MAX_TIMER_MS,
  parseSessionRepositoryOptions,
  type ResolvedSessionRepositoryOptions,
  type SessionRepositoryOptions,
} from './options';
import { RecentSessions } from './recent-sessions';
import {
  type ReapOptions,
  type ReapResult,
  SessionBulk,
  type SessionEntry,
  type StoredSessionKey,
} from './session-bulk';
import type { SessionData } from './session-data';
import { DiagnosticLog } from './session-logger';
import type {
  CreateTableOptions,
  CreateTableResult,
  SessionTableDescription,
} from './session-table';
import type { StorageDriver } from './storage-driver';
import { StoreMetrics, type StoreMetricsSnapshot } from './store-metrics';

/** A DynamoDB item as the SDK returns it. */
export type SessionItem = Item;

/** Called with every problem the repository handles without failing the call (corrupt items). */
export type SessionErrorListener = (error: SessionStoreError) => void;

/** Where a repository keeps its items, for a repository over another driver (the memory one). */
export interface RepositoryStorage {
  driver: (metrics: StoreMetrics) => StorageDriver;
  /** The clock, in epoch milliseconds. Default `Date.now()`. */
  now?: () => number;
}

/**
 * What every repository has besides the session operations of {@link SessionRepository}: the
 * validated options, the storage driver and the item codec, the operations on all the sessions
 * of the prefix, table management, metrics and error reporting.
 */
export abstract class RepositoryBase<Data extends object> {
  /** The validated options, defaults applied. */
  readonly options: Readonly<ResolvedSessionRepositoryOptions>;
  protected readonly driver: StorageDriver;
  protected readonly codec: ItemCodec;
  protected readonly recent: RecentSessions;
  protected readonly log: DiagnosticLog;
  protected readonly now: () => number;
  protected readonly bulk: SessionBulk;
  readonly #metrics = new StoreMetrics();
  #dynamoDB: DynamoDBStorage | undefined;
  readonly #errorListeners = new Set<SessionErrorListener>();

  constructor(
    options: SessionRepositoryOptions | undefined,
    storage: RepositoryStorage | undefined,
  ) {
    this.options = parseSessionRepositoryOptions(options);
    this.log = new DiagnosticLog(this.options.logger);
    this.now = storage?.now ?? (() => Date.now());
    this.driver = storage ? storage.driver(this.#metrics) : this.dynamoDB.driver();
    this.codec = new ItemCodec(this.options);
    this.recent = new RecentSessions(this.options.trackedSessions);
    this.bulk = new SessionBulk(this.driver, this.codec, this.options, this.now);
  }

  /**
   * The DynamoDB client in use: the caller's, or one the repository built (a repository over
   * another driver builds it only when asked).
   */
  get client(): DynamoDBClient {
    return this.dynamoDB.client;
  }

  /** The repository's DynamoDB side (client, caller, driver, table management), built once. */
  protected get dynamoDB(): DynamoDBStorage {
    const context = { metrics: this.#metrics, log: this.log, report: this.report.bind(this) };
    this.#dynamoDB ??= new DynamoDBStorage(this.options, context);
    return this.#dynamoDB;
  }

  /** The ids of the live sessions of this prefix; `UNSUPPORTED` with `hashSessionIds`. */
  ids(options?: BulkOptions): AsyncGenerator<string> {
    return this.bulk.ids(options);
  }

  /** The stored keys of the live sessions of this prefix (hashes with `hashSessionIds`). */
  keys(options?: BulkOptions): AsyncGenerator<StoredSessionKey> {
    return this.bulk.keys(options);
  }

  /** The live sessions of this prefix as `{ id, key, data }` (constant memory). */
  all(options?: BulkOptions): AsyncGenerator<SessionEntry<Data>> {
    const parse = (item: Item) => this.parseItem(item) as SessionData | null;
    return this.bulk.all(parse, options) as AsyncGenerator<SessionEntry<Data>>;
  }

  /** How many live sessions this prefix holds. */
  length(options?: BulkOptions): Promise<number> {
    return this.bulk.length(options);
  }

  /** Deletes every item of this prefix (expired ones included); other prefixes stay. */
  clear(options?: BulkOptions): Promise<number> {
    this.recent.markAllGone();
    return this.bulk.clear(options);
  }

  /** The ids of the live sessions whose index attribute `name` is `value` (through its GSI). */
  idsByAttribute(name: string, value: string | number, options?: BulkOptions) {
    return this.bulk.idsByAttribute(name, value, options);
  }

  /** Destroys every session whose index attribute `name` is `value` ("log out everywhere"). */
  destroyByAttribute(name: string, value: string | number, options?: BulkOptions) {
    this.recent.markAllGone();
    return this.bulk.destroyByAttribute(name, value, options);
  }

  /** Destroys the session stored under `key`, as {@link keys} yields it. */
  destroyKey(key: StoredSessionKey): Promise<void> {
    this.recent.markAllGone();
    return this.bulk.destroyKey(key);
  }

  /**
   * Deletes the expired sessions of this prefix that DynamoDB's TTL has not removed yet, each
   * delete conditional on the item still being expired. On abort it resolves with
   * `interrupted: true` once the batches already sent have finished.
   */
  async reap(options?: ReapOptions): Promise<ReapResult> {
    const result = await this.bulk.reap(options);
    this.log.write('reap', () => ({ ...result }));
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

  /** Creates the table for this configuration, waits until ACTIVE and enables TTL (DynamoDB). */
  createTable(options?: CreateTableOptions): Promise<CreateTableResult> {
    return this.dynamoDB.createTable(options);
  }

  /** The table's status (e.g. `ACTIVE`), or `null` when it does not exist. One DescribeTable. */
  tableStatus(): Promise<string | null> {
    return this.dynamoDB.tableStatus();
  }

  /** Describes the table and lists where it differs from this configuration. */
  describeTable(): Promise<SessionTableDescription> {
    return this.dynamoDB.describeTable();
  }

  /**
   * Reads a stored item: the session data, or `null` when the item is expired, a tombstone or
   * unreadable (an unreadable one is reported to the `onError` listeners as `CORRUPT_SESSION`).
   */
  parseItem(item: SessionItem, now: number = this.now()): Data | null {
    return this.parseStored(item, now).data as Data | null;
  }

  /** {@link parseItem}, with the plain form and stored expiry fields of the data it finds. */
  protected parseStored(item: SessionItem, now: number): ParsedItem {
    const parsed = this.codec.parse(item, now);
    if (parsed.problem) this.report(parsed.problem);
    return parsed;
  }

  /** Hands `error` to the `onError` listeners (for problems handled without failing a request). */
  report(error: SessionStoreError): void {
    this.log.write('error', () => ({ code: error.code, message: error.message }));
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

  /** Registers a listener for every error (also those handled without failing a call). */
  onError(listener: SessionErrorListener): () => void {
    this.#errorListeners.add(listener);
    return () => this.#errorListeners.delete(listener);
  }

  /** Releases the client if the repository built it; a client passed in is left alone. */
  close(): void {
    if (this.#dynamoDB?.ownsClient) this.#dynamoDB.client.destroy();
  }
}
