import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { BoundedTasks } from './bounded-tasks';
import type { BulkOptions } from './bulk-options';
import {
  and,
  beginsWith,
  type Condition,
  compare,
  exists,
  type Item,
  missing,
  or,
} from './conditions';
import { SessionStoreError } from './errors';
import { indexedAttribute } from './index-attributes';
import type { ItemCodec } from './item-codec';
import type { ResolvedSessionRepositoryOptions } from './options';
import { RateLimiter } from './rate-limiter';
import type { SessionData } from './session-data';
import { fromSessionKey } from './session-key';
import { BATCH_SIZE, type ItemPage, type StorageDriver } from './storage-driver';

/**
 * A session's key as stored in the table (prefix included): what listings yield when ids are
 * hashed at rest. `get` does not take it; {@link SessionBulk.destroyKey} does.
 */
export type StoredSessionKey = string & { readonly __storedSessionKey: true };

/** One live session of a listing: its id (unless ids are hashed), its stored key, its data. */
export interface SessionEntry<Data> {
  /** The session id; `undefined` with `hashSessionIds`, whose table holds only hashes. */
  id: string | undefined;
  key: StoredSessionKey;
  data: Data;
}

/** Options of a reap (see {@link SessionBulk.reap}). */
export interface ReapOptions extends BulkOptions {
  /** Delete batches in flight at once. Default 4. */
  concurrency?: number;
  /** Called after every scan page and every batch with the counts so far. */
  onProgress?: (progress: ReapProgress) => void;
}

/** Counts of a cleanup so far. */
export interface ReapProgress {
  /** Expired sessions found by the scan. */
  found: number;
  /** Sessions deleted. */
  deleted: number;
  /** Sessions found expired but renewed before their delete, and so kept. */
  kept: number;
  /** Scan requests sent. */
  scanRequests: number;
  /** Delete requests sent (batches, retries included). */
  deleteRequests: number;
}

/** What a cleanup did. `interrupted` when its signal stopped it; every sent batch is counted. */
export interface ReapResult extends ReapProgress {
  interrupted: boolean;
}

/** The progress of a reap that has not started: every count at zero. */
function noReapProgress(): ReapProgress {
  return { found: 0, deleted: 0, kept: 0, scanRequests: 0, deleteRequests: 0 };
}

/**
 * The operations on all the sessions of one prefix, over a storage driver: listings, counting,
 * clearing, reaping expired sessions and destroying by an index attribute. Every one sees every
 * item whose key starts with the prefix, hashed or not; apps sharing a table keep apart by
 * prefixes of which neither starts the other.
 */
export class SessionBulk {
  readonly #driver: StorageDriver;
  readonly #codec: ItemCodec;
  readonly #options: Readonly<ResolvedSessionRepositoryOptions>;
  readonly #now: () => number;

  constructor(
    driver: StorageDriver,
    codec: ItemCodec,
    options: Readonly<ResolvedSessionRepositoryOptions>,
    now: () => number,
  ) {
    this.#driver = driver;
    this.#codec = codec;
    this.#options = options;
    this.#now = now;
  }

  /** The ids of the live sessions; `UNSUPPORTED` with `hashSessionIds` (use {@link keys}). */
  async *ids(options: BulkOptions = {}): AsyncGenerator<string> {
    this.#assertPlainIds('ids()');
    for await (const key of this.keys(options)) yield this.#idOf(key) as string;
  }

