import { lockTimeoutError } from './errors';

/** One request's turn at a session in this process; `leave` ends it (idempotent). */
export interface LockTurn {
  /** Ends the turn `leaseMs` from now unless it ended before (a request that never ends it). */
  startLease(leaseMs: number): void;
  leave(): void;
}

interface Lane {
  busy: boolean;
  waiters: Array<() => void>;
}

/**
 * The requests of one process that want a session's lock, one at a time per session id, in
 * arrival order. The table's lock keeps processes apart; this queue keeps the requests of one
 * process from polling the table against each other.
 */
export class LockQueue {
  readonly #lanes = new Map<string, Lane>();

  /** Waits for the turn at `id`, until `waitMs` have passed (then `LOCK_TIMEOUT`). */
  enter(id: string, waitMs: number, logged: string): Promise<LockTurn> {
    let lane = this.#lanes.get(id);
    if (!lane) {
      lane = { busy: false, waiters: [] };
      this.#lanes.set(id, lane);
    }
    const current = lane;
    if (!current.busy) {
      current.busy = true;
      return Promise.resolve(this.#turn(id, current));
    }
    return new Promise<LockTurn>((resolve, reject) => {
      const admit = () => {
        clearTimeout(timeout);
        resolve(this.#turn(id, current));
      };
      const timeout = setTimeout(() => {
        current.waiters.splice(current.waiters.indexOf(admit), 1);
        reject(lockTimeoutError(logged, waitMs));
      }, waitMs);
      current.waiters.push(admit);
    });
  }

  #turn(id: string, lane: Lane): LockTurn {
    let ended = false;
    let lease: NodeJS.Timeout | undefined;
    const leave = () => {
      if (ended) return;
      ended = true;
      clearTimeout(lease);
      const next = lane.waiters.shift();
      if (next) next();
      else {
        lane.busy = false;
        this.#lanes.delete(id);
      }
    };
    return {
      startLease: (leaseMs) => {
        if (!ended) lease = setTimeout(leave, leaseMs).unref();
      },
      leave,
    };
  }
}
