/**
 * Spaces requests so that no more than `perSecond` start in any second (a simple token
 * bucket holding one second's worth). Without a rate it never waits.
 */
export class RateLimiter {
  readonly #intervalMs: number;
  #nextAt = 0;

  constructor(perSecond: number | undefined) {
    this.#intervalMs = perSecond && perSecond > 0 ? 1000 / perSecond : 0;
  }

  /** Resolves when the next request may start. */
  async take(): Promise<void> {
    if (this.#intervalMs === 0) return;
    const now = Date.now();
    const at = Math.max(now, this.#nextAt);
    this.#nextAt = at + this.#intervalMs;
    if (at > now) await new Promise((resolve) => setTimeout(resolve, at - now));
  }
}
