import type { DynamoDBClient, GetItemCommandOutput } from '@aws-sdk/client-dynamodb';
import {
  type CreateTableOptions,
  type IndexAttribute,
  isSessionStoreError,
  type NodeCallback,
  resolveExpiryMs,
  type SessionData,
  type SessionRepositoryOptions,
  SessionStoreError,
  type SessionTableDescription,
  settle,
  toTtlSeconds,
} from '@dynamodb-session/core';
import type session from 'express-session';
import { cookieExpiry, DynamoDBStore, type StoredSession } from './dynamodb-store';

/** What `connectDynamoDB` accepts: express-session itself, `{ session }`, or connect's `{ Store }`. */
export type ConnectLike =
  | { Store: unknown }
  | { session: { Store: unknown } }
  | ((...args: never[]) => unknown);

/** connect-dynamodb 3.x's options, with the same meaning, plus every option of the core. */
export interface ConnectDynamoDBOptions extends SessionRepositoryOptions {
  /** Read capacity of a table created on first use; makes it provisioned (default: on-demand). */
  readCapacityUnits?: number | string;
  /** Write capacity of a table created on first use; makes it provisioned (default: on-demand). */
  writeCapacityUnits?: number | string;
  /**
   * Session fields copied to top-level attributes on every write (connect-dynamodb's form of
   * `indexAttributes`, without an index; give one or the other).
   */
  specialKeys?: { name: string; type: 'S' | 'N' | 'B' }[];
  /**
   * Write sessions that lack a special key instead of failing. As in connect-dynamodb 3.x, any
   * value given (`false` included) means skip; only leaving it out (or `null`) makes a missing
   * special key fail the write with `MISSING_INDEX_ATTRIBUTE`.
   */
  skipThrowMissingSpecialKeys?: boolean | null;
  /** True when the table is known to exist: skip the check (and creation) on first use. Default false. */
  initialized?: boolean;
  /**
   * Delete expired sessions every this many milliseconds, through the repository's
   * `scheduleReap` (one run at a time; the timer does not keep the process alive; failures go
   * to `store.repository.onError` listeners).
   */
  reapInterval?: number;
  /** AWS SDK v2 style configuration: `region`, `endpoint` and credentials keys are honoured. */
  AWSConfigJSON?: Record<string, unknown>;
  /** AWS region, as connect-dynamodb 1.x took it. Same as `region`. */
  AWSRegion?: string;
  /** No longer supported: throws with what to use instead. */
  AWSConfigPath?: string;
}

/**
 * The store class `connectDynamoDB()` returns: {@link DynamoDBStore} plus the public methods of
 * connect-dynamodb 3.x, and its table check on first use (create when missing, wait until
 * ACTIVE, once per store; skipped with `initialized: true`).
 */
export class ConnectDynamoDBStore<Data extends object = SessionData> extends DynamoDBStore<Data> {
  /** True once the table is known to exist. */
  initialized: boolean;
  readonly #tableOptions: CreateTableOptions;
  #initializing: Promise<void> | undefined;
  #stopReaping: (() => void) | undefined;

