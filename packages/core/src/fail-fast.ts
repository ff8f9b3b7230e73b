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
 * {@link SessionStoreError} instead of waiting the full timeout again (so a web request that
 * makes several calls waits at most one timeout). After that, one call goes through as a
 * probe while the others keep failing fast; its answer (any answer, an error included) closes
 * the circuit, its timeout opens it again.
 *
 * Usage: `before()` ahead of each call (it throws while the circuit is open), then
 * `onTimeout()` when the call timed out, or `onSuccess()` when it ended any other way.
 */
export class FailFast {
  readonly #openMs: number;
  readonly #now: () => number;
  #timedOutAt: number | undefined;
  #probing = false;

  constructor(options: FailFastOptions) {
    this.#openMs = options.openMs;
    this.#now = options.now ?? Date.now;
  }

  /** Whether calls fail fast at this moment (open, or a probe is under way). */
  get open(): boolean {
    if (this.#timedOutAt === undefined) return false;
    return this.#probing || this.#now() < this.#timedOutAt + this.#openMs;
  }

  /**
   * Throws a `TIMEOUT` {@link SessionStoreError} while the circuit is open or a probe is under
   * way; otherwise lets the call go (as the probe, after a timeout). `operation` names the call
   * for the message.
   */
  before(operation = 'the call'): void {
    if (this.#timedOutAt === undefined) return;
    const sinceMs = this.#now() - this.#timedOutAt;
    if (this.#probing || sinceMs < this.#openMs) {
      throw new SessionStoreError(
        'TIMEOUT',
        `${operation} failed fast: a DynamoDB call of this store timed out ${Math.max(0, Math.round(sinceMs))} ms ago ` +
          `(calls fail at once for ${this.#openMs} ms after a timeout, then one call probes)`,
      );
    }
    this.#probing = true;
  }

  /** Records that a call timed out: calls fail fast for `openMs` from now. */
  onTimeout(): void {
    this.#timedOutAt = this.#now();
    this.#probing = false;
  }

  /** Records that a call ended without timing out (DynamoDB answered): the circuit closes. */
  onSuccess(): void {
    this.#timedOutAt = undefined;
    this.#probing = false;
  }
}
