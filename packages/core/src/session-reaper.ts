import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { BATCH_SIZE, deleteBatch } from './batch-delete';
import { BoundedTasks } from './bounded-tasks';
import { RateLimiter } from './rate-limiter';
import type { BulkOptions, TableContext } from './table-context';
import { scanSessions } from './table-scan';

/** Options of {@link reapExpiredSessions}. */
export interface ReapOptions extends BulkOptions {
  /** Delete batches in flight at once. Default 4. */
  concurrency?: number;
  /** Called after every scan page and every batch with the counts so far. */
  onProgress?: (progress: ReapProgress) => void;
  /** Retries of throttled or unprocessed deletes per batch. Default 8. */
  maxRetries?: number;
}

/** Counts of a cleanup so far. */
export interface ReapProgress {
  /** Expired sessions found by the scan. */
  found: number;
  /** Sessions deleted. */
  deleted: number;
  /** Sessions found expired but renewed before their delete, and so kept. */
  kept: number;
  /** Scan requests sent. */
  scanRequests: number;
  /** Delete requests sent (batches, retries included). */
  deleteRequests: number;
}

/** What a cleanup did. `interrupted` when its signal stopped it; every sent batch is counted. */
export interface ReapResult extends ReapProgress {
  interrupted: boolean;
}

/** The progress of a reap that has not started: every count at zero. */
export function noReapProgress(): ReapProgress {
  return { found: 0, deleted: 0, kept: 0, scanRequests: 0, deleteRequests: 0 };
}

/**
 * Deletes the expired sessions of the context's prefix: a parallel Scan (key and expiry only)
 * feeding full batches of 25 conditional deletes (keys carried across scan pages, so n expired
 * sessions take ⌈n / 25⌉ batches), at most `concurrency` in flight. A session renewed
 * between the scan and its delete is kept. On abort it stops scanning, waits for the batches
 * already sent, and resolves with `interrupted: true`.
 */
export async function reapExpiredSessions(
  context: TableContext,
  options: ReapOptions = {},
): Promise<ReapResult> {
  const limiter = new RateLimiter(options.maxRequestsPerSecond);
  const fallback = { useSingleDeletes: false };
  const progress = noReapProgress();
  const tasks = new BoundedTasks(options.concurrency);
  const report = () => options.onProgress?.({ ...progress });

  const send = async (keys: AttributeValue[]) => {
    const result = await deleteBatch(
      context,
      keys,
      { onlyIfExpired: true, limiter, maxRetries: options.maxRetries },
      fallback,
    );
    progress.deleted += result.deleted;
    progress.kept += result.kept;
    progress.deleteRequests += result.requests;
    report();
  };
  const schedule = (keys: AttributeValue[]) =>
    tasks.add(() => (options.signal?.aborted ? Promise.resolve() : send(keys)));

  let interrupted = false;
  const pending: AttributeValue[] = [];
  try {
    const pages = scanSessions(context, {
      filter: 'expired',
      keysOnly: true,
      segments: options.segments ?? 4,
      pageSize: options.pageSize,
      limiter,
      signal: options.signal,
    });
    for await (const page of pages) {
      progress.scanRequests++;
      const keys = page.items.flatMap((item) => {
        const key = item[context.options.hashKey];
        return key?.S ? [key] : [];
      });
      progress.found += keys.length;
      report();
      pending.push(...keys);
      while (pending.length >= BATCH_SIZE && !options.signal?.aborted) {
        await schedule(pending.splice(0, BATCH_SIZE));
      }
      if (options.signal?.aborted) interrupted = true;
      if (tasks.failed || interrupted) break;
    }
    if (!interrupted && !tasks.failed && pending.length > 0) await schedule(pending);
  } catch (error) {
    if ((error as { code?: string }).code !== 'ABORTED') tasks.fail(error);
    else interrupted = true;
  }
  await tasks.finish();
  return { ...progress, interrupted };
}
