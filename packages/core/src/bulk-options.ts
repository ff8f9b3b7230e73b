/** Options shared by the bulk operations. */
export interface BulkOptions {
  /** Parallel Scan segments. Default 4 for `reap` and `length`, 2 for `ids`, `keys`, `all` and `clear`. */
  segments?: number;
  /** Upper bound on DynamoDB requests per second across the whole operation. Default none. */
  maxRequestsPerSecond?: number;
  /** Items evaluated per Scan request; default 1000 for key listings, 250 for `all()`, else DynamoDB's 1 MB pages. */
  pageSize?: number;
  /** Stops the operation between requests; it then rejects with code `ABORTED`. */
  signal?: AbortSignal;
}
