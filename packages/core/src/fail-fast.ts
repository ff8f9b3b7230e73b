import { SessionStoreError } from './errors';

/** How long calls fail fast after a timeout, at most: one second. */
export const FAIL_FAST_MAX_OPEN_MS = 1_000;

/** Options of {@link FailFast}. */
export interface FailFastOptions {
  /** How long calls fail fast after a call timed out, in milliseconds. */
  openMs: number;
  /** The clock, in epoch milliseconds. Default `Date.now`. */
  now?: () => number;
}

/**
 * A small circuit breaker for calls that time out. Once a call has timed out, the endpoint is
 * presumed silent: for `openMs` every call fails at once with a `TIMEOUT`
 * {@link SessionStoreError} instead of waiting the full timeout again, so a web request that
 * makes several calls waits at most one timeout. After that, calls go through again and probe:
 * the first answer (any answer, an error included) closes the circuit, the next timeout opens
 * it again. (Letting every call probe, rather than one, costs nothing while DynamoDB is silent,
 * since each waits one timeout at most, and fails no request once it answers again.)
 *
 * Usage: `before()` ahead of each call (it throws while the circuit is open, and returns the
 * call's start), then `onTimeout(start)` when the call timed out, or `onSuccess()` when it ended
 * any other way. A timeout of a call that started before another call's answer opens nothing:
 * the endpoint answered since (a slow scan page is not a silent endpoint).
 */
export class FailFast {
  readonly #openMs: number;
  readonly #now: () => number;
  #timedOutAt: number | undefined;
  #answeredAt: number | undefined;

  constructor(options: FailFastOptions) {
    this.#openMs = options.openMs;
    this.#now = options.now ?? Date.now;
  }

  /** Whether calls fail fast at this moment. */
  get open(): boolean {
    return this.#timedOutAt !== undefined && this.#now() < this.#timedOutAt + this.#openMs;
  }

  /**
   * Throws a `TIMEOUT` {@link SessionStoreError} while the circuit is open; otherwise lets the
   * call go, and returns its start on the circuit's clock. `operation` names the call for the
   * message.
   */
  before(operation = 'the call'): number {
    const now = this.#now();
    if (this.#timedOutAt === undefined) return now;
    const sinceMs = now - this.#timedOutAt;
    if (sinceMs < this.#openMs) {
      throw new SessionStoreError(
        'TIMEOUT',
        `${operation} failed fast: a DynamoDB call of this store timed out ${Math.max(0, Math.round(sinceMs))} ms ago ` +
          `(calls fail at once for ${this.#openMs} ms after a timeout, then probe again)`,
      );
    }
    return now;
  }

  /**
   * Records that a call started at `startedAt` (default: unknown) timed out: calls fail fast for
   * `openMs` from now, unless another call got an answer after it started.
   */
  onTimeout(startedAt?: number): void {
    const answeredSince =
      startedAt !== undefined && this.#answeredAt !== undefined && this.#answeredAt > startedAt;
    if (!answeredSince) this.#timedOutAt = this.#now();
  }

  /** Records that a call ended without timing out (DynamoDB answered): the circuit closes. */
  onSuccess(): void {
    this.#timedOutAt = undefined;
    this.#answeredAt = this.#now();
  }
}
