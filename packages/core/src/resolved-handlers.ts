import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** A command as the SDK client resolves and sends it. */
interface ResolvableCommand {
  input: object;
  resolveMiddleware(stack: unknown, config: unknown, options: undefined): Handler;
}
type Handler = (command: object) => Promise<{ output: unknown }>;

/** The methods of a middleware stack that change it. */
const STACK_CHANGES = ['add', 'addRelativeTo', 'use', 'remove', 'removeByTag'] as const;

/**
 * Whether `strategy` is a retry strategy of the SDK's first, legacy interface (`retry(next,
 * args)`, no `acquireInitialRetryToken`). With it, the SDK's retry middleware adds to the call's
 * context on every call; a handler resolved once shares one context between calls, whose
 * user-agent header then grows until servers refuse it. No handler may be cached with one.
 */
export function isLegacyRetryStrategy(strategy: unknown): boolean {
  const candidate = strategy as { retry?: unknown; acquireInitialRetryToken?: unknown } | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.retry === 'function' &&
    typeof candidate.acquireInitialRetryToken !== 'function'
  );
}

/**
 * A client's middleware stack resolved once per command class, the work `client.send` does on
 * every call unless the client has `cacheMiddleware` (about a sixth of a call's CPU). Unlike the
 * SDK's own cache, it is dropped whenever the client's stack changes, so middleware the app adds
 * later still runs. Commands go to the resolved handler directly, not through `client.send`;
 * with a legacy retry strategy ({@link isLegacyRetryStrategy}) they go through `client.send`.
 * As with the SDK's `cacheMiddleware`, the calls of one command class share one handler
 * context.
 */
export class ResolvedHandlers {
  readonly #client: DynamoDBClient;
  readonly #handlers = new Map<unknown, Handler>();
  readonly #legacyRetry: Promise<boolean>;

  private constructor(client: DynamoDBClient) {
    this.#client = client;
    const retryStrategy = (client.config as { retryStrategy?: () => unknown }).retryStrategy;
    this.#legacyRetry = Promise.resolve()
      .then(() => retryStrategy?.())
      .then(isLegacyRetryStrategy, () => false);
    const stack = client.middlewareStack as unknown as Record<string, unknown>;
    for (const change of STACK_CHANGES) {
      const original = stack[change] as (...args: unknown[]) => unknown;
      stack[change] = (...args: unknown[]) => {
        this.#handlers.clear();
        return original.apply(stack, args);
      };
    }
  }

  /**
   * The resolved handlers of `client`, shared by every repository on it; `undefined` for a
   * client that has no middleware stack to resolve (a stand-in).
   */
  static of(client: DynamoDBClient): ResolvedHandlers | undefined {
    const stack = client.middlewareStack as unknown as Record<string, unknown> | undefined;
    if (!STACK_CHANGES.every((change) => typeof stack?.[change] === 'function')) return undefined;
    let handlers = byClient.get(client);
    if (handlers === undefined) {
      handlers = new ResolvedHandlers(client);
      byClient.set(client, handlers);
    }
    return handlers;
  }

  /** Sends `command` as `client.send(command)` would, through the handler of its class. */
  async send<Output>(command: object): Promise<Output> {
    if (await this.#legacyRetry) {
      return this.#client.send(command as Parameters<DynamoDBClient['send']>[0]) as Output;
    }
    const resolvable = command as ResolvableCommand;
    let handler = this.#handlers.get(command.constructor);
    if (handler === undefined) {
      handler = resolvable.resolveMiddleware(
        this.#client.middlewareStack,
        this.#client.config,
        undefined,
      );
      this.#handlers.set(command.constructor, handler);
    }
    return handler(command).then((result) => result.output as Output);
  }
}

const byClient = new WeakMap<DynamoDBClient, ResolvedHandlers>();
