import type { Condition, Item, ItemChange } from './conditions';

/** DynamoDB's limit on the writes (and statements) of one batch: what `writeBatch` and `deleteExpired` take. */
export const BATCH_SIZE = 25;

/** One page of a scan or a query: the items that passed the filter, and the key to go on from. */
export interface ItemPage {
  items: Item[];
  /** How many items passed the filter (for a count, `items` is empty). */
  count: number;
  /** Where the next page starts; absent on the last page. */
  next?: Item;
}

/** A scan of one segment of the table, one page at a time. */
export interface ScanPageRequest {
  filter: Condition;
  /** Only these attributes (e.g. the key); default the whole item. */
  attributes?: string[];
  /** Count only: pages carry a count and no items. */
  countOnly?: boolean;
  segment: number;
  segments: number;
  /** Items evaluated per request; default the store's largest page. */
  pageSize?: number;
  start?: Item;
}

/** A query of a global secondary index by its partition key, one page at a time. */
export interface QueryPageRequest {
  index: string;
  attribute: string;
  value: Item[string];
  filter: Condition;
  start?: Item;
}

/** What a batch of conditional deletes did. */
export interface BatchDeleteResult {
  /** Items deleted. */
  deleted: number;
  /** Items left in place because the condition no longer held. */
  kept: number;
  /** Requests sent, retries included. */
  requests: number;
}

/**
 * Where a repository keeps its items: the few operations of DynamoDB that sessions need, with
 * conditions as values. A write whose condition does not hold resolves `false` and changes
 * nothing. Every failure rejects with a `SessionStoreError`. The driver counts the requests it
 * sends (`StoreMetrics`); all session behaviour lives in the repository above it.
 */
export interface StorageDriver {
  /** The item under `key`, or `undefined`. Strongly consistent when the driver is so configured. */
  get(key: Item): Promise<Item | undefined>;
  /** Writes `item` whole when `condition` holds for what is stored. */
  put(item: Item, condition?: Condition): Promise<boolean>;
  /**
   * Applies `change` to the item under `key` when `condition` holds; resolves `undefined` when
   * the condition did not hold, else the item as it is after the change when `returnItem`, or
   * an empty object.
   */
  update(
    key: Item,
    change: ItemChange,
    condition?: Condition,
    returnItem?: boolean,
  ): Promise<Item | undefined>;
  /** Deletes the item under `key` when `condition` holds. */
  delete(key: Item, condition?: Condition): Promise<boolean>;
  /** One page of a scan. */
  scanPage(request: ScanPageRequest): Promise<ItemPage>;
  /** One page of a query of a global secondary index. */
  queryPage(request: QueryPageRequest): Promise<ItemPage>;
  /** Writes up to 25 items and deletes up to 25 keys, unconditionally, retrying what is left. */
  writeBatch(puts: Item[], deletes: Item[]): Promise<number>;
  /** Deletes up to 25 keys, each only while its item's TTL is at or before `nowSeconds`. */
  deleteExpired(keys: Item[], nowSeconds: number): Promise<BatchDeleteResult>;
}
