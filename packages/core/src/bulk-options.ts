/** Options shared by the bulk operations. */
export interface BulkOptions {
  /** Parallel Scan segments. Default 4 for `reap`, 2 for `ids`, `all`, `length` and `clear`. */
  segments?: number;
  /** Upper bound on DynamoDB requests per second across the whole operation. Default none. */
  maxRequestsPerSecond?: number;
  /** Items evaluated per Scan request; default: DynamoDB's 1 MB pages (250 for `all()`). */
  pageSize?: number;
  /** Stops the operation between requests; it then rejects with code `ABORTED`. */
  signal?: AbortSignal;
}
