/** A Node-style callback, as express-session, connect and @fastify/session stores receive. */
export type NodeCallback<T> = (error: Error | null, result?: T) => void;

/**
 * Settles `promise` into `callback` when one is given (errors as the first argument, the
 * value as the second), and returns the promise either way, so a store method serves both
 * callers. The callback runs outside the promise chain: an exception it throws is not turned
 * into a second callback call or an unhandled rejection of this promise.
 */
export function settle<T>(promise: Promise<T>, callback?: NodeCallback<T> | undefined): Promise<T> {
  if (typeof callback === 'function') {
    promise.then(
      (value) => queueMicrotask(() => callback(null, value)),
      (error: unknown) =>
        queueMicrotask(() => callback(error instanceof Error ? error : new Error(String(error)))),
    );
  }
  return promise;
}
