import {
  type AttributeValue,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type PutItemCommandInput,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DataEnvelope } from './data-envelope';
import {
  conflictError,
  isConditionFailure,
  isSessionStoreError,
  SessionStoreError,
  toSessionStoreError,
} from './errors';
import {
  cookieOrExpireField,
  isExpired,
  type SessionDataExpiry,
  type SessionExpiry,
  sessionExpiryMs,
  toTtlSeconds,
} from './expiry';
import { FAIL_FAST_MAX_OPEN_MS, FailFast } from './fail-fast';
import { indexAttributeValues } from './index-attributes';
import { itemSize, MAX_ITEM_BYTES } from './item-size';
import type { LockHold, LockOwners } from './lock-holders';
import {
  MAX_TIMER_MS,
  parseSessionRepositoryOptions,
  type ResolvedSessionRepositoryOptions,
  type SessionRepositoryOptions,
} from './options';
import { fingerprintSession, RecentSessions, refreshCanWait } from './recent-sessions';
import { resolveSerializer, type SessionSerializer, serializeSession } from './serializers';
import { isSessionData, type SessionData } from './session-data';
import { fromSessionKey, hashSessionId, sessionIdProblem, toSessionKey } from './session-key';
import {
  allSessionKeys,
  countSessions,
  deleteSessionKeys,
  listSessionIds,
  listSessionItems,
  sessionIdsByAttribute,
} from './session-listing';
import { SessionLocks } from './session-lock';
import { DiagnosticLog, loggedSessionId } from './session-logger';
import { type ReapOptions, type ReapResult, reapExpiredSessions } from './session-reaper';
import type {
  RepositoryOrOptions,
  SessionCallOptions,
  SessionRepositoryLike,
} from './session-repository-like';
import {
  type CreateTableOptions,
  type CreateTableResult,
  createSessionTable,
  describeSessionTable,
  type SessionTableDescription,
} from './session-table';
import { StoreMetrics, type StoreMetricsSnapshot } from './store-metrics';
import type { BulkOptions, TableContext } from './table-context';

/** A DynamoDB item as the SDK returns it. */
export type SessionItem = Record<string, AttributeValue>;

/** Called with every problem the repository handles without failing the call (corrupt items). */
export type SessionErrorListener = (error: SessionStoreError) => void;

/** What {@link SessionRepository.save} did. */
export type SaveOutcome = 'written' | RefreshOutcome;

/**
 * What {@link SessionRepository.refresh} did: `refreshed` (the expiry was written), `skipped`
 * (the stored expiry was recent enough), or `missing` (no live session to refresh; nothing written).
 */
export type RefreshOutcome = 'refreshed' | 'skipped' | 'missing';

/**
 * Sessions in one DynamoDB table: a promise-based, framework-free repository.
 *
 * A missing, expired or unreadable session is `null`, never an error; every failure of
 * DynamoDB rejects with a {@link SessionStoreError}. The constructor validates the options and
 * makes no network call.
 */
