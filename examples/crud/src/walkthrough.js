/**
 * A scripted tour of `SessionRepository` without a web framework, printing each step:
 *
 *   node src/walkthrough.js
 *
 * It creates sessions for two users, reads, updates, lists and counts them, logs one user out
 * everywhere, reaps an expired session and deletes one, leaving only bob's laptop session.
 * By default on an embedded, in-memory dynalite; see the README for a real table.
 */
import { expiryInSessionData } from '@dynamodb-session/core';
import { newSession } from './new-session.js';
import { openRepository, USER_INDEX } from './open-repository.js';

const { repository, where, close } = await openRepository();
let stepNumber = 0;
/** @param {string} title */
const step = (title) => console.log(`\n${++stepNumber}. ${title}`);

try {
  console.log(`Sessions in ${where}`);

  step('repository.createTable(): the table, its per-user index (userId-index), TTL');
  const table = await repository.createTable().catch(failedToReachTable);
  console.log(`   ${table.created ? 'created' : 'already there'}; TTL: ${table.timeToLive}`);

  step('repository.set(id, data, expiresAt): sessions for ann and bob');
  /** @type {Record<string, string>} */
  const ids = {};
  for (const { user, device } of [
    { user: 'ann', device: 'laptop' },
    { user: 'ann', device: 'phone' },
    { user: 'bob', device: 'laptop' },
    { user: 'bob', device: 'phone' },
  ]) {
    const session = newSession(user, device);
    await repository.set(session.id, session.data, session.expiresAt);
    ids[`${user} ${device}`] = session.id;
    console.log(`   ${user} on ${device}: ${session.id}`);
  }
  // One more that expired a minute ago: DynamoDB's TTL deletes such items late (within days),
  // so a table holds some. Reads already treat it as gone.
  const stale = newSession('ann', 'old tablet', Date.now() - 60_000);
  await repository.set(stale.id, stale.data, stale.expiresAt);
  console.log(`   ann on an old tablet, expired a minute ago: ${stale.id}`);

  step("repository.get(id): read bob's laptop session");
  const bobLaptop = ids['bob laptop'] ?? '';
  const bob = await repository.get(bobLaptop);
  console.log(`   ${JSON.stringify(bob)}`);
  console.log(`   the expired one reads as: ${JSON.stringify(await repository.get(stale.id))}`);

  step('repository.set(id, changed, expiryInSessionData(changed)): rename the device, same expiry');
  if (bob) {
    bob.device = 'work laptop';
    await repository.set(bobLaptop, bob, expiryInSessionData(bob));
    console.log(`   ${JSON.stringify(await repository.get(bobLaptop))}`);
  }

  step('for await (... of repository.all()): list the live sessions (a streamed Scan)');
  for await (const { id, data } of repository.all()) {
    console.log(`   ${id}  ${data.user?.id} on ${data.device}`);
  }

  step('repository.length(): count them (the expired one is not counted)');
  console.log(`   ${await repository.length()} live sessions`);

  step(`for await (... of repository.idsByAttribute('${USER_INDEX.name}', 'ann')): ann's sessions`);
  for await (const id of repository.idsByAttribute(USER_INDEX.name, 'ann')) {
    console.log(`   ${id}`);
  }

  step(`repository.destroyByAttribute('${USER_INDEX.name}', 'ann'): log ann out everywhere`);
  const destroyed = await repository.destroyByAttribute(USER_INDEX.name, 'ann');
  console.log(`   destroyed ${destroyed}; ${await repository.length()} live sessions left`);

  step('repository.reap(): delete the expired sessions TTL has not removed yet');
  const reaped = await repository.reap();
  console.log(`   deleted ${reaped.deleted} (found ${reaped.found} expired)`);

  step("repository.destroy(id): delete bob's phone session");
  await repository.destroy(ids['bob phone'] ?? '');
  console.log(`   ${await repository.length()} live session left:`);
  for await (const { id, data } of repository.all()) {
    console.log(`   ${id}  ${data.user?.id} on ${data.device}`);
  }
} finally {
  await close();
}

/**
 * Explains why the table could not be reached or created (no credentials, nothing listening)
 * with what to set, and exits 1: a demo's first failure should say what to do.
 * @param {any} error
 * @returns {never}
 */
function failedToReachTable(error) {
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  const where = endpoint ?? `AWS ${process.env.AWS_REGION}`;
  console.error(`demo: cannot use the sessions table on ${where}: ${error?.message ?? error}`);
  if (error?.cause?.name === 'CredentialsProviderError') {
    console.error(
      endpoint
        ? 'demo: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: a local server accepts any values, e.g.\n' +
            `  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local DYNAMODB_ENDPOINT=${endpoint} ${process.env.DEMO_COMMAND ?? 'node src/walkthrough.js'}`
        : 'demo: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, for AWS; ' +
            'or unset AWS_REGION to use the embedded dynalite',
    );
  } else if (error?.code === 'NETWORK' || error?.code === 'TIMEOUT') {
    console.error(
      `demo: nothing answers at ${where}: start DynamoDB Local there, or unset DYNAMODB_ENDPOINT ` +
        'and AWS_REGION to use the embedded dynalite',
    );
  }
  process.exit(1);
}