  constructor(options: ConnectDynamoDBOptions = {}) {
    const { repositoryOptions, tableOptions, initialized, reapInterval } =
      translateOptions(options);
    super(repositoryOptions);
    this.initialized = initialized;
    this.#tableOptions = tableOptions;
    if (reapInterval > 0) {
      try {
        this.#stopReaping = this.repository.scheduleReap(reapInterval);
      } catch (error) {
        this.close();
        throw new SessionStoreError(
          'INVALID_OPTIONS',
          `option "reapInterval": ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
    }
  }

  /** The DynamoDB client in use. */
  get client(): DynamoDBClient {
    return this.repository.client;
  }

  /**
   * Makes sure the table exists, as connect-dynamodb does: calls {@link describeSessionsTable},
   * and {@link createSessionsTable} when that fails because the table is missing (a
   * `TABLE_NOT_FOUND` store error, or the SDK's `ResourceNotFoundException` from an override).
   * Both are looked up on the store, so a subclass or a wrapper set on the instance takes part.
   * Runs once per store (concurrent first calls share one check); a failed check runs again on
   * the next call. The description is awaited at most `requestTimeoutMs`; after such a
   * `TIMEOUT`, calls fail at once with it for a second before the check runs again.
   */
  initialize(): Promise<void> {
    if (this.initialized) return Promise.resolve();
    if (this.#initializing) return this.#initializing;
    const check: Promise<void> = this.#ensureTable().then(
      () => {
        this.initialized = true;
      },
      (error: unknown) => {
        // as the repository does after a timeout, calls fail at once for a second (the check
        // runs again after that); any other failure is checked again on the next call
        const forget = () => {
          if (this.#initializing === check) this.#initializing = undefined;
        };
        if (isSessionStoreError(error, 'TIMEOUT')) {
          setTimeout(forget, Math.min(1_000, this.repository.options.requestTimeoutMs)).unref();
        } else forget();
        throw error;
      },
    );
    this.#initializing = check;
    return check;
  }

  /** Describes the table (key, billing mode, TTL) and lists where it differs from the options. */
  describeSessionsTable(): Promise<SessionTableDescription> {
    return this.repository.describeTable();
  }

  /** Creates the table, waits until it is ACTIVE and enables TTL on `expires`. */
  async createSessionsTable(): Promise<void> {
    await this.repository.createTable(this.#tableOptions);
  }

  /** The session in a GetItem output, or `null` when it is missing, expired or unreadable. */
  getParsedSession(output: Pick<GetItemCommandOutput, 'Item'>): Data | null {
    return output.Item ? this.repository.parseItem(output.Item) : null;
  }

  /** The TTL value (epoch seconds) a write of `sess` stores. */
  getExpiresValue(sess?: Partial<session.SessionData>): number {
    return toTtlSeconds(
      resolveExpiryMs(cookieExpiry(sess), this.repository.options.defaultLifetimeMs),
    );
  }

  override get(
    sid: string,
    callback?: NodeCallback<StoredSession | null>,
  ): Promise<StoredSession | null> {
    return settle(
      this.initialize().then(() => super.get(sid)),
      callback,
    );
  }

  override set(sid: string, sess: StoredSession, callback?: NodeCallback<void>): Promise<void> {
    return settle(
      this.initialize().then(() => super.set(sid, sess)),
      callback,
    );
  }

  override destroy(sid: string, callback?: NodeCallback<void>): Promise<void> {
    return settle(
      this.initialize().then(() => super.destroy(sid)),
      callback,
    );
  }

  override touch(
    sid: string,
    sess: StoredSession,
    callback?: NodeCallback<{ expires: number }>,
  ): Promise<{ expires: number }> {
    return settle(
      this.initialize().then(() => super.touch(sid, sess)),
      callback,
    );
  }

  /** Deletes expired sessions of this prefix; resolves (and calls back with) how many. */
  reap(callback?: NodeCallback<number>): Promise<number> {
    const reaped = this.initialize()
      .then(() => this.repository.reap())
      .then((result) => result.deleted);
    return settle(reaped, callback);
  }

  /** Stops the `reapInterval` timer (and a reap it has running). */
  clearInterval(): void {
    this.#stopReaping?.();
    this.#stopReaping = undefined;
  }

  /** Stops the timer and releases the client if the store built it. */
  override close(): void {
    this.clearInterval();
    super.close();
  }

  async #ensureTable(): Promise<void> {
    try {
      await withinMs(
        this.describeSessionsTable(),
        this.repository.options.requestTimeoutMs,
        `DescribeTable ${this.repository.options.table}`,
      );
    } catch (error) {
      if (!isTableNotFound(error)) throw error;
      await this.createSessionsTable();
    }
  }
}

/** The class `connectDynamoDB()` returns. */
export type ConnectDynamoDBStoreClass = typeof ConnectDynamoDBStore;

/**
 * connect-dynamodb's entry point: `require('@dynamodb-session/express')({ session })`, or
 * `(session)`, or `(connect)` where it exposes `session.Store`, returns the store class.
 */
export function connectDynamoDB(connect?: ConnectLike): ConnectDynamoDBStoreClass {
  if (connect !== undefined && !hasStore(connect)) {
    throw new TypeError(
      'connectDynamoDB(session): pass express-session, { session }, or an object exposing Store or session.Store',
    );
  }
  return ConnectDynamoDBStore;
}

/**
 * `promise`, or a `TIMEOUT` {@link SessionStoreError} after `timeoutMs`: the table check makes
 * its own calls (DescribeTable, DescribeTimeToLive), outside the repository's per-call bound,
 * and would otherwise hold the first request through the SDK's retries of a silent endpoint.
 */
function withinMs<T>(promise: Promise<T>, timeoutMs: number, operation: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new SessionStoreError('TIMEOUT', `${operation}: no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

function isTableNotFound(error: unknown): boolean {
  if (isSessionStoreError(error, 'TABLE_NOT_FOUND')) return true;
  return (error as { name?: unknown } | null)?.name === 'ResourceNotFoundException';
}

function hasStore(connect: ConnectLike): boolean {
  const candidate = connect as { Store?: unknown; session?: { Store?: unknown } };
  return typeof candidate.Store === 'function' || typeof candidate.session?.Store === 'function';
}

function translateOptions(options: ConnectDynamoDBOptions) {
  const {
    readCapacityUnits,
    writeCapacityUnits,
    specialKeys,
    skipThrowMissingSpecialKeys,
    initialized,
    reapInterval,
    AWSConfigJSON,
    AWSRegion,
    AWSConfigPath,
    ...core
  } = options;
  if (AWSConfigPath !== undefined) {
    throw new SessionStoreError(
      'INVALID_OPTIONS',
      'option "AWSConfigPath" (an AWS SDK v2 config file) is no longer read: pass ' +
        '`client: new DynamoDBClient({ region, credentials })`, or set AWS_REGION and AWS_PROFILE ' +
        '(or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY) in the environment',
    );
  }
  const repositoryOptions: SessionRepositoryOptions = { ...core };
  if (AWSRegion !== undefined) repositoryOptions.region ??= AWSRegion;
  if (AWSConfigJSON !== undefined)
    repositoryOptions.clientConfig = fromAwsConfigJson(AWSConfigJSON, core);
  if (specialKeys?.length) {
    if (core.indexAttributes?.length) {
      throw new SessionStoreError(
        'INVALID_OPTIONS',
        'options "specialKeys" and "indexAttributes" both name attributes to write: give one of them',
      );
    }
    repositoryOptions.indexAttributes = specialKeys.map(
      (key): IndexAttribute => ({
        ...key,
        required: skipThrowMissingSpecialKeys === undefined || skipThrowMissingSpecialKeys === null,
      }),
    );
  }
  const provisioned = readCapacityUnits !== undefined || writeCapacityUnits !== undefined;
  const tableOptions: CreateTableOptions = provisioned
    ? {
        billingMode: 'PROVISIONED',
        readCapacityUnits: capacity(readCapacityUnits, 'readCapacityUnits'),
        writeCapacityUnits: capacity(writeCapacityUnits, 'writeCapacityUnits'),
      }
    : { billingMode: 'PAY_PER_REQUEST' };
  return {
    repositoryOptions,
    tableOptions,
    initialized: initialized === true,
    reapInterval: typeof reapInterval === 'number' && reapInterval > 0 ? reapInterval : 0,
  };
}

function fromAwsConfigJson(
  config: Record<string, unknown>,
  core: SessionRepositoryOptions,
): SessionRepositoryOptions['clientConfig'] {
  const text = (key: string) =>
    typeof config[key] === 'string' ? (config[key] as string) : undefined;
  const accessKeyId = text('accessKeyId');
  const secretAccessKey = text('secretAccessKey');
  return {
    ...core.clientConfig,
    ...(text('region') && !core.region && { region: text('region') }),
    ...(text('endpoint') && !core.endpoint && { endpoint: text('endpoint') }),
    ...(accessKeyId &&
      secretAccessKey && {
        credentials: { accessKeyId, secretAccessKey, sessionToken: text('sessionToken') },
      }),
  };
}

function capacity(value: number | string | undefined, name: string): number {
  if (value === undefined) return 5;
  const units = typeof value === 'number' ? value : Number.parseInt(value, 10);
  if (!Number.isInteger(units) || units < 1) {
    throw new SessionStoreError('INVALID_OPTIONS', `option "${name}": must be a positive integer`);
  }
  return units;
}
