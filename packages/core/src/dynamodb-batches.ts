import {
  type AttributeValue,
  BatchExecuteStatementCommand,
  type BatchExecuteStatementCommandOutput,
  type BatchStatementResponse,
  BatchWriteItemCommand,
  type BatchWriteItemCommandOutput,
  DeleteItemCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import type { Item } from './conditions';
import type { DynamoDBCaller } from './dynamodb-caller';
import { isConditionFailure, isSessionStoreError, SessionStoreError } from './errors';
import type { BatchDeleteResult } from './storage-driver';

/** The table a batch of conditional deletes works on. */
export interface BatchTable {
  table: string;
  hashKey: string;
  expiresAttribute: string;
}

/** Retries of throttled or unprocessed items of one batch, with exponential backoff. */
const MAX_RETRIES = 8;

const RETRYABLE_STATEMENT_ERRORS = new Set([
  'ProvisionedThroughputExceeded',
  'ThrottlingError',
  'RequestLimitExceeded',
  'InternalServerError',
  'TransactionConflict',
]);

/**
 * Deletes up to 25 items by key, each only while its TTL is at or before `nowSeconds`, so a
 * session renewed since the scan survives: one PartiQL BatchExecuteStatement of conditional
 * DELETEs. Throttled items are retried with backoff. Where the server has no
 * BatchExecuteStatement (dynalite), or IAM does not allow `dynamodb:PartiQLDelete`, conditional
 * DeleteItem calls are sent instead; `fallback` records that for the next batches.
 */
export async function deleteExpiredBatch(
  caller: DynamoDBCaller,
  table: BatchTable,
  keys: Item[],
  nowSeconds: number,
  fallback: { useSingleDeletes: boolean },
): Promise<BatchDeleteResult> {
  if (keys.length === 0) return { deleted: 0, kept: 0, requests: 0 };
  if (!fallback.useSingleDeletes && !/"/.test(table.hashKey + table.expiresAttribute)) {
    try {
      return await statementBatch(caller, table, keys, nowSeconds);
    } catch (error) {
      if (!isUnsupported(error) && !isSessionStoreError(error, 'ACCESS_DENIED')) throw error;
      fallback.useSingleDeletes = true;
    }
  }
  return singleDeletes(caller, table, keys, nowSeconds);
}

/**
 * Writes `puts` and deletes `deletes` (25 in all at most) with one BatchWriteItem, retrying
 * what DynamoDB leaves unprocessed. Resolves the number of requests sent.
 */
export async function writeItemBatch(
  caller: DynamoDBCaller,
  table: string,
  puts: Item[],
  deletes: Item[],
): Promise<number> {
  let requests: WriteRequest[] = [
    ...puts.map((item) => ({ PutRequest: { Item: item } })),
    ...deletes.map((key) => ({ DeleteRequest: { Key: key } })),
  ];
  let sent = 0;
  for (let attempt = 0; requests.length > 0; attempt++) {
    if (attempt > 0) await backoff(attempt);
    const command = new BatchWriteItemCommand({ RequestItems: { [table]: requests } });
    const output = await caller.send<BatchWriteItemCommandOutput>('BatchWriteItem', command);
    sent++;
    requests = output.UnprocessedItems?.[table] ?? [];
  }
  return sent;
}

async function statementBatch(
  caller: DynamoDBCaller,
  { table, hashKey, expiresAttribute }: BatchTable,
  keys: Item[],
  nowSeconds: number,
): Promise<BatchDeleteResult> {
  const statement = `DELETE FROM "${table}" WHERE "${hashKey}" = ? AND "${expiresAttribute}" <= ?`;
  const now = { N: String(Math.floor(nowSeconds)) };
  let remaining = keys;
  const result = { deleted: 0, kept: 0, requests: 0 };
  for (let attempt = 0; remaining.length > 0; attempt++) {
    if (attempt > 0) await backoff(attempt);
    const command = new BatchExecuteStatementCommand({
      Statements: remaining.map((key) => ({
        Statement: statement,
        Parameters: [key[hashKey] as AttributeValue, now],
      })),
    });
    const output = await caller.send<BatchExecuteStatementCommandOutput>(
      'BatchExecuteStatement',
      command,
    );
    result.requests++;
    const retry: Item[] = [];
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

async function singleDeletes(
  caller: DynamoDBCaller,
  { table, expiresAttribute }: BatchTable,
  keys: Item[],
  nowSeconds: number,
): Promise<BatchDeleteResult> {
  const outcomes = await Promise.all(
    keys.map(async (key) => {
      const command = new DeleteItemCommand({
        TableName: table,
        Key: key,
        ConditionExpression: '#expires <= :now',
        ExpressionAttributeNames: { '#expires': expiresAttribute },
        ExpressionAttributeValues: { ':now': { N: String(Math.floor(nowSeconds)) } },
      });
      try {
        await caller.send('DeleteItem', command);
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

async function backoff(attempt: number): Promise<void> {
  if (attempt > MAX_RETRIES) {
    throw new SessionStoreError(
      'THROTTLED',
      `a batch was still throttled after ${MAX_RETRIES} retries`,
    );
  }
  const ceiling = Math.min(5_000, 50 * 2 ** attempt);
  await new Promise((resolve) => setTimeout(resolve, ceiling / 2 + Math.random() * (ceiling / 2)));
}

function isUnsupported(error: unknown): boolean {
  const name = isSessionStoreError(error) ? (error.cause as Error | undefined)?.name : undefined;
  return name === 'UnknownOperationException';
}
