import { lockTimeoutError } from './errors';
import { MAX_TIMER_MS } from './options';

/**
 * One request's hold on a session's lock in this process, and the table lock's token it took.
 * The token is dropped when the request ends the hold itself (its later calls act as any
 * caller without a lock would) and kept when the hold ended otherwise (a destroy, an expired
 * lease), so that a late write of the request is refused if the table lock is no longer its.
 */
export interface LockHold {
  token?: string;
  /** Whether the hold has ended (its request's later calls act as calls without a lock). */
  ended?: boolean;
  /** The fingerprint of the data the request last wrote under this hold. */
  written?: string;
}

/**
 * The objects that stand for the request making a call (a koa context, express-session's
 * session object, the session data object the request read or writes); `undefined` entries
 * are skipped.
 */
export type LockOwners = ReadonlyArray<object | undefined>;

/**
 * How many more leases an expired hold is remembered while no other request of the process
 * wants the session, so that the late write of its request still carries its token.
 */
const KEPT_LEASES_AFTER_EXPIRY = 5;

/** How often a waiter reads an injected clock for the end of the holder's lease. */
const INJECTED_CLOCK_POLL_MS = 25;

interface Lane {
  hold: LockHold;
  lease?: NodeJS.Timeout;
  leaseEnds: number;
  waiters: Array<(hold: LockHold) => void>;
}

/**
 * The requests of one repository that hold, or wait for, the lock of a session: one holder per
 * session id at a time, the others queued in arrival order. The table's lock keeps processes
 * apart; this keeps the requests of one process from locking, writing or releasing a session at
 * the same time. A hold is bound to the objects that stand for its request ({@link LockOwners});
 * a call that names one of them acts on that request's hold, even after it ended, and a call
 * that names none acts on the session's current hold. A hold ends when the session is written,
 * touched, released or destroyed, or `leaseMs` after its table lock was taken (a request that
 * never ends it), as the table's lease does: on a timer, and on the clock `now` (for an
 * injected clock). An expired hold nobody waits for stays current a while, so that a late
 * write of its request that names no owner is still judged by the table's lock.
 */
export class LockHolders {
  readonly #lanes = new Map<string, Lane>();
  readonly #owned = new WeakMap<object, Map<string, LockHold>>();
  readonly #leaseMs: number;
  readonly #waitMs: number;
  readonly #now: () => number;
  readonly #injectedClock: boolean;

  constructor(leaseMs: number, waitMs: number, now?: () => number) {
    this.#leaseMs = leaseMs;
    this.#waitMs = waitMs;
    this.#now = now ?? Date.now;
    this.#injectedClock = now !== undefined;
  }

  /**
   * A locking read of `id`: waits (until `waitMs` from now) for the other holders of this
   * process, then runs `lock`, which locks the item in the table and returns it with the lock's
   * token. The hold keeps that token, and its lease starts, until the write, touch, release or
   * destroy that ends it, and is bound to `owners`; it ends at once when `lock` fails or finds
   * no item.
   */
  async lockedRead<Item>(
    id: string,
    lock: (deadline: number) => Promise<{ item?: Item; token?: string }>,
    owners: LockOwners = [],
  ): Promise<{ item?: Item; hold?: LockHold }> {
    const deadline = Date.now() + this.#waitMs;
    const hold = await this.#enter(id, deadline);
    let locked: { item?: Item; token?: string };
    try {
      locked = await lock(deadline);
    } catch (error) {
      this.leave(id, hold);
      throw error;
    }
    if (locked.token === undefined) {
      this.leave(id, hold);
      return { item: locked.item };
    }
    hold.token = locked.token;
    this.#startLease(id, hold);
    this.bind(id, hold, owners);
    return { item: locked.item, hold };
  }

  /** Binds `owners` to `hold` on `id`: their later calls for `id` act on it. */
  bind(id: string, hold: LockHold | undefined, owners: LockOwners): void {
    if (!hold) return;
    for (const owner of owners) {
      if (owner === undefined) continue;
      const holds = this.#owned.get(owner) ?? new Map<string, LockHold>();
      holds.set(id, hold);
      this.#owned.set(owner, holds);
    }
  }

