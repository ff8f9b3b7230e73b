import { DynamoDBStore } from '@dynamodb-session/fastify';
import dynalite from 'dynalite';
import { createApp } from './app.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const table = process.env.SESSIONS_TABLE ?? 'sessions';
const port = Number(process.env.PORT ?? 3000);
const realEndpoint = process.env.DYNAMODB_ENDPOINT;
const useRealDynamoDB = Boolean(realEndpoint || process.env.AWS_REGION);

/** An embedded, in-memory DynamoDB (dynalite) on a free loopback port. */
async function startEmbeddedDynamoDB() {
  const server = dynalite({ createTableMs: 0 });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return { server, endpoint: `http://127.0.0.1:${address.port}` };
}

const embedded = useRealDynamoDB ? undefined : await startEmbeddedDynamoDB();
if (embedded) {
  process.env.AWS_ACCESS_KEY_ID ??= 'demo';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'demo';
}
const store = new DynamoDBStore({
  table,
  region: process.env.AWS_REGION ?? 'us-east-1',
  ...((embedded?.endpoint ?? realEndpoint) && { endpoint: embedded?.endpoint ?? realEndpoint }),
});
const created = await store.repository.createTable();
console.log(
  `sessions table "${table}" ${created.created ? 'created' : 'found'} on ${
    embedded
      ? `embedded dynalite at ${embedded.endpoint}`
      : (realEndpoint ?? `AWS ${process.env.AWS_REGION}`)
  } (TTL: ${created.timeToLive})`,
);

const app = createApp(store);
await app.listen({ port, host: '127.0.0.1' });
const address = /** @type {import('node:net').AddressInfo} */ (app.server.address());
console.log(`demo listening on http://127.0.0.1:${address.port}/`);

for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.once(signal, async () => {
    await app.close();
    store.close();
    embedded?.server.close();
  });
}