  /** The stored keys of the live sessions. */
  async *keys(options: BulkOptions = {}): AsyncGenerator<StoredSessionKey> {
    const pages = this.#scan(this.#live(), options, 2, 1000, [this.#options.hashKey]);
    for await (const page of pages) {
      for (const item of page.items) yield item[this.#options.hashKey]?.S as StoredSessionKey;
    }
  }

  /** The live sessions with their data (unreadable ones are reported and skipped). */
  async *all(
    parse: (item: Item) => SessionData | null,
    options: BulkOptions = {},
  ): AsyncGenerator<SessionEntry<SessionData>> {
    for await (const page of this.#scan(this.#live(), options, 2, 250)) {
      for (const item of page.items) {
        const data = parse(item);
        const key = item[this.#options.hashKey]?.S as StoredSessionKey;
        if (data !== null) yield { id: this.#idOf(key), key, data };
      }
    }
  }

  /** How many live sessions there are (a COUNT scan). */
  async length(options: BulkOptions = {}): Promise<number> {
    let count = 0;
    for await (const page of this.#scan(this.#live(), options, 4, undefined, undefined, true)) {
      count += page.count;
    }
    return count;
  }

  /** Deletes every item of the prefix (expired ones and tombstones included). */
  clear(options: BulkOptions = {}): Promise<number> {
    const keys = this.#keysOf(
      this.#scan(this.#prefixed(), options, 2, 1000, [this.#options.hashKey]),
    );
    return this.#inBatches(keys, options, async (batch) => {
      await this.#driver.writeBatch([], batch);
      return batch.length;
    });
  }

