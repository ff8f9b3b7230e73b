import type { Item as SessionItem } from '../conditions';

/**
 * The items of an in-memory sessions table, keyed by their table key (`prefix` + id), each in
 * the layout DynamoDB would hold it (`{ id: { S }, expires: { N }, sess: { S } }`). Repositories
 * with different prefixes that share one storage behave like stores sharing one table.
 */
export class MemorySessionStorage {
  readonly #items = new Map<string, SessionItem>();

  /** The item under table key `key`, expired or not, if there is one. */
  get(key: string): SessionItem | undefined {
    return this.#items.get(key);
  }

  /** Stores a copy of `item` under `key`, replacing what was there. */
  put(key: string, item: SessionItem): void {
    this.#items.set(key, structuredClone(item));
  }

  /** Deletes the item under `key`; true when there was one. */
  delete(key: string): boolean {
    return this.#items.delete(key);
  }

  /** Every table key, in insertion order (expired items included). */
  keys(): string[] {
    return [...this.#items.keys()];
  }
}
