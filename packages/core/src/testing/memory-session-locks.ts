import { randomUUID } from 'node:crypto';
import { lockTimeoutError } from '../errors';
import { type LockHold, LockHolders, type LockOwners } from '../lock-holders';
import type { PessimisticLockingOptions } from '../session-lock';
import type { SessionItem } from '../session-repository';
import type { StoreMetrics } from '../store-metrics';
import type { MemorySessionStorage } from './memory-session-storage';

/**
 * Pessimistic locking on in-memory items, as the DynamoDB repository does it: a lease written
 * into the item (`lockOwner`, `lockExpires`), taken by a read, waited for (bounded) while another
 * holder's lease runs, and ended by the holder's write or release. Leases run on the
 * repository's clock; the wait for another holder runs on the real one.
 */
export class MemorySessionLocks {
  readonly #storage: MemorySessionStorage;
  readonly #now: () => number;
  readonly #metrics: StoreMetrics;
  readonly #leaseMs: number;
  readonly #waitMs: number;
  readonly #owner: string;
  readonly #lease: string;
  /** The requests of this process that hold or wait for a session's lock. */
  readonly holders: LockHolders;

  constructor(
    storage: MemorySessionStorage,
    options: Required<PessimisticLockingOptions>,
    now: () => number,
    metrics: StoreMetrics,
  ) {
    this.#storage = storage;
    this.#now = now;
    this.#metrics = metrics;
    this.#leaseMs = options.leaseMs;
    this.#waitMs = options.waitMs;
    this.#owner = options.ownerAttribute;
    this.#lease = options.expiresAttribute;
    this.holders = new LockHolders(this.#leaseMs, this.#waitMs, now);
  }

  /**
   * For a read of session `id` (its item under `key`): waits until no other request of this
   * process holds it, then locks and returns the item and the hold bound to `owners` (see
   * {@link LockHolders.lockedRead}).
   */
  lockAndRead(
    id: string,
    key: string,
    owners: LockOwners,
  ): Promise<{ item?: SessionItem; hold?: LockHold }> {
    return this.holders.lockedRead(id, (deadline) => this.acquire(key, deadline), owners);
  }

  /**
   * Locks the item under `key` and returns it with the lock's token, or `{}` when there is no
   * item. Rejects with `LOCK_TIMEOUT` at `deadline` (default: `waitMs` from now).
   */
  async acquire(
    key: string,
    deadline = Date.now() + this.#waitMs,
  ): Promise<{ item?: SessionItem; token?: string }> {
    const token = randomUUID();
    for (let attempt = 0; ; attempt++) {
      const now = this.#now();
      this.#metrics.request('UpdateItem');
      const item = this.#storage.get(key);
      if (item && !this.#leased(item, now)) {
        const locked: SessionItem = {
          ...item,
          [this.#owner]: { S: token },
          [this.#lease]: { N: String(now + this.#leaseMs) },
        };
        this.#storage.put(key, locked);
        return { item: locked, token };
      }
      this.#metrics.request('GetItem');
      if (!item) return {};
      if (Date.now() >= deadline) {
        throw lockTimeoutError(key, this.#waitMs);
      }
      const delay = Math.min(200, 20 * 2 ** attempt);
      await new Promise((resolve) => setTimeout(resolve, delay / 2 + Math.random() * (delay / 2)));
    }
  }

  /** Releases the lease `token` holds on the item under `key`, if it still does. */
  release(key: string, token: string): void {
    this.#metrics.request('UpdateItem');
    const item = this.#storage.get(key);
    if (item?.[this.#owner]?.S === token) this.#storage.put(key, this.unlocked(item));
  }

  /**
   * Whether a full write may replace `item`: by the holder of `token`, only while the item still
   * carries it; without a token, when there is no lease or an expired one.
   */
  mayReplace(item: SessionItem | undefined, token: string | undefined): boolean {
    return token === undefined ? this.mayWrite(item, undefined) : item?.[this.#owner]?.S === token;
  }

  /** Whether a write carrying `token` may change `item`: no lease, an expired one, or its own. */
  mayWrite(item: SessionItem | undefined, token: string | undefined): boolean {
    if (item === undefined || !this.#leased(item, this.#now())) return true;
    return token !== undefined && item[this.#owner]?.S === token;
  }

  /** A copy of `item` without the lock's attributes. */
  unlocked(item: SessionItem): SessionItem {
    const { [this.#owner]: _owner, [this.#lease]: _lease, ...rest } = item;
    return rest;
  }

  #leased(item: SessionItem, now: number): boolean {
    return item[this.#owner] !== undefined && !(Number(item[this.#lease]?.N) < now);
  }
}
