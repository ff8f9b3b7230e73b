import { SessionRepository } from '@dynamodb-session/core';
import dynalite from 'dynalite';

/** @typedef {import('./new-session.js').AppSession} AppSession */

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/**
 * The per-user index attribute: every write copies the session's `user.id` to a top-level
 * `userId` attribute, and `createTable()` creates a global secondary index on it, so that
 * `idsByAttribute` / `destroyByAttribute` find one user's sessions with a Query instead of
 * scanning the table. Your web app's store needs the same `indexAttributes`, or the sessions it
 * writes carry no `userId` and "log out everywhere" cannot find them. `required: false` lets
 * anonymous sessions (no `user.id`) be saved too.
 * @type {import('@dynamodb-session/core').IndexAttribute}
 */
export const USER_INDEX = {
  name: 'userId',
  path: 'user.id',
  type: 'S',
  index: 'userId-index',
  required: false,
};

/**
 * Opens the sessions table this tool works on, chosen by environment variables like the other
 * examples:
 * - `DYNAMODB_ENDPOINT` (e.g. `http://localhost:8000` for DynamoDB Local) or `AWS_REGION` (real
 *   DynamoDB, with your usual AWS credentials): that server, where the table must exist (run
 *   `create-table` once);
 * - neither: an embedded dynalite started in this process, in memory, or kept on disk in
 *   `persistPath` so that separate runs of the script see the same sessions (`embedded: true`).
 *
 * `SESSIONS_TABLE` names the table (default `sessions`).
 * @param {{ persistPath?: string }} [options]
 */
export async function openRepository({ persistPath } = {}) {
  const table = process.env.SESSIONS_TABLE ?? 'sessions';
  const region = process.env.AWS_REGION ?? 'us-east-1';
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  if (endpoint || process.env.AWS_REGION) {
    /** @type {SessionRepository<AppSession>} */
    const repository = new SessionRepository({
      table,
      region,
      ...(endpoint && { endpoint }),
      indexAttributes: [USER_INDEX],
    });
    return {
      repository,
      where: `table "${table}" on ${endpoint ?? `AWS ${region}`}`,
      embedded: false,
      close: async () => repository.close(),
    };
  }

  const server = dynalite({ createTableMs: 0, ...(persistPath && { path: persistPath }) });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  /** @type {SessionRepository<AppSession>} */
  const repository = new SessionRepository({
    table,
    endpoint: `http://127.0.0.1:${port}`,
    region,
    // dynalite accepts any credentials; a real endpoint uses the SDK's usual credential chain.
    clientConfig: { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } },
    indexAttributes: [USER_INDEX],
  });
  return {
    repository,
    where: `table "${table}" on an embedded dynalite ${persistPath ? `kept in ${persistPath}` : 'in memory'}`,
    embedded: true,
    close: async () => {
      repository.close();
      await new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
}