  /** Binds `to` to every hold `from` is bound to (a framework copied the data into `to`). */
  share(from: object, to: object): void {
    const holds = this.#owned.get(from);
    if (holds) this.#owned.set(to, new Map([...(this.#owned.get(to) ?? []), ...holds]));
  }

  /**
   * The hold a call for `id` by `owners` acts on: the one bound to the first owner that has
   * one (ended or not), else the session's current hold once it has its token (not while its
   * request is still locking the item); every owner is then bound to it.
   */
  holdFor(id: string, owners: LockOwners): LockHold | undefined {
    let hold: LockHold | undefined;
    for (const owner of owners) {
      hold ??= owner === undefined ? undefined : this.#owned.get(owner)?.get(id);
    }
    hold ??= this.#lanes.get(id)?.hold;
    if (hold?.token === undefined && hold === this.#lanes.get(id)?.hold) return undefined;
    this.bind(id, hold, owners);
    return hold;
  }

  /**
   * Whether `owners` stand for a request whose hold on `id` has ended after it wrote data with
   * this `fingerprint`: writing it again would only overwrite what came since.
   */
  wroteBefore(id: string, owners: LockOwners, fingerprint: string): boolean {
    const hold = this.holdFor(id, owners);
    return hold?.ended === true && hold.written === fingerprint;
  }

  /**
   * Ends `hold` on `id` and admits the next waiter; does nothing when `hold` has already ended.
   * The hold's token is dropped unless `keepToken` (see {@link LockHold}).
   */
  leave(id: string, hold: LockHold | undefined, keepToken = false): void {
    const lane = this.#lanes.get(id);
    if (!lane || !hold || lane.hold !== hold) return;
    hold.ended = true;
    if (!keepToken) hold.token = undefined;
    clearTimeout(lane.lease);
    const next = lane.waiters.shift();
    if (!next) {
      this.#lanes.delete(id);
      return;
    }
    const nextHold: LockHold = {};
    Object.assign(lane, { hold: nextHold, lease: undefined, leaseEnds: Number.POSITIVE_INFINITY });
    next(nextHold);
  }

  #enter(id: string, deadline: number): Promise<LockHold> {
    this.#endExpired(id);
    const lane = this.#lanes.get(id);
    if (!lane) {
      const hold: LockHold = {};
      this.#lanes.set(id, { hold, leaseEnds: Number.POSITIVE_INFINITY, waiters: [] });
      return Promise.resolve(hold);
    }
    return new Promise<LockHold>((resolve, reject) => {
      const clock = this.#injectedClock
        ? setInterval(() => this.#endExpired(id), INJECTED_CLOCK_POLL_MS).unref()
        : undefined;
      const admit = (hold: LockHold) => {
        clearTimeout(timeout);
        clearInterval(clock);
        resolve(hold);
      };
      const timeout = setTimeout(
        () => {
          clearInterval(clock);
          lane.waiters.splice(lane.waiters.indexOf(admit), 1);
          reject(lockTimeoutError(id, this.#waitMs));
        },
        Math.max(0, deadline - Date.now()),
      );
      lane.waiters.push(admit);
    });
  }

  #endExpired(id: string): void {
    const lane = this.#lanes.get(id);
    if (lane && this.#now() >= lane.leaseEnds) this.leave(id, lane.hold, true);
  }

  #startLease(id: string, hold: LockHold): void {
    const lane = this.#lanes.get(id);
    if (lane?.hold !== hold) return;
    lane.leaseEnds = this.#now() + this.#leaseMs;
    lane.lease = setTimeout(() => this.#expire(id, hold), this.#leaseMs).unref();
  }

  #expire(id: string, hold: LockHold): void {
    const lane = this.#lanes.get(id);
    if (lane?.hold !== hold) return;
    if (lane.waiters.length > 0) {
      this.leave(id, hold, true);
      return;
    }
    lane.lease = setTimeout(
      () => this.leave(id, hold, true),
      Math.min(this.#leaseMs * KEPT_LEASES_AFTER_EXPIRY, MAX_TIMER_MS),
    ).unref();
  }
}
