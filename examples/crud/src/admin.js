/**
 * A small admin tool for the sessions table, straight on `SessionRepository` (no web framework):
 *
 *   node src/admin.js <command> [arguments]
 *
 * Results go to stdout (`create` prints only the new id, for scripts); where it works goes to
 * stderr. See the README for the environment variables.
 */
import { fileURLToPath } from 'node:url';
import { expiryInSessionData, isSessionStoreError } from '@dynamodb-session/core';
import { newSession } from './new-session.js';
import { openRepository, USER_INDEX } from './open-repository.js';

const USAGE = `usage: node src/admin.js <command> [arguments]

  create-table                  create the table and its per-user index, enable TTL
  create <user> [device]        create a session for <user>; prints its id
  show <id>                     print a session
  update <id> <field> <value>   set one field of a session (value read as JSON if it parses)
  list [user]                   list the live sessions, or those of one user
  count                         count the live sessions
  logout-everywhere <user>      destroy every session of <user>
  reap                          delete the expired sessions DynamoDB's TTL has not removed yet
  delete <id>                   destroy one session`;

/**
 * @typedef {import('./new-session.js').AppSession} AppSession
 * @typedef {import('@dynamodb-session/core').SessionRepository<AppSession>} Repository
 */

/**
 * The commands, by name. Each gets the repository and the command's arguments, and returns
 * the exit code.
 * @type {Record<string, (repository: Repository, args: string[]) => Promise<number>>}
 */
const commands = {
  async 'create-table'(repository) {
    const result = await repository.createTable();
    const noTtlApi = result.timeToLive === 'UNSUPPORTED';
    console.log(
      `table ${result.created ? 'created' : 'already existed'}; TTL: ${result.timeToLive}` +
        (noTtlApi ? ' (this server has no TTL API; reads still filter expired sessions)' : ''),
    );
    // e.g. a table made earlier without the per-user index, or TTL off on a real table. A
    // server without a TTL API (dynalite) reports TTL as disabled: already said above.
    for (const warning of (await repository.describeTable()).warnings) {
      if (noTtlApi && warning.includes('TTL')) continue;
      console.log(`warning: ${warning}`);
    }
    return 0;
  },

  async create(repository, [user, device = 'unknown']) {
    if (!user) return usage();
    const { id, data, expiresAt } = newSession(user, device);
    await repository.set(id, data, expiresAt);
    console.log(id);
    return 0;
  },

  async show(repository, [id]) {
    if (!id) return usage();
    const data = await repository.get(id);
    if (data === null) return missing(id);
    console.log(JSON.stringify(data, null, 2));
    return 0;
  },

  async update(repository, [id, field, value]) {
    if (!id || !field || value === undefined) return usage();
    const data = await repository.get(id);
    if (data === null) return missing(id);
    data[field] = parseValue(value);
    // Keep the session's own expiry instead of starting a new lifetime: `cookie.expires` for
    // express-session and @fastify/session sessions, `_expire` for koa-session ones (`get`
    // has already moved it up to a later TTL refresh). A request of the web app may write the
    // same session meanwhile; if that matters, turn on `optimisticLocking` (in its store too).
    await repository.set(id, data, expiryInSessionData(data));
    console.log(JSON.stringify(data, null, 2));
    return 0;
  },

  async list(repository, [user]) {
    if (user) {
      // A Query on the per-user index: only this user's sessions are read.
      for await (const id of repository.idsByAttribute(USER_INDEX.name, user)) {
        const data = await repository.get(id);
        if (data) console.log(describe(id, data));
      }
      return 0;
    }
    // A Scan of the whole table, streamed page by page: memory stays flat however many there are.
    for await (const { id, key, data } of repository.all()) console.log(describe(id ?? key, data));
    return 0;
  },

  async count(repository) {
    console.log(await repository.length());
    return 0;
  },

  async 'logout-everywhere'(repository, [user]) {
    if (!user) return usage();
    const destroyed = await repository.destroyByAttribute(USER_INDEX.name, user);
    console.log(`destroyed ${destroyed} session(s) of ${user}`);
    return 0;
  },

  async reap(repository) {
    // Real DynamoDB deletes expired items itself (TTL), but only within a few days; reads
    // already ignore them. Reaping removes them now, e.g. from a nightly job.
    const result = await repository.reap();
    console.log(
      `deleted ${result.deleted} expired session(s) (found ${result.found}, kept ${result.kept} renewed meanwhile)`,
    );
    return 0;
  },

  async delete(repository, [id]) {
    if (!id) return usage();
    await repository.destroy(id);
    console.log(`deleted ${id}`);
    return 0;
  },
};

const [name = '', ...args] = process.argv.slice(2);
const command = commands[name];
if (!command) {
  process.exitCode = usage();
} else {
  const { repository, where, embedded, close } = await openRepository({
    persistPath: process.env.DYNALITE_PATH ?? fileURLToPath(new URL('../.data', import.meta.url)),
  });
  console.error(`(${where})`);
  try {
    // A throwaway local table is created on the fly; a real one only by `create-table`.
    if (embedded && name !== 'create-table') await repository.createTable();
    process.exitCode = await command(repository, args);
  } catch (error) {
    if (!isSessionStoreError(error)) throw error;
    // Every DynamoDB failure is a SessionStoreError with a string code (TABLE_NOT_FOUND, ...).
    console.error(`error ${error.code}: ${error.message}`);
    process.exitCode = 1;
  } finally {
    await close();
  }
}

/**
 * One line per session: id, user, device, expiry.
 * @param {string} id
 * @param {AppSession} data
 */
function describe(id, data) {
  return [id, data.user?.id ?? '-', data.device ?? '-', data.cookie?.expires ?? '-'].join('\t');
}

/** @param {string} value */
function parseValue(value) {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** @param {string} id */
function missing(id) {
  console.error(`no live session ${id}`);
  return 1;
}

function usage() {
  console.error(USAGE);
  return 2;
}
