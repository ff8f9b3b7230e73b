import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DescribeTableCommandOutput,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  type Tag,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { SessionStoreError, toSessionStoreError } from './errors';
import type { IndexAttribute } from './index-attributes';

/** How to create the sessions table. */
export interface CreateTableOptions {
  /** `"PAY_PER_REQUEST"` (on-demand, the default) or `"PROVISIONED"`. */
  billingMode?: 'PAY_PER_REQUEST' | 'PROVISIONED';
  /** Read capacity units when provisioned. Default 5. */
  readCapacityUnits?: number;
  /** Write capacity units when provisioned. Default 5. */
  writeCapacityUnits?: number;
  /** Enable DynamoDB's TTL on the expiry attribute. Default `true`. */
  timeToLive?: boolean;
  /** Tags put on the table. */
  tags?: Tag[];
  /**
   * Create a global secondary index for every index attribute that names one (projecting the
   * key and expiry), so per-user listing and "log out everywhere" work. Default `true`.
   */
  indexes?: boolean;
  /** How long to wait for the table to become ACTIVE, in seconds. Default 300. */
  maxWaitSeconds?: number;
}

/** What {@link createSessionTable} did. */
export interface CreateTableResult {
  /** False when the table already existed with the right key. */
  created: boolean;
  /** The TTL status afterwards; `UNSUPPORTED` where the server has no TTL API (dynalite). */
  timeToLive: TimeToLiveState;
  /** The attribute TTL is on; differs from the expiry attribute when TTL was already on another. */
  timeToLiveAttribute: string | undefined;
}

/** TTL status as DynamoDB reports it, or `UNSUPPORTED` where the server lacks the API. */
export type TimeToLiveState = 'ENABLED' | 'ENABLING' | 'DISABLED' | 'DISABLING' | 'UNSUPPORTED';

/** The shape of the sessions table, from {@link describeSessionTable}. */
export interface SessionTableDescription {
  /** Table status, e.g. ACTIVE. */
  status: string;
  /** Name and type of the partition key. */
  partitionKey: { name: string; type: string } | undefined;
  /** Name of the sort key, if the table has one (a sessions table must not). */
  sortKey: string | undefined;
  /** PAY_PER_REQUEST or PROVISIONED. */
  billingMode: string;
  /** TTL status and attribute. */
  timeToLive: { status: TimeToLiveState; attribute: string | undefined };
  /** Names of the table's global secondary indexes. */
  indexes: string[];
  /**
   * Problems found against the configuration: a wrong key, TTL off or on another attribute, a
   * global secondary index that an index attribute names but the table lacks.
   */
  warnings: string[];
}

/** The table configuration these helpers need. */
export interface SessionTableConfig {
  client: DynamoDBClient;
  table: string;
  hashKey: string;
  expiresAttribute: string;
  /** Index attributes; those with an `index` get a global secondary index. */
  indexAttributes?: readonly IndexAttribute[];
}

/**
 * Creates the sessions table (on-demand unless told otherwise), waits until it is ACTIVE and
 * enables TTL on the expiry attribute. Idempotent: an existing table with the right key is
 * accepted; one with another key fails with `TABLE_MISMATCH`.
 */
export async function createSessionTable(
  config: SessionTableConfig,
  options: CreateTableOptions = {},
): Promise<CreateTableResult> {
  const { client, table, hashKey } = config;
  const billingMode = options.billingMode ?? 'PAY_PER_REQUEST';
  const throughput = billingMode === 'PROVISIONED' && {
    ProvisionedThroughput: {
      ReadCapacityUnits: options.readCapacityUnits ?? 5,
      WriteCapacityUnits: options.writeCapacityUnits ?? 5,
    },
  };
  const indexed =
    options.indexes === false ? [] : (config.indexAttributes ?? []).filter((a) => a.index);
  const input: CreateTableCommandInput = {
    TableName: table,
    AttributeDefinitions: [
      { AttributeName: hashKey, AttributeType: 'S' },
      ...indexed.map((a) => ({ AttributeName: a.name, AttributeType: a.type })),
    ],
    KeySchema: [{ AttributeName: hashKey, KeyType: 'HASH' }],
    BillingMode: billingMode,
    ...throughput,
    ...(indexed.length > 0 && {
      GlobalSecondaryIndexes: indexed.map((a) => ({
        IndexName: a.index,
        KeySchema: [{ AttributeName: a.name, KeyType: 'HASH' as const }],
        Projection: {
          ProjectionType: 'INCLUDE' as const,
          NonKeyAttributes: [config.expiresAttribute],
        },
        ...throughput,
      })),
    }),
    ...(options.tags?.length && { Tags: options.tags }),
  };
  let created = true;
  try {
    await client.send(new CreateTableCommand(input));
  } catch (error) {
    if ((error as Error).name !== 'ResourceInUseException') {
      throw toSessionStoreError(error, `CreateTable ${table}`);
    }
    created = false;
  }
  await waitUntilActive(config, options.maxWaitSeconds ?? 300);
  if (!created) {
    const description = await describeSessionTable(config);
    const key = description.partitionKey;
    if (key?.name !== hashKey || key.type !== 'S' || description.sortKey !== undefined) {
      throw new SessionStoreError(
        'TABLE_MISMATCH',
        `table ${table} exists with another key: ${description.warnings.join('; ')}`,
      );
    }
  }
  const timeToLive =
    options.timeToLive === false ? await readTimeToLive(config) : await enableTimeToLive(config);
  return { created, timeToLive: timeToLive.status, timeToLiveAttribute: timeToLive.attribute };
}

