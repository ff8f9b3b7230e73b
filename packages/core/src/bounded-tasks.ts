/**
 * Runs tasks with at most `limit` in flight, keeping the first failure: `add` waits for a free
 * slot and, once a task has failed, starts no more; `finish` waits for the tasks in flight and
 * rethrows that failure. No task's rejection goes unhandled.
 */
export class BoundedTasks {
  readonly #limit: number;
  readonly #inFlight = new Set<Promise<void>>();
  #failure: { error: unknown } | undefined;

  constructor(limit: number | undefined, fallback = 4) {
    this.#limit = Number.isFinite(limit) ? Math.max(1, limit as number) : fallback;
  }

  /** True once a task has failed. */
  get failed(): boolean {
    return this.#failure !== undefined;
  }

  /** Starts `task` when a slot is free; returns without starting it after a failure. */
  async add(task: () => Promise<void>): Promise<void> {
    while (this.#inFlight.size >= this.#limit) await Promise.race(this.#inFlight);
    if (this.#failure) return;
    const running: Promise<void> = task()
      .catch((error: unknown) => {
        this.#failure ??= { error };
      })
      .finally(() => this.#inFlight.delete(running));
    this.#inFlight.add(running);
  }

  /** Records a failure that happened outside the tasks (the first one wins). */
  fail(error: unknown): void {
    this.#failure ??= { error };
  }

  /** Waits for every task in flight, then rethrows the first failure, if any. */
  async finish(): Promise<void> {
    await Promise.all(this.#inFlight);
    if (this.#failure) throw this.#failure.error;
  }
}
