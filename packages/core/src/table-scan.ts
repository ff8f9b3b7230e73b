import { type AttributeValue, ScanCommand, type ScanCommandInput } from '@aws-sdk/client-dynamodb';
import { SessionStoreError } from './errors';
import type { RateLimiter } from './rate-limiter';
import { fromSessionKey, prefixSeparator } from './session-key';
import type { TableContext } from './table-context';

/** Which sessions of the prefix a scan returns. */
export type ScanFilter = 'live' | 'expired' | 'any';

/** One page of a scan: the items DynamoDB returned after the filter, and how many. */
export interface ScanPage {
  items: Record<string, AttributeValue>[];
  count: number;
}

/** How to scan the sessions of a repository's prefix. */
export interface ScanRequest {
  filter: ScanFilter;
  /** Only the key and the expiry (cheap, for deletes and ids), or whole items. */
  keysOnly: boolean;
  /**
   * Count only (Select COUNT): pages carry a count and no items. For a prefix ending with a
   * separator, keys are read instead, to leave out the sessions of longer prefixes.
   */
  countOnly?: boolean;
  segments: number;
  /** Items evaluated per Scan request (DynamoDB's `Limit`); default: up to 1 MB pages. */
  pageSize?: number;
  limiter: RateLimiter;
  signal?: AbortSignal;
}

/**
 * Scans the sessions of the context's prefix in `segments` parallel segments and yields their
 * pages as they arrive, holding at most one page per segment in memory.
 */
export async function* scanSessions(
  context: TableContext,
  request: ScanRequest,
): AsyncGenerator<ScanPage> {
  const segments = Math.max(1, Math.floor(request.segments));
  const iterators = Array.from({ length: segments }, (_, segment) =>
    scanSegment(context, request, segment, segments),
  );
  const pending = new Map<number, Promise<{ index: number; result: IteratorResult<ScanPage> }>>();
  const pull = (index: number) => {
    const iterator = iterators[index] as AsyncGenerator<ScanPage>;
    pending.set(
      index,
      iterator.next().then((result) => ({ index, result })),
    );
  };
  for (let index = 0; index < iterators.length; index++) pull(index);
  try {
    while (pending.size > 0) {
      const { index, result } = await Promise.race(pending.values());
      if (result.done) {
        pending.delete(index);
        continue;
      }
      pull(index);
      yield result.value;
    }
  } finally {
    await Promise.allSettled(pending.values());
    await Promise.allSettled(iterators.map((iterator) => iterator.return(undefined)));
  }
}

async function* scanSegment(
  context: TableContext,
  request: ScanRequest,
  segment: number,
  totalSegments: number,
): AsyncGenerator<ScanPage> {
  const { table, hashKey, prefix, consistentRead } = context.options;
  const countOnly = request.countOnly === true && prefixSeparator(prefix) === undefined;
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    throwIfAborted(request.signal);
    await request.limiter.take();
    const nowSeconds = Date.now() / 1000;
    const command = new ScanCommand({
      TableName: table,
      Segment: totalSegments > 1 ? segment : undefined,
      TotalSegments: totalSegments > 1 ? totalSegments : undefined,
      ConsistentRead: consistentRead,
      ...(countOnly
        ? { Select: 'COUNT' as const }
        : request.keysOnly && { ProjectionExpression: '#key' }),
      Limit: request.pageSize,
      ...scanFilter(request.filter, context.options, nowSeconds),
      ExclusiveStartKey: startKey,
    });
    const page = await context.call('Scan', (options) => context.client.send(command, options));
    const items = (page.Items ?? []).filter((item) => {
      const key = item[hashKey]?.S;
      return key !== undefined && fromSessionKey(prefix, key) !== undefined;
    });
    yield { items, count: countOnly ? (page.Count ?? 0) : items.length };
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}

/** Throws a SessionStoreError with code `ABORTED` when `signal` has been aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new SessionStoreError('ABORTED', 'the operation was interrupted', {
      cause: signal.reason,
    });
  }
}

/**
 * The filter of a Scan for `filter`. `live` sessions also need their data attribute: an item
 * with only a key and an expiry (left by connect-dynamodb's `touch` of a destroyed session) is
 * not a session, and `get` reads it as missing.
 */
function scanFilter(
  filter: ScanFilter,
  { hashKey, expiresAttribute, dataAttribute, prefix }: TableContext['options'],
  nowSeconds: number,
): Pick<
  ScanCommandInput,
  'FilterExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
> {
  if (filter === 'any') {
    return {
      FilterExpression: 'begins_with(#key, :prefix)',
      ExpressionAttributeNames: { '#key': hashKey },
      ExpressionAttributeValues: { ':prefix': { S: prefix } },
    };
  }
  if (filter === 'expired') {
    return {
      FilterExpression: 'begins_with(#key, :prefix) AND #expires <= :now',
      ExpressionAttributeNames: { '#key': hashKey, '#expires': expiresAttribute },
      ExpressionAttributeValues: {
        ':prefix': { S: prefix },
        ':now': { N: String(Math.floor(nowSeconds)) },
      },
    };
  }
  return {
    FilterExpression:
      'begins_with(#key, :prefix) AND attribute_exists(#data) AND ' +
      '(attribute_not_exists(#expires) OR #expires > :now)',
    ExpressionAttributeNames: {
      '#key': hashKey,
      '#expires': expiresAttribute,
      '#data': dataAttribute,
    },
    ExpressionAttributeValues: {
      ':prefix': { S: prefix },
      ':now': { N: String(nowSeconds) },
    },
  };
}