/** Describes the sessions table and checks it against the configuration. */
export async function describeSessionTable(
  config: SessionTableConfig,
): Promise<SessionTableDescription> {
  const { client, table, hashKey, expiresAttribute } = config;
  let output: DescribeTableCommandOutput;
  try {
    output = await client.send(new DescribeTableCommand({ TableName: table }));
  } catch (error) {
    throw toSessionStoreError(error, `DescribeTable ${table}`);
  }
  const description = output.Table ?? {};
  const hash = description.KeySchema?.find((key) => key.KeyType === 'HASH')?.AttributeName;
  const range = description.KeySchema?.find((key) => key.KeyType === 'RANGE')?.AttributeName;
  const hashType = description.AttributeDefinitions?.find(
    (a) => a.AttributeName === hash,
  )?.AttributeType;
  const timeToLive = await readTimeToLive(config);
  const warnings: string[] = [];
  if (hash !== hashKey || hashType !== 'S') {
    warnings.push(
      `the partition key is ${hash ?? 'missing'} (${hashType ?? '?'}), expected ${hashKey} (S)`,
    );
  }
  if (range !== undefined) warnings.push(`the table has a sort key (${range}); sessions need none`);
  if (timeToLive.status !== 'ENABLED' && timeToLive.status !== 'ENABLING') {
    warnings.push(`TTL is ${timeToLive.status}: expired sessions are never deleted by DynamoDB`);
  } else if (timeToLive.attribute !== expiresAttribute) {
    warnings.push(`TTL is on ${timeToLive.attribute}, not on ${expiresAttribute}`);
  }
  const indexes = (description.GlobalSecondaryIndexes ?? []).flatMap((index) =>
    index.IndexName ? [index.IndexName] : [],
  );
  for (const attribute of config.indexAttributes ?? []) {
    if (attribute.index && !indexes.includes(attribute.index)) {
      warnings.push(`the index ${attribute.index} (for ${attribute.name}) does not exist`);
    }
  }
  return {
    status: description.TableStatus ?? 'UNKNOWN',
    indexes,
    partitionKey: hash ? { name: hash, type: hashType ?? 'UNKNOWN' } : undefined,
    sortKey: range,
    billingMode: description.BillingModeSummary?.BillingMode ?? 'PROVISIONED',
    timeToLive,
    warnings,
  };
}

async function waitUntilActive(config: SessionTableConfig, maxWaitSeconds: number): Promise<void> {
  const deadline = Date.now() + maxWaitSeconds * 1000;
  for (let delay = 25; ; delay = Math.min(delay * 2, 2_000)) {
    let status: string | undefined;
    try {
      const output = await config.client.send(
        new DescribeTableCommand({ TableName: config.table }),
      );
      status = output.Table?.TableStatus;
    } catch (error) {
      if ((error as Error).name !== 'ResourceNotFoundException') {
        throw toSessionStoreError(error, `waiting for table ${config.table} to become ACTIVE`);
      }
    }
    if (status === 'ACTIVE') return;
    if (Date.now() > deadline) {
      throw new SessionStoreError(
        'TIMEOUT',
        `table ${config.table} did not become ACTIVE within ${maxWaitSeconds} s (status ${status ?? 'missing'})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

async function enableTimeToLive(
  config: SessionTableConfig,
): Promise<{ status: TimeToLiveState; attribute: string | undefined }> {
  const current = await readTimeToLive(config);
  if (current.status === 'UNSUPPORTED') return current;
  if (current.status === 'ENABLED' || current.status === 'ENABLING') return current;
  try {
    await config.client.send(
      new UpdateTimeToLiveCommand({
        TableName: config.table,
        TimeToLiveSpecification: { Enabled: true, AttributeName: config.expiresAttribute },
      }),
    );
  } catch (error) {
    if (isUnsupported(error)) return { status: 'UNSUPPORTED', attribute: undefined };
    throw toSessionStoreError(error, `UpdateTimeToLive ${config.table}`);
  }
  return readTimeToLive(config);
}

async function readTimeToLive(
  config: SessionTableConfig,
): Promise<{ status: TimeToLiveState; attribute: string | undefined }> {
  try {
    const output = await config.client.send(
      new DescribeTimeToLiveCommand({ TableName: config.table }),
    );
    const description = output.TimeToLiveDescription;
    return {
      status: (description?.TimeToLiveStatus as TimeToLiveState | undefined) ?? 'DISABLED',
      attribute: description?.AttributeName,
    };
  } catch (error) {
    if (isUnsupported(error)) return { status: 'UNSUPPORTED', attribute: undefined };
    throw toSessionStoreError(error, `DescribeTimeToLive ${config.table}`);
  }
}

function isUnsupported(error: unknown): boolean {
  return (error as Error).name === 'UnknownOperationException';
}
