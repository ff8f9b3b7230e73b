import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { isConditionFailure, type SessionStoreError, toSessionStoreError } from './errors';
import { FAIL_FAST_MAX_OPEN_MS, FailFast } from './fail-fast';
import type { DiagnosticLog } from './session-logger';
import type { StoreMetrics } from './store-metrics';

/** A command as the SDK client sends it. */
type Command<Output> = Parameters<DynamoDBClient['send']>[0] & { readonly __output?: Output };

/** What a {@link DynamoDBCaller} needs. */
export interface DynamoDBCallerOptions {
  client: DynamoDBClient;
  table: string;
  requestTimeoutMs: number;
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
 * one timeout, not several. A per-call abort signal is given only to clients without
 * `cacheMiddleware` (any per-call option turns that cache off; a client the repository builds
 * bounds its sockets with its request handler's timeout instead).
 */
export class DynamoDBCaller {
  readonly #options: DynamoDBCallerOptions;
  readonly #passSignal: boolean;
  readonly #failFast: FailFast;

  constructor(options: DynamoDBCallerOptions) {
    this.#options = options;
    this.#failFast = new FailFast({
      openMs: Math.min(FAIL_FAST_MAX_OPEN_MS, options.requestTimeoutMs),
    });
    const config = options.client.config as { cacheMiddleware?: boolean } | undefined;
    this.#passSignal = config?.cacheMiddleware !== true;
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
    let sent = false;
    try {
      this.#failFast.before(`${operation} on ${table}`);
      sent = true;
      output = await this.#bounded(
        (options) => client.send(command as Command<Output>, options as never) as Promise<Output>,
      );
    } catch (error) {
      const failure = toSessionStoreError(error, `${operation} on ${table}`);
      if (sent) {
        metrics.request(operation);
        if (failure.code === 'TIMEOUT') this.#failFast.onTimeout();
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
   * Runs `send`, rejecting with a TimeoutError after `requestTimeoutMs` (the SDK heeds an abort
   * signal only inside its HTTP handler: a call stuck earlier, on a credentials provider that
   * never answers, would otherwise outlive the bound).
   */
  #bounded<Output>(
    send: (options?: { abortSignal: AbortSignal }) => Promise<Output>,
  ): Promise<Output> {
    const timeoutMs = this.#options.requestTimeoutMs;
    const controller = this.#passSignal ? new AbortController() : undefined;
    return new Promise<Output>((resolve, reject) => {
      const timer = setTimeout(() => {
        const error = new Error(`no answer within ${timeoutMs} ms`);
        error.name = 'TimeoutError';
        controller?.abort(error);
        reject(error);
      }, timeoutMs);
      const call = controller ? send({ abortSignal: controller.signal }) : send();
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
