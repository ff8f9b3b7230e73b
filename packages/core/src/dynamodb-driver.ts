import {
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  type GetItemCommandOutput,
  PutItemCommand,
  QueryCommand,
  type QueryCommandOutput,
  ScanCommand,
  type ScanCommandOutput,
  UpdateItemCommand,
  type UpdateItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import {
  type Condition,
  compileChange,
  compileCondition,
  ExpressionNames,
  type Item,
  type ItemChange,
} from './conditions';
import { deleteExpiredBatch, writeItemBatch } from './dynamodb-batches';
import type { DynamoDBCaller } from './dynamodb-caller';
import { isConditionFailure } from './errors';
import type {
  BatchDeleteResult,
  ItemPage,
  QueryPageRequest,
  ScanPageRequest,
  StorageDriver,
} from './storage-driver';

/** Where a {@link DynamoDBDriver} keeps items. */
export interface DynamoDBTable {
  client: DynamoDBClient;
  table: string;
  hashKey: string;
  expiresAttribute: string;
  consistentRead: boolean;
  returnConsumedCapacity: boolean;
}

/**
 * The storage driver over a DynamoDB table: each operation is one request (batches retry what
 * DynamoDB leaves unprocessed), sent through a {@link DynamoDBCaller} that bounds it in time,
 * counts it and turns its failures into `SessionStoreError`s.
 */
export class DynamoDBDriver implements StorageDriver {
  readonly #table: DynamoDBTable;
  readonly #caller: DynamoDBCaller;
  readonly #capacity: { ReturnConsumedCapacity?: 'TOTAL' };
  readonly #batches = { useSingleDeletes: false };

  constructor(table: DynamoDBTable, caller: DynamoDBCaller) {
    this.#table = table;
    this.#caller = caller;
    this.#capacity = table.returnConsumedCapacity ? { ReturnConsumedCapacity: 'TOTAL' } : {};
  }

  async get(key: Item): Promise<Item | undefined> {
    const command = new GetItemCommand({
      ...this.#capacity,
      TableName: this.#table.table,
      Key: key,
      ConsistentRead: this.#table.consistentRead,
    });
    return (await this.#caller.send<GetItemCommandOutput>('GetItem', command)).Item;
  }

  async put(item: Item, condition?: Condition): Promise<boolean> {
    const command = new PutItemCommand({
      ...this.#capacity,
      TableName: this.#table.table,
      Item: item,
      ...conditionInput(condition),
    });
    return this.#conditional(this.#caller.send('PutItem', command));
  }

  async update(
    key: Item,
    change: ItemChange,
    condition?: Condition,
    returnItem = false,
  ): Promise<Item | undefined> {
    const names = new ExpressionNames();
    const command = new UpdateItemCommand({
      ...this.#capacity,
      TableName: this.#table.table,
      Key: key,
      UpdateExpression: compileChange(change, names),
      ConditionExpression: condition && compileCondition(condition, names),
      ...namesInput(names),
      ...(returnItem && { ReturnValues: 'ALL_NEW' as const }),
    });
    try {
      return (
        (await this.#caller.send<UpdateItemCommandOutput>('UpdateItem', command)).Attributes ?? {}
      );
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  async delete(key: Item, condition?: Condition): Promise<boolean> {
    const command = new DeleteItemCommand({
      ...this.#capacity,
      TableName: this.#table.table,
      Key: key,
      ...conditionInput(condition),
    });
    return this.#conditional(this.#caller.send('DeleteItem', command));
  }

  async scanPage(request: ScanPageRequest): Promise<ItemPage> {
    const names = new ExpressionNames();
    const filter = compileCondition(request.filter, names);
    const projection = request.attributes?.map((attribute) => names.name(attribute)).join(', ');
    const command = new ScanCommand({
      TableName: this.#table.table,
      Segment: request.segments > 1 ? request.segment : undefined,
      TotalSegments: request.segments > 1 ? request.segments : undefined,
      ConsistentRead: this.#table.consistentRead,
      ...(request.countOnly ? { Select: 'COUNT' as const } : { ProjectionExpression: projection }),
      Limit: request.pageSize,
      FilterExpression: filter,
      ...namesInput(names),
      ExclusiveStartKey: request.start,
    });
    const page = await this.#caller.send<ScanCommandOutput>('Scan', command);
    const items = page.Items ?? [];
    return { items, count: page.Count ?? items.length, next: page.LastEvaluatedKey };
  }

  async queryPage(request: QueryPageRequest): Promise<ItemPage> {
    const names = new ExpressionNames();
    const keyCondition = `${names.name(request.attribute)} = ${names.value(request.value)}`;
    const filter = compileCondition(request.filter, names);
    const command = new QueryCommand({
      TableName: this.#table.table,
      IndexName: request.index,
      KeyConditionExpression: keyCondition,
      FilterExpression: filter,
      ...namesInput(names),
      ExclusiveStartKey: request.start,
    });
    const page = await this.#caller.send<QueryCommandOutput>('Query', command);
    const items = page.Items ?? [];
    return { items, count: items.length, next: page.LastEvaluatedKey };
  }

  writeBatch(puts: Item[], deletes: Item[]): Promise<number> {
    return writeItemBatch(this.#caller, this.#table.table, puts, deletes);
  }

  deleteExpired(keys: Item[], nowSeconds: number): Promise<BatchDeleteResult> {
    return deleteExpiredBatch(this.#caller, this.#table, keys, nowSeconds, this.#batches);
  }

  async #conditional(call: Promise<unknown>): Promise<boolean> {
    try {
      await call;
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}

function conditionInput(condition: Condition | undefined) {
  if (!condition) return {};
  const names = new ExpressionNames();
  return { ConditionExpression: compileCondition(condition, names), ...namesInput(names) };
}

function namesInput(names: ExpressionNames) {
  const hasValues = Object.keys(names.values).length > 0;
  return {
    ExpressionAttributeNames: Object.keys(names.names).length > 0 ? names.names : undefined,
    ExpressionAttributeValues: hasValues ? names.values : undefined,
  };
}