export class SessionRepository<Data extends object = SessionData>
  implements SessionRepositoryLike<Data>
{
  /** The DynamoDB client in use (the caller's, or one the repository built). */
  readonly client: DynamoDBClient;
  /** The validated options, defaults applied. */
  readonly options: Readonly<ResolvedSessionRepositoryOptions>;
  readonly #ownsClient: boolean;
  readonly #serializer: SessionSerializer;
  readonly #dataExpiry: SessionDataExpiry;
  readonly #recent: RecentSessions;
  readonly #errorListeners = new Set<SessionErrorListener>();
  readonly #context: TableContext;
  readonly #envelope: DataEnvelope | undefined;
  readonly #metrics = new StoreMetrics();
  readonly #locks: SessionLocks | undefined;
  readonly #passSignal: boolean;
  readonly #capacity: { ReturnConsumedCapacity?: 'TOTAL' };
  readonly #log: DiagnosticLog;
  readonly #failFast: FailFast;

  constructor(options?: SessionRepositoryOptions) {
    this.options = parseSessionRepositoryOptions(options);
    const { client, clientConfig, region, endpoint } = this.options;
    this.#ownsClient = client === undefined;
    this.client =
      client ??
      new DynamoDBClient({
        cacheMiddleware: true,
        requestHandler: {
          requestTimeout: this.options.requestTimeoutMs,
          throwOnRequestTimeout: true,
        },
        ...clientConfig,
        ...(region && { region }),
        ...(endpoint && { endpoint }),
      });
    this.#passSignal =
      (this.client.config as { cacheMiddleware?: boolean }).cacheMiddleware !== true;
    this.#serializer = resolveSerializer(this.options.serializer);
    this.#dataExpiry = this.options.dataExpiry ?? cookieOrExpireField;
    this.#recent = new RecentSessions(this.options.trackedSessions);
    const { compression, encryption } = this.options;
    this.#envelope =
      compression || encryption ? new DataEnvelope(compression, encryption) : undefined;
    this.#capacity = this.options.returnConsumedCapacity ? { ReturnConsumedCapacity: 'TOTAL' } : {};
    this.#context = {
      client: this.client,
      options: this.options,
      call: (operation, send) => this.#call(operation, send),
    };
    const { pessimisticLocking } = this.options;
    this.#locks = pessimisticLocking
      ? new SessionLocks(this.#context, pessimisticLocking)
      : undefined;
    this.#log = new DiagnosticLog(this.options.logger);
    this.#failFast = new FailFast({
      openMs: Math.min(FAIL_FAST_MAX_OPEN_MS, this.options.requestTimeoutMs),
    });
    this.#log.write('repository created', () => ({
      table: this.options.table,
      prefix: this.options.prefix,
      ownsClient: this.#ownsClient,
      ...(endpoint && { endpoint }),
    }));
  }

  /**
   * The session `id`, or `null` when it is missing, expired, unreadable or `id` is malformed.
   * With `pessimisticLocking`, the lock it takes is bound to `options.lockOwner` and to the
   * returned data object.
   */
  async get(id: string, options?: SessionCallOptions): Promise<Data | null> {
    if (sessionIdProblem(this.options.prefix, id) !== undefined) return null;
    const command = new GetItemCommand({
      ...this.#capacity,
      TableName: this.options.table,
      Key: this.#key(id),
      ConsistentRead: this.options.consistentRead,
    });
    let output: { Item?: SessionItem };
    let hold: LockHold | undefined;
    if (this.#locks) {
      const locked = await this.#locks.lockAndRead(id, this.#key(id), [options?.lockOwner]);
      output = { Item: locked.item };
      hold = locked.hold;
    } else {
      output = await this.#call('GetItem', (options) => this.client.send(command, options));
    }
    if (!output.Item && this.options.readUnhashedIds) {
      const legacy = new GetItemCommand({ ...command.input, Key: this.#legacyKey(id) });
      output = await this.#call('GetItem', (options) => this.client.send(legacy, options));
    }
    const data = output.Item ? this.parseItem(output.Item) : null;
    const ttl = Number(output.Item?.[this.options.expiresAttribute]?.N);
    if (data === null) {
      this.#recent.markGone(id);
      await this.#release(id, [options?.lockOwner]);
    } else {
      this.#locks?.holders.bind(id, hold, [data]);
      if (Number.isFinite(ttl)) this.#recent.rememberData(id, data as SessionData, ttl);
    }
    this.#log.write('get', () => ({
      session: loggedSessionId(id),
      found: data !== null,
      ...(output.Item && data === null && { reason: 'expired or unreadable' }),
    }));
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
    this.#assertId(id);
    let item: SessionItem;
    try {
      item = this.toItem(id, data, expiry);
    } catch (error) {
      await this.#release(id, owners).catch(() => {});
      throw error;
    }
    const hold = this.#locks?.holders.holdFor(id, owners);
    const command = new PutItemCommand({
      ...this.#capacity,
      TableName: this.options.table,
      Item: item,
      ...this.#versionCondition(data),
      ...this.#lockCondition(hold),
    });
    try {
      await this.#call('PutItem', (options) => this.client.send(command, options));
    } catch (error) {
      const guarded = this.options.optimisticLocking || this.#locks;
      if (!guarded || !isConditionFailure(error)) throw error;
      this.#recent.forget(id);
      throw conflictError(id, this.#locks !== undefined, (error as SessionStoreError).cause);
    } finally {
      this.#locks?.holders.leave(id, hold);
    }
    if (hold && isSessionData(data)) hold.written = fingerprintSession(data);
    if (this.options.optimisticLocking) {
      (data as SessionData)[this.options.versionField] = Number(
        item[this.options.versionAttribute]?.N,
      );
    }
    if (this.options.readUnhashedIds) await this.#deleteKey(this.#legacyKey(id));
    this.#recent.rememberData(
      id,
      data as SessionData,
      Number(item[this.options.expiresAttribute]?.N),
    );
  }

  /**
   * Stores `data` as session `id`, unless it is unchanged since this repository last read or
   * wrote it (expiry fields aside): then only the expiry is refreshed, as {@link refresh}
   * does, and a session deleted meanwhile is not brought back.
   */
  async save(
    id: string,
    data: Data,
    expiry?: SessionExpiry | null,
    options?: SessionCallOptions,
  ): Promise<SaveOutcome> {
    const owners = [options?.lockOwner, data];
    const holders = this.#locks?.holders;
    const unchanged = this.#recent.unchanged(
      id,
      data,
      holders && ((fingerprint) => holders.wroteBefore(id, owners, fingerprint)),
    );
    let outcome: SaveOutcome = 'written';
    if (unchanged) outcome = await this.#refresh(id, expiry, owners);
    else await this.#set(id, data, expiry, owners);
    this.#log.write('save', () => ({ session: loggedSessionId(id), unchanged, outcome }));
    return outcome;
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
    const now = Date.now();
    const expiresAt = sessionExpiryMs(expiry, this.options.defaultLifetimeMs, now);
    const ended = this.#locks?.holders.holdFor(id, owners)?.ended === true;
    if (
      ended ||
      refreshCanWait(this.#recent.recall(id), expiresAt, now, this.options.touchAfterMs)
    ) {
      await this.#release(id, owners);
      this.#log.write('refresh', () => ({ session: loggedSessionId(id), outcome: 'skipped' }));
      return 'skipped';
    }
    const outcome = (await this.#touch(id, toTtlSeconds(expiresAt) * 1000, owners))
      ? 'refreshed'
      : 'missing';
    this.#log.write('refresh', () => ({ session: loggedSessionId(id), outcome }));
    return outcome;
  }

  /**
   * Moves the expiry of session `id` to `expiry` without rewriting its data. Resolves `false`,
   * and writes nothing, when the session does not exist or has expired. The condition cannot
   * see an expiry inside the data, so a session in the last second of its TTL is treated as
   * expired: touch never revives a session that `get` has reported gone.
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
    try {
      if (await this.#touchKey(id, this.#key(id), expiry, token)) return true;
      return (
        this.options.readUnhashedIds &&
        (await this.#touchKey(id, this.#legacyKey(id), expiry, token))
      );
    } finally {
      this.#locks?.holders.leave(id, hold);
    }
  }

  async #touchKey(
    id: string,
    key: SessionItem,
    expiry: SessionExpiry | null | undefined,
    token: string | undefined,
  ): Promise<boolean> {
    const now = Date.now();
    const holder = this.#locks?.holderCondition(token);
    const expiresAt = sessionExpiryMs(expiry, this.options.defaultLifetimeMs, now);
    const command = new UpdateItemCommand({
      ...this.#capacity,
      TableName: this.options.table,
      Key: key,
      UpdateExpression: `SET #expires = :expires${holder ? ' REMOVE #owner, #lease' : ''}`,
      ConditionExpression: `attribute_exists(#key) AND (attribute_not_exists(#expires) OR #expires > :cutoff)${holder ? ` AND ${holder.expression}` : ''}`,
      ExpressionAttributeNames: {
        '#key': this.options.hashKey,
        '#expires': this.options.expiresAttribute,
        ...holder?.names,
      },
      ExpressionAttributeValues: {
        ':expires': { N: String(toTtlSeconds(expiresAt)) },
        ':cutoff': { N: String(now / 1000 + 1) },
        ...holder?.values,
      },
    });
    try {
      await this.#call('UpdateItem', (options) => this.client.send(command, options));
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      this.#recent.markGone(id);
      return false;
    }
    const recent = this.#recent.recall(id);
    if (recent) this.#recent.remember(id, { ...recent, ttlSeconds: toTtlSeconds(expiresAt) });
    return true;
  }

  /**
   * Deletes session `id`. Resolves whether or not it existed. A request that loaded the session
   * earlier and saves it unchanged afterwards does not bring it back (`save` then only tries a
   * conditional refresh, which finds nothing).
   */
  async destroy(id: string, options?: SessionCallOptions): Promise<void> {
    if (sessionIdProblem(this.options.prefix, id) !== undefined) return;
    this.#recent.markGone(id);
    const hold = this.#locks?.holders.holdFor(id, [options?.lockOwner]);
    try {
      await this.#deleteKey(this.#key(id));
      if (this.options.readUnhashedIds) await this.#deleteKey(this.#legacyKey(id));
    } finally {
      this.#locks?.holders.leave(id, hold, true);
    }
    this.#log.write('destroy', () => ({ session: loggedSessionId(id) }));
  }

  async #deleteKey(key: SessionItem): Promise<void> {
    const command = new DeleteItemCommand({
      ...this.#capacity,
      TableName: this.options.table,
      Key: key,
    });
    await this.#call('DeleteItem', (options) => this.client.send(command, options));
  }

  /**
   * Deletes the expired sessions of this prefix that DynamoDB's TTL has not removed yet: a
   * parallel Scan of keys and expiries feeding batches of 25 deletes, each conditional on the
   * item still being expired, so a session renewed meanwhile survives. Bounded concurrency, an
   * optional rate limit, progress reports, and an abort signal (it then resolves with
   * `interrupted: true` once the batches already sent have finished).
   */
  async reap(options?: ReapOptions): Promise<ReapResult> {
    const result = await reapExpiredSessions(this.#context, options);
    this.#log.write('reap', () => ({ ...result }));
    return result;
  }

  /**
   * Runs {@link reap} every `intervalMs` on a timer that does not keep the process alive, one
   * run at a time. Failures go to the `onError` listeners. Returns a function that stops it.
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
        .catch((error: unknown) => this.#report(toSessionStoreError(error, 'reap')))
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

  /** The ids of the live sessions of this prefix (an async iterator; constant memory). */
  ids(options?: BulkOptions): AsyncGenerator<string> {
    return listSessionIds(this.#context, options);
  }

  /** The live sessions of this prefix as `{ id, data }` (an async iterator; constant memory). */
  async *all(options?: BulkOptions): AsyncGenerator<{ id: string; data: Data }> {
    for await (const { id, item } of listSessionItems(this.#context, options)) {
      const data = this.parseItem(item);
      if (data !== null) yield { id, data };
    }
  }

  /** How many live sessions this prefix holds. */
  length(options?: BulkOptions): Promise<number> {
    return countSessions(this.#context, options);
  }

  /** Deletes every session of this prefix (expired ones included); other prefixes stay. */
  async clear(options?: BulkOptions): Promise<number> {
    this.#recent.markAllGone();
    return deleteSessionKeys(this.#context, allSessionKeys(this.#context, options), options);
  }

  /**
   * The ids of the live sessions whose index attribute `name` equals `value` (for example the
   * sessions of one user), through the attribute's global secondary index.
   */
  idsByAttribute(
    name: string,
    value: string | number,
    options?: BulkOptions,
  ): AsyncGenerator<string> {
    return sessionIdsByAttribute(this.#context, name, value, options);
  }

  /** Destroys every session whose index attribute `name` equals `value` ("log out everywhere"). */
  async destroyByAttribute(
    name: string,
    value: string | number,
    options?: BulkOptions,
  ): Promise<number> {
    const { prefix } = this.options;
    const ids = sessionIdsByAttribute(this.#context, name, value, options);
    const recent = this.#recent;
    async function* keys() {
      for await (const id of ids) {
        recent.markGone(id);
        yield { S: toSessionKey(prefix, id) } as AttributeValue;
      }
    }
    return deleteSessionKeys(this.#context, keys(), options);
  }

  /** Creates the table for this configuration, waits until ACTIVE and enables TTL. */
  createTable(options?: CreateTableOptions): Promise<CreateTableResult> {
    return createSessionTable(this.#tableConfig(), options);
  }

  /**
   * The table's status (e.g. `ACTIVE`), or `null` when it does not exist. One DescribeTable
   * call: the cheapest existence check, needing only `dynamodb:DescribeTable`.
   */
  async tableStatus(): Promise<string | null> {
    const command = new DescribeTableCommand({ TableName: this.options.table });
    try {
      const output = await this.#call('DescribeTable', (options) =>
        this.client.send(command, options),
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
   * Reads a stored item: the session data, or `null` when the item is expired or unreadable
   * (an unreadable item is reported to the `onError` listeners with code `CORRUPT_SESSION`).
   */
  parseItem(item: SessionItem, now: number = Date.now()): Data | null {
    const { expiresAttribute, dataAttribute, hashKey } = this.options;
    const ttl = item[expiresAttribute]?.N;
    const ttlSeconds = ttl === undefined ? undefined : Number(ttl);
    if (ttlSeconds !== undefined && Number.isFinite(ttlSeconds) && ttlSeconds * 1000 <= now)
      return null;
    const stored = item[dataAttribute];
    if (!stored) {
      this.#report(
        new SessionStoreError(
          'CORRUPT_SESSION',
          `the item ${item[hashKey]?.S ?? '?'} has no data attribute "${dataAttribute}"`,
        ),
      );
      return null;
    }
    let data: SessionData;
    try {
      data =
        stored.B !== undefined && this.#envelope
          ? (JSON.parse(this.#envelope.open(stored.B, item[hashKey]?.S ?? '')) as SessionData)
          : this.#serializer.deserialize(stored);
      if (!isSessionData(data)) throw new TypeError('the session is not an object');
      if (this.options.optimisticLocking) {
        data[this.options.versionField] = Number(item[this.options.versionAttribute]?.N ?? 0);
      }
    } catch (error) {
      this.#report(
        new SessionStoreError(
          'CORRUPT_SESSION',
          `the item ${item[hashKey]?.S ?? '?'} holds no readable session: ${(error as Error).message}`,
          { cause: error },
        ),
      );
      return null;
    }
    const validTtl =
      ttlSeconds !== undefined && Number.isFinite(ttlSeconds) ? ttlSeconds : undefined;
    const dataExpiry = this.#dataExpiry.read(data);
    if (isExpired(validTtl, dataExpiry, now)) return null;
    if (
      validTtl !== undefined &&
      dataExpiry !== undefined &&
      dataExpiry <= validTtl * 1000 - 1000
    ) {
      this.#dataExpiry.write(data, validTtl * 1000);
    }
    return data as Data;
  }

  /** The item `set` would write for session `id`; throws when it is invalid or too large. */
  toItem(id: string, data: Data, expiry?: SessionExpiry | null): SessionItem {
    if (!isSessionData(data)) {
      throw new SessionStoreError('INVALID_SESSION_DATA', 'session data must be an object');
    }
    const { hashKey, expiresAttribute, dataAttribute, indexAttributes } = this.options;
    const { values, missing } = indexAttributeValues(data, indexAttributes);
    if (missing.length > 0) {
      throw new SessionStoreError(
        'MISSING_INDEX_ATTRIBUTE',
        `the session lacks the index attribute(s) ${missing.join(', ')}`,
      );
    }
    const itemKey = this.#itemKey(id);
    const item: SessionItem = {
      ...values,
      [hashKey]: { S: itemKey },
      [expiresAttribute]: {
        N: String(
          toTtlSeconds(sessionExpiryMs(expiry, this.options.defaultLifetimeMs, Date.now())),
        ),
      },
      [dataAttribute]: this.#encode(data, itemKey),
    };
    if (this.options.optimisticLocking) {
      const read = (data as SessionData)[this.options.versionField];
      item[this.options.versionAttribute] = {
        N: String((typeof read === 'number' ? read : 0) + 1),
      };
    }
    const size = itemSize(item);
    if (size > MAX_ITEM_BYTES) {
      throw new SessionStoreError(
        'SESSION_TOO_LARGE',
        `session ${id} is ${size} bytes as an item; DynamoDB's limit is ${MAX_ITEM_BYTES}`,
      );
    }
    return item;
  }

  /** The session id stored in a table key, or `undefined` when the key has another prefix. */
  idFromKey(key: string): string | undefined {
    return fromSessionKey(this.options.prefix, key);
  }

  /**
   * With `pessimisticLocking`: releases the lock a `get` of session `id` took, when the request
   * ends without writing the session (a write releases it by itself). Otherwise does nothing.
   */
  async release(id: string, options?: SessionCallOptions): Promise<void> {
    await this.#release(id, [options?.lockOwner]);
  }

  /**
   * With `pessimisticLocking`: makes `to` stand for the same request as `from`, an object a
   * read returned or a `lockOwner` (for a framework that copies the data it read into its own
   * session object). Otherwise does nothing.
   */
  shareLock(from: object, to: object): void {
    this.#locks?.holders.share(from, to);
  }

  async #release(id: string, owners: LockOwners): Promise<void> {
    const hold = this.#locks?.holders.holdFor(id, owners);
    if (!this.#locks || hold?.token === undefined) return;
    try {
      await this.#locks.release(this.#key(id), hold.token);
    } finally {
      this.#locks.holders.leave(id, hold);
    }
  }

  /**
   * Hands `error` to the `onError` listeners: for adapters that handle a problem without failing
   * the request (a session of the wrong shape for their framework, a failed expiry refresh).
   */
  report(error: SessionStoreError): void {
    this.#report(error);
  }

  /** Counters of the requests sent, errors by code and capacity consumed, since construction. */
  metrics(): StoreMetricsSnapshot {
    return this.#metrics.snapshot();
  }

  /**
   * Registers a listener for every error: failed DynamoDB calls (which also reject) and
   * problems handled without failing a call (a corrupt item read as missing, a failed
   * scheduled reap). Returns an unsubscribe function.
   */
  onError(listener: SessionErrorListener): () => void {
    this.#errorListeners.add(listener);
    return () => this.#errorListeners.delete(listener);
  }

  /** Releases the client if the repository built it; a client passed in is left alone. */
  close(): void {
    if (this.#ownsClient) this.client.destroy();
  }

  #key(id: string): SessionItem {
    return { [this.options.hashKey]: { S: this.#itemKey(id) } };
  }

  #itemKey(id: string): string {
    const { prefix, hashSessionIds } = this.options;
    return toSessionKey(prefix, hashSessionIds ? hashSessionId(id) : id);
  }

  #legacyKey(id: string): SessionItem {
    return { [this.options.hashKey]: { S: toSessionKey(this.options.prefix, id) } };
  }

  #encode(data: Data, itemKey: string): AttributeValue {
    const { optimisticLocking, versionField } = this.options;
    let plain = data as SessionData;
    if (optimisticLocking && versionField in plain) {
      const { [versionField]: _version, ...rest } = plain;
      plain = rest;
    }
    if (!this.#envelope) return serializeSession(this.#serializer, plain);
    let json: string;
    try {
      json = JSON.stringify(plain);
    } catch (error) {
      throw new SessionStoreError(
        'INVALID_SESSION_DATA',
        `the session data cannot be serialized: ${(error as Error).message}`,
        { cause: error },
      );
    }
    return this.#envelope.seal(json, itemKey);
  }

  #lockCondition(
    hold: LockHold | undefined,
  ): Pick<
    PutItemCommandInput,
    'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
  > {
    if (!this.#locks) return {};
    const holder =
      hold?.token === undefined
        ? this.#locks.holderCondition(undefined)
        : this.#locks.heldCondition(hold.token);
    return {
      ConditionExpression: holder.expression,
      ExpressionAttributeNames: holder.names,
      ExpressionAttributeValues: holder.values,
    };
  }

  #versionCondition(
    data: Data,
  ): Pick<
    PutItemCommandInput,
    'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
  > {
    if (!this.options.optimisticLocking) return {};
    const read = (data as SessionData)[this.options.versionField];
    const names = { '#key': this.options.hashKey, '#version': this.options.versionAttribute };
    if (typeof read !== 'number') {
      return {
        ConditionExpression: 'attribute_not_exists(#key)',
        ExpressionAttributeNames: { '#key': names['#key'] },
      };
    }
    if (read === 0) {
      return {
        ConditionExpression: 'attribute_exists(#key) AND attribute_not_exists(#version)',
        ExpressionAttributeNames: names,
      };
    }
    return {
      ConditionExpression: '#version = :version',
      ExpressionAttributeNames: { '#version': names['#version'] },
      ExpressionAttributeValues: { ':version': { N: String(read) } },
    };
  }

  #assertId(id: string): void {
    const problem = sessionIdProblem(this.options.prefix, id);
    if (problem !== undefined) throw new SessionStoreError('INVALID_SESSION_ID', problem);
  }

  #tableConfig() {
    const { table, hashKey, expiresAttribute, indexAttributes } = this.options;
    return { client: this.client, table, hashKey, expiresAttribute, indexAttributes };
  }

  #report(error: SessionStoreError): void {
    this.#log.write('error', () => ({ code: error.code, message: error.message }));
    for (const listener of this.#errorListeners) {
      try {
        listener(error);
      } catch {
        // a failing listener must not break the read that reported
      }
    }
  }

  async #call<Output>(
    operation: string,
    send: (options?: { abortSignal: AbortSignal }) => Promise<Output>,
  ): Promise<Output> {
    let output: Output;
    const started = this.#log.enabled ? performance.now() : 0;
    const logCall = (outcome: string) =>
      this.#log.write(`dynamodb ${operation}`, () => ({
        table: this.options.table,
        ms: Math.round((performance.now() - started) * 10) / 10,
        outcome,
      }));
    let sent = false;
    try {
      this.#failFast.before(`${operation} on ${this.options.table}`);
      sent = true;
      output = await withTimeout(send, this.options.requestTimeoutMs, this.#passSignal);
    } catch (error) {
      const failure = toSessionStoreError(error, `${operation} on ${this.options.table}`);
      if (sent) {
        this.#metrics.request(operation);
        if (failure.code === 'TIMEOUT') this.#failFast.onTimeout();
        else this.#failFast.onSuccess();
      }
      logCall(isConditionFailure(failure) ? 'condition not met' : failure.code);
      if (!isConditionFailure(failure)) {
        this.#metrics.error(failure.code);
        this.#report(failure);
      }
      throw failure;
    }
    this.#failFast.onSuccess();
    logCall('ok');
    this.#metrics.request(operation, output);
    return output;
  }
}

/**
 * The repository a framework store works on: `options.repository` when given, else a
 * {@link SessionRepository} built from `options`.
 */
export function repositoryFrom<
  Data extends object,
  Repository extends SessionRepositoryLike<Data> = SessionRepository<Data>,
>(options: RepositoryOrOptions<Data, Repository>): Repository {
  return (
    options.repository ??
    (new SessionRepository<Data>(
      options as SessionRepositoryOptions,
    ) as SessionRepositoryLike<Data> as Repository)
  );
}

/**
 * Runs `send`, rejecting with a TimeoutError after `timeoutMs` whatever the call is doing (the
 * SDK only heeds an abort signal inside its HTTP handler, so a call stuck earlier, on a
 * credentials provider that never answers, would otherwise outlive the bound). With
 * `passSignal` the call also gets an abort signal, to cancel its socket; it is left out for
 * clients with `cacheMiddleware`, whose cache any per-call options turn off (a client the
 * repository builds bounds its sockets with the request handler's own timeout instead).
 */
async function withTimeout<Output>(
  send: (options?: { abortSignal: AbortSignal }) => Promise<Output>,
  timeoutMs: number,
  passSignal: boolean,
): Promise<Output> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new Error(`no answer within ${timeoutMs} ms`);
      error.name = 'TimeoutError';
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  try {
    const call = passSignal ? send({ abortSignal: controller.signal }) : send();
    return await Promise.race([call, expired]);
  } finally {
    clearTimeout(timer);
  }
}
