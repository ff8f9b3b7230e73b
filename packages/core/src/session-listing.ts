import { type AttributeValue, QueryCommand } from '@aws-sdk/client-dynamodb';
import { BATCH_SIZE, deleteBatch } from './batch-delete';
import { BoundedTasks } from './bounded-tasks';
import { indexedAttribute } from './index-attributes';
import { RateLimiter } from './rate-limiter';
import { fromSessionKey } from './session-key';
import type { BulkOptions, TableContext } from './table-context';
import { type ScanRequest, scanSessions, throwIfAborted } from './table-scan';

/**
 * The ids of the live sessions of the context's prefix, page by page (constant memory: 2
 * segments of 1000 keys by default).
 * Expiry is checked to the second (the TTL attribute), not against expiries inside the data.
 */
export async function* listSessionIds(
  context: TableContext,
  options: BulkOptions = {},
): AsyncGenerator<string> {
  const pages = pagesOf(context, options, { filter: 'live', keysOnly: true }, 2, 1000);
  for await (const page of pages) {
    for (const item of page.items) {
      const id = idOf(context, item);
      if (id !== undefined) yield id;
    }
  }
}

/**
 * The live sessions of the context's prefix as whole items, page by page: 2 segments of 250
 * items by default, so a few hundred sessions are in memory at a time.
 */
export async function* listSessionItems(
  context: TableContext,
  options: BulkOptions = {},
): AsyncGenerator<{ id: string; item: Record<string, AttributeValue> }> {
  const pages = pagesOf(context, options, { filter: 'live', keysOnly: false }, 2, 250);
  for await (const page of pages) {
    for (const item of page.items) {
      const id = idOf(context, item);
      if (id !== undefined) yield { id, item };
    }
  }
}

/** How many live sessions the context's prefix holds (a COUNT scan; nothing is transferred). */
export async function countSessions(
  context: TableContext,
  options: BulkOptions = {},
): Promise<number> {
  const pages = pagesOf(context, options, { filter: 'live', keysOnly: true, countOnly: true }, 4);
  let count = 0;
  for await (const page of pages) count += page.count;
  return count;
}

/**
 * Deletes the sessions with the given keys in batches of 25 (unconditionally), at most
 * `concurrency` batches in flight. Resolves the number deleted.
 */
export async function deleteSessionKeys(
  context: TableContext,
  keys: AsyncIterable<AttributeValue>,
  options: BulkOptions & { concurrency?: number } = {},
): Promise<number> {
  const limiter = new RateLimiter(options.maxRequestsPerSecond);
  const tasks = new BoundedTasks(options.concurrency);
  const fallback = { useSingleDeletes: false };
  let deleted = 0;
  let batch: AttributeValue[] = [];
  const flush = () => {
    const keysOfBatch = batch;
    batch = [];
    return tasks.add(async () => {
      const result = await deleteBatch(
        context,
        keysOfBatch,
        { onlyIfExpired: false, limiter },
        fallback,
      );
      deleted += result.deleted;
    });
  };
  try {
    for await (const key of keys) {
      throwIfAborted(options.signal);
      if (tasks.failed) break;
      batch.push(key);
      if (batch.length === BATCH_SIZE) await flush();
    }
    if (batch.length > 0 && !tasks.failed) await flush();
  } finally {
    await tasks.finish();
  }
  return deleted;
}

/** Every key of the context's prefix, expired ones included (for `clear`): one scan. */
export async function* allSessionKeys(
  context: TableContext,
  options: BulkOptions = {},
): AsyncGenerator<AttributeValue> {
  const pages = pagesOf(context, options, { filter: 'any', keysOnly: true }, 2, 1000);
  for await (const page of pages) {
    for (const item of page.items) {
      const key = item[context.options.hashKey];
      if (key?.S) yield key;
    }
  }
}

/**
 * The ids of the live sessions whose index attribute `name` equals `value`, through the global
 * secondary index configured for it (`indexAttributes[].index`).
 */
export async function* sessionIdsByAttribute(
  context: TableContext,
  name: string,
  value: string | number,
  options: BulkOptions = {},
): AsyncGenerator<string> {
  const attribute = indexedAttribute(context.options.indexAttributes, name);
  const limiter = new RateLimiter(options.maxRequestsPerSecond);
  const { table, hashKey, expiresAttribute, prefix } = context.options;
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    throwIfAborted(options.signal);
    await limiter.take();
    const command = new QueryCommand({
      TableName: table,
      IndexName: attribute.index,
      KeyConditionExpression: '#attribute = :value',
      FilterExpression:
        'begins_with(#key, :prefix) AND (attribute_not_exists(#expires) OR #expires > :now)',
      ExpressionAttributeNames: {
        '#attribute': name,
        '#key': hashKey,
        '#expires': expiresAttribute,
      },
      ExpressionAttributeValues: {
        ':value':
          attribute.type === 'N'
            ? { N: String(value) }
            : attribute.type === 'B'
              ? { B: Buffer.from(String(value), 'base64') }
              : { S: String(value) },
        ':prefix': { S: prefix },
        ':now': { N: String(Date.now() / 1000) },
      },
      ExclusiveStartKey: startKey,
    });
    const page = await context.call('Query', (send) => context.client.send(command, send));
    for (const item of page.Items ?? []) {
      const id = idOf(context, item);
      if (id !== undefined) yield id;
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}

function pagesOf(
  context: TableContext,
  options: BulkOptions,
  request: Pick<ScanRequest, 'filter' | 'keysOnly' | 'countOnly'>,
  defaultSegments: number,
  defaultPageSize?: number,
) {
  return scanSessions(context, {
    ...request,
    segments: options.segments ?? defaultSegments,
    pageSize: options.pageSize ?? defaultPageSize,
    limiter: new RateLimiter(options.maxRequestsPerSecond),
    signal: options.signal,
  });
}

function idOf(context: TableContext, item: Record<string, AttributeValue>): string | undefined {
  const key = item[context.options.hashKey]?.S;
  return key === undefined ? undefined : fromSessionKey(context.options.prefix, key);
}
