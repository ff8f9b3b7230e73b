import {
  type AttributeValue,
  BatchExecuteStatementCommand,
  type BatchStatementResponse,
  BatchWriteItemCommand,
  DeleteItemCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { isConditionFailure, isSessionStoreError, SessionStoreError } from './errors';
import type { RateLimiter } from './rate-limiter';
import type { TableContext } from './table-context';

/** DynamoDB's limit on statements (and write requests) in one batch. */
export const BATCH_SIZE = 25;

/** What one batch of deletes did. */
export interface BatchDeleteResult {
  /** Items deleted. */
  deleted: number;
  /** Items left in place because they were no longer expired (renewed meanwhile). */
  kept: number;
  /** Requests sent, retries included. */
  requests: number;
}

/** How a batch is deleted. */
export interface BatchDeleteOptions {
  /** Only delete items still expired at delete time (reap), or delete unconditionally (clear). */
  onlyIfExpired: boolean;
  limiter: RateLimiter;
  /** Retries of throttled or unprocessed items, with exponential backoff. Default 8. */
  maxRetries?: number;
}

const RETRYABLE_STATEMENT_ERRORS = new Set([
  'ProvisionedThroughputExceeded',
  'ThrottlingError',
  'RequestLimitExceeded',
  'InternalServerError',
  'TransactionConflict',
]);

/**
 * Deletes up to 25 items by key. With `onlyIfExpired`, one PartiQL BatchExecuteStatement whose
 * DELETE statements each carry the expiry condition, so a session renewed since the scan
 * survives; without, one BatchWriteItem. Throttled or unprocessed items are retried with
 * backoff. Where the server has no BatchExecuteStatement (dynalite), or IAM does not allow
 * `dynamodb:PartiQLDelete` (a policy written for the item API alone), conditional DeleteItem
 * calls are sent instead; `fallback` then records that for the next batches.
 */
export async function deleteBatch(
  context: TableContext,
  keys: AttributeValue[],
  options: BatchDeleteOptions,
  fallback: { useSingleDeletes: boolean },
): Promise<BatchDeleteResult> {
  if (keys.length === 0) return { deleted: 0, kept: 0, requests: 0 };
  if (!options.onlyIfExpired) return writeBatch(context, keys, options);
  if (
    !fallback.useSingleDeletes &&
    !/"/.test(context.options.hashKey + context.options.expiresAttribute)
  ) {
    try {
      return await statementBatch(context, keys, options);
    } catch (error) {
      if (!isUnsupported(error) && !isSessionStoreError(error, 'ACCESS_DENIED')) throw error;
      fallback.useSingleDeletes = true;
    }
  }
  return singleDeletes(context, keys, options);
}

async function statementBatch(
  context: TableContext,
  keys: AttributeValue[],
  options: BatchDeleteOptions,
): Promise<BatchDeleteResult> {
  const { table, hashKey, expiresAttribute } = context.options;
  const statement = `DELETE FROM "${table}" WHERE "${hashKey}" = ? AND "${expiresAttribute}" <= ?`;
  let remaining = keys;
  const result = { deleted: 0, kept: 0, requests: 0 };
  for (let attempt = 0; remaining.length > 0; attempt++) {
    if (attempt > 0) await backoff(attempt, options.maxRetries);
    await options.limiter.take();
    const now = { N: String(Math.floor(Date.now() / 1000)) };
    const command = new BatchExecuteStatementCommand({
      Statements: remaining.map((key) => ({ Statement: statement, Parameters: [key, now] })),
    });
    const output = await context.call('BatchExecuteStatement', (send) =>
      context.client.send(command, send),
    );
    result.requests++;
    const retry: AttributeValue[] = [];
    const denied = output.Responses?.find((response) => response.Error?.Code === 'AccessDenied');
    if (attempt === 0 && denied) throw statementError(denied);
    remaining.forEach((key, index) => {
      const outcome = classifyStatement(output.Responses?.[index]);
      if (outcome === 'deleted') result.deleted++;
      else if (outcome === 'kept') result.kept++;
      else if (outcome === 'retry') retry.push(key);
      else throw statementError(output.Responses?.[index]);
    });
    remaining = retry;
  }
  return result;
}

async function writeBatch(
  context: TableContext,
  keys: AttributeValue[],
  options: BatchDeleteOptions,
): Promise<BatchDeleteResult> {
  const { table, hashKey } = context.options;
  let requests: WriteRequest[] = keys.map((key) => ({
    DeleteRequest: { Key: { [hashKey]: key } },
  }));
  const result = { deleted: 0, kept: 0, requests: 0 };
  for (let attempt = 0; requests.length > 0; attempt++) {
    if (attempt > 0) await backoff(attempt, options.maxRetries);
    await options.limiter.take();
    const command = new BatchWriteItemCommand({ RequestItems: { [table]: requests } });
    const output = await context.call('BatchWriteItem', (send) =>
      context.client.send(command, send),
    );
    result.requests++;
    const unprocessed = output.UnprocessedItems?.[table] ?? [];
    result.deleted += requests.length - unprocessed.length;
    requests = unprocessed;
  }
  return result;
}

async function singleDeletes(
  context: TableContext,
  keys: AttributeValue[],
  options: BatchDeleteOptions,
): Promise<BatchDeleteResult> {
  const { table, hashKey, expiresAttribute } = context.options;
  const outcomes = await Promise.all(
    keys.map(async (key) => {
      await options.limiter.take();
      const command = new DeleteItemCommand({
        TableName: table,
        Key: { [hashKey]: key },
        ConditionExpression: '#expires <= :now',
        ExpressionAttributeNames: { '#expires': expiresAttribute },
        ExpressionAttributeValues: { ':now': { N: String(Math.floor(Date.now() / 1000)) } },
      });
      try {
        await context.call('DeleteItem', (send) => context.client.send(command, send));
        return 'deleted';
      } catch (error) {
        if (isConditionFailure(error)) return 'kept';
        throw error;
      }
    }),
  );
  const deleted = outcomes.filter((outcome) => outcome === 'deleted').length;
  return { deleted, kept: keys.length - deleted, requests: keys.length };
}

function classifyStatement(
  response: BatchStatementResponse | undefined,
): 'deleted' | 'kept' | 'retry' | 'failed' {
  const code = response?.Error?.Code;
  if (code === undefined) return 'deleted';
  if (code === 'ConditionalCheckFailed') return 'kept';
  return RETRYABLE_STATEMENT_ERRORS.has(code) ? 'retry' : 'failed';
}

function statementError(response: BatchStatementResponse | undefined): SessionStoreError {
  const code = response?.Error?.Code ?? 'Unknown';
  const message = `a batched delete failed: ${code}: ${response?.Error?.Message ?? ''}`;
  const mapped =
    code === 'AccessDenied'
      ? 'ACCESS_DENIED'
      : code === 'ResourceNotFound'
        ? 'TABLE_NOT_FOUND'
        : 'DYNAMODB_ERROR';
  return new SessionStoreError(mapped, message);
}

async function backoff(attempt: number, maxRetries = 8): Promise<void> {
  if (attempt > maxRetries) {
    throw new SessionStoreError(
      'THROTTLED',
      `a batch was still throttled after ${maxRetries} retries`,
    );
  }
  const ceiling = Math.min(5_000, 50 * 2 ** attempt);
  await new Promise((resolve) => setTimeout(resolve, ceiling / 2 + Math.random() * (ceiling / 2)));
}

function isUnsupported(error: unknown): boolean {
  const name = isSessionStoreError(error) ? (error.cause as Error | undefined)?.name : undefined;
  return name === 'UnknownOperationException';
}
