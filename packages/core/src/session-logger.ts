import { createHash } from 'node:crypto';
import createDebug from 'debug';

/**
 * Where the repository's diagnostics go: any object with a `debug(message, details)` method,
 * such as `console`, a pino or winston logger. Messages never carry session data, keys or
 * secrets; a session id appears only as {@link loggedSessionId}.
 */
export interface SessionLogger {
  debug(message: string, details?: Record<string, unknown>): void;
}

/** The `debug` namespace the repository logs under when no `logger` option is given. */
export const DEBUG_NAMESPACE = 'dynamodb-session';

/** Details of a log line, computed only when the line is written. */
export type LogDetails = () => Record<string, unknown>;

/**
 * A switchable log of the repository's work: off unless a `logger` is given or the `debug`
 * namespace is enabled (`DEBUG=dynamodb-session`), and cheap when off (details are not built).
 */
export class DiagnosticLog {
  readonly #logger: SessionLogger | undefined;
  readonly #debug = createDebug(DEBUG_NAMESPACE);

  constructor(logger: SessionLogger | false | undefined) {
    this.#logger = logger === false ? undefined : logger;
    if (logger === false) this.#debug.enabled = false;
  }

  /** Whether a line written now would go anywhere. */
  get enabled(): boolean {
    return this.#logger !== undefined || this.#debug.enabled;
  }

  /** Writes `message` with the details `details()` returns, when logging is on. */
  write(message: string, details?: LogDetails): void {
    if (!this.enabled) return;
    const fields = details?.();
    if (this.#logger) this.#logger.debug(message, fields);
    else if (fields) this.#debug('%s %o', message, fields);
    else this.#debug('%s', message);
  }
}

/**
 * How a session id appears in logs: the first 12 hex digits of its SHA-256, enough to follow
 * one session through the log and useless for taking it over.
 */
export function loggedSessionId(id: string): string {
  return createHash('sha256').update(id).digest('hex').slice(0, 12);
}
