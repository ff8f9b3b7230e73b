import { startLocalDynamoDB } from '@dynamodb-session/core/testing';
import { DynamoDBStore } from '@dynamodb-session/express';
import { createApp } from './app.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const table = process.env.SESSIONS_TABLE ?? 'sessions';
const port = Number(process.env.PORT ?? 3000);
const realEndpoint = process.env.DYNAMODB_ENDPOINT;
const useRealDynamoDB = Boolean(realEndpoint || process.env.AWS_REGION);

// Neither set: an embedded, in-memory DynamoDB (dynalite) on a free loopback port, its table
// created, with a client that carries throwaway credentials.
const embedded = useRealDynamoDB ? undefined : await startLocalDynamoDB({ tableName: table });
const store = new DynamoDBStore(
  embedded?.repositoryOptions ?? {
    table,
    region: process.env.AWS_REGION ?? 'us-east-1',
    ...(realEndpoint && { endpoint: realEndpoint }),
  },
);
const created = await store.repository.createTable().catch(failedToReachTable);
console.log(
  `sessions table "${table}" ${embedded || created.created ? 'created' : 'found'} on ${
    embedded
      ? `embedded dynalite at ${embedded.endpoint}`
      : (realEndpoint ?? `AWS ${process.env.AWS_REGION}`)
  } (TTL: ${created.timeToLive})`,
);

const httpServer = createApp(store).listen(port, '127.0.0.1', (error) => {
  if (error) failedToListen(error);
  const address = /** @type {import('node:net').AddressInfo} */ (httpServer.address());
  console.log(`demo listening on http://127.0.0.1:${address.port}/`);
});

// Stops once: `npm run demo` passes on the signal a terminal also sends to the whole group.
let stopping = false;
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    httpServer.close();
    store.close();
    embedded?.stop();
  });
}

/**
 * Explains why the table could not be reached or created (no credentials, nothing listening,
 * no permission) with what to set, and exits 1: a demo's first failure should say what to do.
 * @param {any} error
 * @returns {never}
 */
function failedToReachTable(error) {
  const cause = /** @type {{ name?: string } | undefined} */ (error?.cause);
  const where = realEndpoint ?? `AWS ${process.env.AWS_REGION}`;
  console.error(
    `demo: cannot use the sessions table "${table}" on ${where}: ${error?.message ?? error}`,
  );
  if (cause?.name === 'CredentialsProviderError') {
    console.error(
      realEndpoint
        ? 'demo: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: a local server accepts any values, e.g.\n' +
            `  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local DYNAMODB_ENDPOINT=${realEndpoint} ${process.env.DEMO_COMMAND ?? 'node src/server.js'}`
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

/**
 * Says that the port is taken and how to pick another, and exits 1.
 * @param {any} error
 * @returns {never}
 */
function failedToListen(error) {
  if (error?.code === 'EADDRINUSE' || error?.code === 'EACCES') {
    const reason = error.code === 'EADDRINUSE' ? 'is taken by another program' : 'is not allowed';
    console.error(
      `demo: port ${port} on 127.0.0.1 ${reason}: stop what runs there, or pick another port:\n` +
        `  PORT=${port + 1} ${process.env.DEMO_COMMAND ?? 'node src/server.js'}`,
    );
  } else console.error(`demo: cannot listen on port ${port}: ${error?.message ?? error}`);
  process.exit(1);
}
