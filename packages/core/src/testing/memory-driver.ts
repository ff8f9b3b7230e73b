import { applyChange, type Condition, holds, type Item, type ItemChange } from '../conditions';
import type {
  BatchDeleteResult,
  ItemPage,
  QueryPageRequest,
  ScanPageRequest,
  StorageDriver,
} from '../storage-driver';
import type { StoreMetrics } from '../store-metrics';
import type { MemorySessionStorage } from './memory-session-storage';

/**
 * The storage driver over a {@link MemorySessionStorage}: DynamoDB's semantics for the
 * operations sessions use (conditions judged by the same condition values, scans in segments and
 * pages, queries of an index attribute), counted as the DynamoDB requests they stand for. It
 * holds no session behaviour: that is the repository's, the same over either driver.
 */
export class MemoryDriver implements StorageDriver {
  readonly #storage: MemorySessionStorage;
  readonly #hashKey: string;
  readonly #expiresAttribute: string;
  readonly #metrics: StoreMetrics;

  constructor(
    storage: MemorySessionStorage,
    attributes: { hashKey: string; expiresAttribute: string },
    metrics: StoreMetrics,
  ) {
    this.#storage = storage;
    this.#hashKey = attributes.hashKey;
    this.#expiresAttribute = attributes.expiresAttribute;
    this.#metrics = metrics;
  }

  async get(key: Item): Promise<Item | undefined> {
    this.#metrics.request('GetItem');
    return this.#read(key);
  }

  async put(item: Item, condition?: Condition): Promise<boolean> {
    this.#metrics.request('PutItem');
    if (condition && !holds(condition, this.#read(item))) return false;
    this.#storage.put(this.#keyOf(item), item);
    return true;
  }

  async update(
    key: Item,
    change: ItemChange,
    condition?: Condition,
    returnItem = false,
  ): Promise<Item | undefined> {
    this.#metrics.request('UpdateItem');
    const stored = this.#read(key);
    if (condition && !holds(condition, stored)) return undefined;
    const changed = applyChange(stored ?? key, change);
    this.#storage.put(this.#keyOf(key), changed);
    return returnItem ? structuredClone(changed) : {};
  }

  async delete(key: Item, condition?: Condition): Promise<boolean> {
    this.#metrics.request('DeleteItem');
    if (condition && !holds(condition, this.#read(key))) return false;
    this.#storage.delete(this.#keyOf(key));
    return true;
  }

  async scanPage(request: ScanPageRequest): Promise<ItemPage> {
    this.#metrics.request('Scan');
    const keys = this.#storage
      .keys()
      .filter((key) => segmentOf(key, request.segments) === request.segment)
      .sort();
    const start = request.start === undefined ? undefined : this.#keyOf(request.start);
    const from = start === undefined ? 0 : keys.findIndex((key) => key > start);
    const evaluated = from < 0 ? [] : keys.slice(from, from + (request.pageSize ?? keys.length));
    const items = evaluated
      .map((key) => this.#storage.get(key) as Item)
      .filter((item) => holds(request.filter, item))
      .map((item) => project(item, request.attributes));
    const last = evaluated.at(-1);
    const more = last !== undefined && from + evaluated.length < keys.length;
    return {
      items: request.countOnly ? [] : items,
      count: items.length,
      ...(more && { next: { [this.#hashKey]: { S: last } } }),
    };
  }

  async queryPage(request: QueryPageRequest): Promise<ItemPage> {
    this.#metrics.request('Query');
    const items = this.#storage
      .keys()
      .map((key) => this.#storage.get(key) as Item)
      .filter((item) => JSON.stringify(item[request.attribute]) === JSON.stringify(request.value))
      .filter((item) => holds(request.filter, item))
      .map((item) => structuredClone(item));
    return { items, count: items.length };
  }

  async writeBatch(puts: Item[], deletes: Item[]): Promise<number> {
    this.#metrics.request('BatchWriteItem');
    for (const item of puts) this.#storage.put(this.#keyOf(item), item);
    for (const key of deletes) this.#storage.delete(this.#keyOf(key));
    return 1;
  }

  async deleteExpired(keys: Item[], nowSeconds: number): Promise<BatchDeleteResult> {
    this.#metrics.request('BatchExecuteStatement');
    let deleted = 0;
    for (const key of keys) {
      const ttl = Number(this.#read(key)?.[this.#expiresAttribute]?.N ?? Number.NaN);
      if (ttl <= Math.floor(nowSeconds) && this.#storage.delete(this.#keyOf(key))) deleted++;
    }
    return { deleted, kept: keys.length - deleted, requests: 1 };
  }

  #read(key: Item): Item | undefined {
    const item = this.#storage.get(this.#keyOf(key));
    return item && structuredClone(item);
  }

  #keyOf(item: Item): string {
    return item[this.#hashKey]?.S ?? '';
  }
}

function segmentOf(key: string, segments: number): number {
  if (segments <= 1) return 0;
  let hash = 0;
  for (let index = 0; index < key.length; index++) {
    hash = (hash * 31 + key.charCodeAt(index)) >>> 0;
  }
  return hash % segments;
}

function project(item: Item, attributes: string[] | undefined): Item {
  if (!attributes) return structuredClone(item);
  return Object.fromEntries(
    attributes.filter((name) => item[name] !== undefined).map((name) => [name, item[name]]),
  ) as Item;
}
