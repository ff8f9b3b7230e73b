import { lockTimeoutError } from './errors';

/** One request's turn at a session in this process; `leave` ends it (idempotent). */
export interface LockTurn {
  /** Ends the turn `leaseMs` from now (on the queue's clock) unless it ended before. */
  startLease(leaseMs: number): void;
  leave(): void;
}

interface Lane {
  leaseEnds: number;
  leave: () => void;
  waiters: Array<() => void>;
}

/** How often a waiter looks at the clock for the end of the holder's lease. */
const CLOCK_CHECK_MS = 25;

/**
 * The requests of one process that want a session's lock, one at a time per session id, in
 * arrival order. The table's lock keeps processes apart; this queue keeps the requests of one
 * process from polling the table against each other. A turn whose lease has passed on the clock
 * (a request that never ended it) gives way, as the table's lease does.
 */
export class LockQueue {
  readonly #lanes = new Map<string, Lane>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** Waits for the turn at `id`, until `waitMs` have passed (then `LOCK_TIMEOUT`). */
  enter(id: string, waitMs: number, logged: string): Promise<LockTurn> {
    this.#endExpired(id);
    const lane = this.#lanes.get(id);
    if (!lane) return Promise.resolve(this.#open(id));
    return new Promise<LockTurn>((resolve, reject) => {
      const done = () => {
        clearTimeout(timeout);
        clearInterval(clock);
      };
      const admit = () => {
        done();
        resolve(this.#turn(id, lane));
      };
      const timeout = setTimeout(() => {
        done();
        lane.waiters.splice(lane.waiters.indexOf(admit), 1);
        reject(lockTimeoutError(logged, waitMs));
      }, waitMs);
      const clock = setInterval(() => this.#endExpired(id), CLOCK_CHECK_MS);
      lane.waiters.push(admit);
    });
  }

  #open(id: string): LockTurn {
    const lane: Lane = { leaseEnds: Number.POSITIVE_INFINITY, leave: () => {}, waiters: [] };
    this.#lanes.set(id, lane);
    return this.#turn(id, lane);
  }

  #turn(id: string, lane: Lane): LockTurn {
    let ended = false;
    let lease: NodeJS.Timeout | undefined;
    const leave = () => {
      if (ended) return;
      ended = true;
      clearTimeout(lease);
      if (this.#lanes.get(id) !== lane) return;
      lane.leaseEnds = Number.POSITIVE_INFINITY;
      const next = lane.waiters.shift();
      if (next) next();
      else this.#lanes.delete(id);
    };
    lane.leave = leave;
    return {
      startLease: (leaseMs) => {
        if (ended) return;
        lane.leaseEnds = this.#now() + leaseMs;
        lease = setTimeout(leave, leaseMs).unref();
      },
      leave,
    };
  }

  #endExpired(id: string): void {
    const lane = this.#lanes.get(id);
    if (lane && this.#now() >= lane.leaseEnds) lane.leave();
  }
}
