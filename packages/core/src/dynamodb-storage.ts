import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBCaller } from './dynamodb-caller';
import { DynamoDBDriver } from './dynamodb-driver';
import { isSessionStoreError, type SessionStoreError } from './errors';
import type { ResolvedSessionRepositoryOptions } from './options';
import { isLegacyRetryStrategy } from './resolved-handlers';
import type { DiagnosticLog } from './session-logger';
import {
  type CreateTableOptions,
  type CreateTableResult,
  createSessionTable,
  describeSessionTable,
  type SessionTableDescription,
} from './session-table';
import type { StoreMetrics } from './store-metrics';

/** What a repository over DynamoDB shares with its storage: counters, the log, `onError`. */
export interface DynamoDBStorageContext {
  metrics: StoreMetrics;
  log: DiagnosticLog;
  report: (error: SessionStoreError) => void;
}

/**
 * A repository's DynamoDB side: the client (the caller's, or one built for session traffic with
 * `cacheMiddleware` and a request timeout), the caller that bounds and counts every request, the
 * storage driver, and table management.
 */
export class DynamoDBStorage {
  readonly client: DynamoDBClient;
  /** Whether the client was built here (and `close` destroys it). */
  readonly ownsClient: boolean;
  readonly #options: Readonly<ResolvedSessionRepositoryOptions>;
  readonly #caller: DynamoDBCaller;

  constructor(
    options: Readonly<ResolvedSessionRepositoryOptions>,
    context: DynamoDBStorageContext,
  ) {
    const { client, clientConfig, region, endpoint, requestTimeoutMs, table } = options;
    this.#options = options;
    this.ownsClient = client === undefined;
    this.client =
      client ??
      new DynamoDBClient({
        cacheMiddleware: !isLegacyRetryStrategy(clientConfig?.retryStrategy),
        requestHandler: { requestTimeout: requestTimeoutMs, throwOnRequestTimeout: true },
        ...clientConfig,
        ...(region && { region }),
        ...(endpoint && { endpoint }),
      });
    this.#caller = new DynamoDBCaller({
      client: this.client,
      table,
      requestTimeoutMs,
      cacheClientMiddleware: options.cacheClientMiddleware,
      ...context,
    });
  }

  /** The storage driver over the table. */
  driver(): DynamoDBDriver {
    const { table, hashKey, expiresAttribute, consistentRead, returnConsumedCapacity } =
      this.#options;
    const where = { table, hashKey, expiresAttribute, consistentRead, returnConsumedCapacity };
    return new DynamoDBDriver({ client: this.client, ...where }, this.#caller);
  }

  /** Creates the table for this configuration, waits until ACTIVE and enables TTL. */
  createTable(options?: CreateTableOptions): Promise<CreateTableResult> {
    return createSessionTable(this.#tableConfig(), options);
  }

  /** The table's status (e.g. `ACTIVE`), or `null` when it does not exist. One DescribeTable. */
  async tableStatus(): Promise<string | null> {
    try {
      const output = await this.#caller.send<{ Table?: { TableStatus?: string } }>(
        'DescribeTable',
        new DescribeTableCommand({ TableName: this.#options.table }),
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

  #tableConfig() {
    const { table, hashKey, expiresAttribute, indexAttributes } = this.#options;
    return { client: this.client, table, hashKey, expiresAttribute, indexAttributes };
  }
}
