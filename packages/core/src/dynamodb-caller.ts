import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { abandonCall, stopRetriesOfAbandonedCalls } from './abandoned-calls';
import { isConditionFailure, type SessionStoreError, toSessionStoreError } from './errors';
import { FAIL_FAST_MAX_OPEN_MS, FailFast } from './fail-fast';
import { ResolvedHandlers } from './resolved-handlers';
import type { DiagnosticLog } from './session-logger';
import type { StoreMetrics } from './store-metrics';

/** A command as the SDK client sends it. */
type Command<Output> = Parameters<DynamoDBClient['send']>[0] & { readonly __output?: Output };

/** What a {@link DynamoDBCaller} needs. */
export interface DynamoDBCallerOptions {
  client: DynamoDBClient;
  table: string;
  requestTimeoutMs: number;
  /** Resolve the client's middleware once per command type (`cacheClientMiddleware`). */
  cacheClientMiddleware?: boolean;
  metrics: StoreMetrics;
  log: DiagnosticLog;
  /** Hears every failure that is not a condition check (the repository's `onError`). */
  report: (error: SessionStoreError) => void;
}

/**
 * Sends the commands of one repository: each bounded by `requestTimeoutMs` whatever the call is
 * doing, counted in the metrics, logged when logging is on, its failure turned into a
 * `SessionStoreError`. After a call timed out, calls fail at once with `TIMEOUT` for a second
 * (at most `requestTimeoutMs`), so a request that makes several calls to a silent endpoint waits
 * one timeout, not several.
 */
export class DynamoDBCaller {
  readonly #options: DynamoDBCallerOptions;
  readonly #failFast: FailFast;
  readonly #handlers: ResolvedHandlers | undefined;

  constructor(options: DynamoDBCallerOptions) {
    this.#options = options;
    stopRetriesOfAbandonedCalls(options.client);
    const cached = options.client.config?.cacheMiddleware === true;
    this.#handlers =
      options.cacheClientMiddleware && !cached ? ResolvedHandlers.of(options.client) : undefined;
    this.#failFast = new FailFast({
      openMs: Math.min(FAIL_FAST_MAX_OPEN_MS, options.requestTimeoutMs),
    });
  }

  /** Sends `command` as `operation` (GetItem, PutItem...), for the driver. */
  async send<Output>(operation: string, command: object): Promise<Output> {
    const { client, metrics, log, table } = this.#options;
    const started = log.enabled ? performance.now() : 0;
    const logCall = (outcome: string) =>
      log.write(`dynamodb ${operation}`, () => ({
        table,
        ms: Math.round((performance.now() - started) * 10) / 10,
        outcome,
      }));
    let output: Output;
    let startedAt: number | undefined;
    try {
      startedAt = this.#failFast.before(`${operation} on ${table}`);
      const call =
        this.#handlers === undefined
          ? (client.send(command as Command<Output>) as Promise<Output>)
          : this.#handlers.send<Output>(command);
      output = await this.#bounded(call, command);
    } catch (error) {
      const failure = toSessionStoreError(error, `${operation} on ${table}`);
      if (startedAt !== undefined) {
        metrics.request(operation);
        if (failure.code === 'TIMEOUT') this.#failFast.onTimeout(startedAt);
        else this.#failFast.onSuccess();
      }
      const conditionFailed = isConditionFailure(failure);
      logCall(conditionFailed ? 'condition not met' : failure.code);
      if (!conditionFailed) {
        metrics.error(failure.code);
        this.#options.report(failure);
      }
      throw failure;
    }
    this.#failFast.onSuccess();
    logCall('ok');
    metrics.request(operation, output);
    return output;
  }

  /**
   * `call`, or a TimeoutError after `requestTimeoutMs` whatever the call is doing (the SDK has no
   * bound of its own by default, and a call stuck before its HTTP handler, on a credentials
   * provider that never answers, would outlive any handler timeout). No abort signal is passed:
   * per-call options cost the SDK's middleware cache and an AbortController on every call; the
   * client's request timeout closes the socket of a call given up on, and the call is marked
   * abandoned, so the SDK sends no further attempt of it.
   */
  #bounded<Output>(call: Promise<Output>, command: object): Promise<Output> {
    const timeoutMs = this.#options.requestTimeoutMs;
    return new Promise<Output>((resolve, reject) => {
      const timer = setTimeout(() => {
        abandonCall(command);
        const error = new Error(`no answer within ${timeoutMs} ms`);
        error.name = 'TimeoutError';
        reject(error);
      }, timeoutMs);
      call.then(
        (output) => {
          clearTimeout(timer);
          resolve(output);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }
}
