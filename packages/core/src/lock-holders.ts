import { lockTimeoutError } from './errors';
import { MAX_TIMER_MS } from './options';

/** One request's hold on a session's lock in this process, and the table lock's token it took. */
export interface LockHold {
  token?: string;
}

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
 * the same time. A hold belongs to the session id, not to a request: a call for that id acts on
 * the current hold, whoever makes it. A hold ends when the session is written, touched,
 * released or destroyed, or `leaseMs` after its table lock was taken (a request that never ends
 * it), as the table's lease does: on a timer, and on the clock `now` (for an injected clock).
 * An expired hold nobody waits for keeps its token a while, so that a late write of its request
 * is still judged by the table's lock (`CONFLICT` when another process took it meanwhile).
 */
export class LockHolders {
  readonly #lanes = new Map<string, Lane>();
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
   * destroy that ends it; it ends at once when `lock` fails or finds no item.
   */
  async lockedRead<Item>(
    id: string,
    lock: (deadline: number) => Promise<{ item?: Item; token?: string }>,
  ): Promise<Item | undefined> {
    const deadline = Date.now() + this.#waitMs;
    const hold = await this.#enter(id, deadline);
    let locked: { item?: Item; token?: string };
    try {
      locked = await lock(deadline);
    } catch (error) {
      this.leave(id, hold);
      throw error;
    }
    if (locked.token === undefined) this.leave(id, hold);
    else {
      hold.token = locked.token;
      this.#startLease(id, hold);
    }
    return locked.item;
  }

  /** The hold on `id`, if a request of this process has one. */
  current(id: string): LockHold | undefined {
    return this.#lanes.get(id)?.hold;
  }

  /** Ends `hold` on `id` and admits the next waiter; does nothing when `hold` has already ended. */
  leave(id: string, hold: LockHold | undefined): void {
    const lane = this.#lanes.get(id);
    if (!lane || !hold || lane.hold !== hold) return;
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
    if (lane && this.#now() >= lane.leaseEnds) this.leave(id, lane.hold);
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
      this.leave(id, hold);
      return;
    }
    lane.lease = setTimeout(
      () => this.leave(id, hold),
      Math.min(this.#leaseMs * KEPT_LEASES_AFTER_EXPIRY, MAX_TIMER_MS),
    ).unref();
  }
}
