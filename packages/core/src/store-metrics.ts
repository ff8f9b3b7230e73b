import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import type { SessionStoreErrorCode } from './errors';

/** Counters of a repository's DynamoDB traffic, for an app's metrics system. */
export interface StoreMetricsSnapshot {
  /** Requests sent, by operation (GetItem, PutItem, ...), failures included. */
  requests: Record<string, number>;
  /** Failed requests, by error code. Conditional checks that are part of normal work are not counted. */
  errors: Partial<Record<SessionStoreErrorCode, number>>;
  /** Capacity units DynamoDB reported (with `returnConsumedCapacity: true`). */
  consumedCapacity: { read: number; write: number };
}

const READ_OPERATIONS = new Set(['GetItem', 'Scan', 'Query', 'BatchGetItem']);

/** Accumulates {@link StoreMetricsSnapshot} counters. */
export class StoreMetrics {
  readonly #requests: Record<string, number> = {};
  readonly #errors: Partial<Record<SessionStoreErrorCode, number>> = {};
  readonly #capacity = { read: 0, write: 0 };

  /** Counts one request of `operation`, and the capacity its output reports. */
  request(operation: string, output?: unknown): void {
    this.#requests[operation] = (this.#requests[operation] ?? 0) + 1;
    const consumed = (output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] })
      ?.ConsumedCapacity;
    for (const entry of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
      const units = entry.CapacityUnits ?? 0;
      if (READ_OPERATIONS.has(operation)) this.#capacity.read += units;
      else this.#capacity.write += units;
    }
  }

  /** Counts one failure with `code`. */
  error(code: SessionStoreErrorCode): void {
    this.#errors[code] = (this.#errors[code] ?? 0) + 1;
  }

  /** A copy of the counters. */
  snapshot(): StoreMetricsSnapshot {
    return {
      requests: { ...this.#requests },
      errors: { ...this.#errors },
      consumedCapacity: { ...this.#capacity },
    };
  }
}
