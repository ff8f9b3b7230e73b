import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** The name of the middleware {@link stopRetriesOfAbandonedCalls} adds to a client. */
export const ABANDONED_CALL_MIDDLEWARE = 'dynamodbSessionAbandonedCall';

const abandonedInputs = new WeakSet<object>();
const clientsWithMiddleware = new WeakSet<object>();

/**
 * Adds to `client`, once, a middleware that runs before every attempt of a call (after the SDK's
 * retry middleware) and fails the attempt, without sending it, when the repository gave that
 * call up ({@link abandonCall}). Without it, the SDK retries an attempt that timed out after the
 * repository has reported `TIMEOUT`, and the retry can land later: a write over newer data, a
 * lock taken for nobody. It does nothing to the client's other calls, and nothing to a stand-in
 * client without a middleware stack.
 */
export function stopRetriesOfAbandonedCalls(client: DynamoDBClient): void {
  if (clientsWithMiddleware.has(client) || typeof client.middlewareStack?.add !== 'function') {
    return;
  }
  clientsWithMiddleware.add(client);
  client.middlewareStack.add(
    (next) => (args) => {
      if (abandonedInputs.has(args.input as object)) {
        const error = new Error('the session repository gave this call up (it timed out)');
        error.name = 'AbandonedCallError';
        return Promise.reject(error);
      }
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: ABANDONED_CALL_MIDDLEWARE, override: true },
  );
  // a client with cacheMiddleware keeps the handlers it resolved before; resolve them again
  delete (client as unknown as { handlers?: unknown }).handlers;
}

/** Marks the call of `command` as given up: its later attempts are not sent. */
export function abandonCall(command: { input?: unknown }): void {
  if (typeof command.input === 'object' && command.input !== null) {
    abandonedInputs.add(command.input);
  }
}