  /** Destroys (with tombstones) the live sessions whose index attribute `name` is `value`. */
  destroyByAttribute(name: string, value: string | number, options: BulkOptions = {}) {
    const now = this.#now();
    return this.#inBatches(
      this.#keysOf(this.#query(name, value, options)),
      options,
      async (batch) => {
        await this.#driver.writeBatch(
          batch.map((key) => this.#codec.tombstone(key, now)),
          [],
        );
        return batch.length;
      },
    );
  }

  /** The ids of the live sessions whose index attribute `name` is `value`. */
  async *idsByAttribute(name: string, value: string | number, options: BulkOptions = {}) {
    this.#assertPlainIds('idsByAttribute()');
    for await (const page of this.#query(name, value, options)) {
      for (const item of page.items) {
        yield this.#idOf(item[this.#options.hashKey]?.S as string) as string;
      }
    }
  }

  /**
   * Deletes the expired sessions DynamoDB's TTL has not removed yet: a parallel scan of keys
   * feeding batches of 25 deletes, each conditional on the item still being expired.
   */
  async reap(options: ReapOptions = {}): Promise<ReapResult> {
    const progress = noReapProgress();
    const report = () => options.onProgress?.({ ...progress });
    const expired = and(
      beginsWith(this.#options.hashKey, this.#options.prefix),
      compare(this.#options.expiresAttribute, '<=', { N: String(Math.floor(this.#now() / 1000)) }),
    ) as Condition;
    const driver = this.#driver;
    const scan = this.#scan(expired, options, 4, undefined, [this.#options.hashKey]);
    async function* counted() {
      for await (const page of scan) {
        progress.scanRequests++;
        progress.found += page.items.length;
        report();
        yield page;
      }
    }
    let interrupted = false;
    try {
      await this.#inBatches(this.#keysOf(counted()), options, async (batch) => {
        const result = await driver.deleteExpired(batch, this.#now() / 1000);
        progress.deleted += result.deleted;
        progress.kept += result.kept;
        progress.deleteRequests += result.requests;
        report();
        return result.deleted;
      });
    } catch (error) {
      if (!(error instanceof SessionStoreError && error.code === 'ABORTED')) throw error;
      interrupted = true;
    }
    return { ...progress, interrupted: interrupted || options.signal?.aborted === true };
  }

  /** Destroys the session stored under `key` (from {@link keys} or a listing). */
  async destroyKey(key: StoredSessionKey): Promise<void> {
    if (typeof key !== 'string' || fromSessionKey(this.#options.prefix, key) === undefined) {
      throw new SessionStoreError('INVALID_SESSION_ID', 'the key is not one of this prefix');
    }
    const item = { [this.#options.hashKey]: { S: key } };
    await this.#driver.put(this.#codec.tombstone(item, this.#now()));
  }

  #idOf(key: string): string | undefined {
    return this.#options.hashSessionIds ? undefined : fromSessionKey(this.#options.prefix, key);
  }

  #assertPlainIds(call: string): void {
    if (this.#options.hashSessionIds) {
      throw new SessionStoreError(
        'UNSUPPORTED',
        `${call} cannot list ids with hashSessionIds: the table holds only their hashes (use keys())`,
      );
    }
  }

  #prefixed(): Condition {
    return beginsWith(this.#options.hashKey, this.#options.prefix);
  }

  /** Live sessions of the prefix; an index projects no data, but holds no tombstone either. */
  #live(withData = true): Condition {
    const { dataAttribute, expiresAttribute } = this.#options;
    const now = { N: String(this.#now() / 1000) };
    return and(
      this.#prefixed(),
      withData ? exists(dataAttribute) : undefined,
      or(missing(expiresAttribute), compare(expiresAttribute, '>', now)),
    ) as Condition;
  }

  async *#query(name: string, value: string | number, options: BulkOptions) {
    const attribute = indexedAttribute(this.#options.indexAttributes, name);
    const limiter = new RateLimiter(options.maxRequestsPerSecond);
    const typed: AttributeValue =
      attribute.type === 'N'
        ? { N: String(value) }
        : attribute.type === 'B'
          ? { B: Buffer.from(String(value), 'base64') }
          : { S: String(value) };
    let start: Item | undefined;
    do {
      throwIfAborted(options.signal);
      await limiter.take();
      const page = await this.#driver.queryPage({
        index: attribute.index as string,
        attribute: name,
        value: typed,
        filter: this.#live(false),
        start,
      });
      yield page;
      start = page.next;
    } while (start);
  }

  /** Pages of a parallel scan, `segments` at a time, as they arrive. */
  async *#scan(
    filter: Condition,
    options: BulkOptions,
    defaultSegments: number,
    defaultPageSize?: number,
    attributes?: string[],
    countOnly = false,
  ): AsyncGenerator<ItemPage> {
    const segments = Math.max(1, Math.floor(options.segments ?? defaultSegments));
    const limiter = new RateLimiter(options.maxRequestsPerSecond);
    const driver = this.#driver;
    const pageSize = options.pageSize ?? defaultPageSize;
    async function* segment(index: number): AsyncGenerator<ItemPage> {
      let start: Item | undefined;
      do {
        throwIfAborted(options.signal);
        await limiter.take();
        const page = await driver.scanPage({
          filter,
          attributes,
          countOnly,
          segment: index,
          segments,
          pageSize,
          start,
        });
        yield page;
        start = page.next;
      } while (start);
    }
    yield* merge(Array.from({ length: segments }, (_, index) => segment(index)));
  }

  async *#keysOf(pages: AsyncIterable<ItemPage>): AsyncGenerator<Item> {
    for await (const page of pages) {
      for (const item of page.items) yield this.#codec.keyOf(item);
    }
  }

  /** Runs `write` on batches of 25 keys, `concurrency` (default 4) in flight; the sum it returns. */
  async #inBatches(
    keys: AsyncIterable<Item>,
    options: BulkOptions & { concurrency?: number },
    write: (batch: Item[]) => Promise<number>,
  ): Promise<number> {
    const tasks = new BoundedTasks(options.concurrency);
    const limiter = new RateLimiter(options.maxRequestsPerSecond);
    let done = 0;
    let batch: Item[] = [];
    const flush = (keysOfBatch: Item[]) =>
      tasks.add(async () => {
        await limiter.take();
        const written = await write(keysOfBatch);
        done += written;
      });
    try {
      for await (const key of keys) {
        throwIfAborted(options.signal);
        if (tasks.failed) break;
        batch.push(key);
        if (batch.length === BATCH_SIZE) {
          await flush(batch);
          batch = [];
        }
      }
      if (batch.length > 0 && !tasks.failed) await flush(batch);
    } catch (error) {
      tasks.fail(error);
    }
    await tasks.finish();
    return done;
  }
}

/** Throws a SessionStoreError with code `ABORTED` when `signal` has been aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new SessionStoreError('ABORTED', 'the operation was interrupted', {
      cause: signal.reason,
    });
  }
}

/** The items of several async iterators, as they arrive, one pending `next` per iterator. */
async function* merge<T>(iterators: AsyncGenerator<T>[]): AsyncGenerator<T> {
  const pending = new Map<number, Promise<{ index: number; result: IteratorResult<T> }>>();
  const pull = (index: number) => {
    const iterator = iterators[index] as AsyncGenerator<T>;
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
