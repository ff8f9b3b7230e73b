/**
 * A CPU profile of one implementation's get/set/touch/destroy on the canned transport (no
 * network, see `CannedHandler`), for reading with `src/profile-summary.ts`:
 *
 * `node --cpu-prof --cpu-prof-dir=<dir> --import tsx src/profile-client.ts <implementation> <client> [calls]`
 *
 * `<implementation>`: `dynamodb-session`, `connect-dynamodb` or `raw SDK`; `<client>`: `plain`
 * (`new DynamoDBClient()`, the SDK's defaults), `cacheMiddleware` (the same with
 * `cacheMiddleware: true`) or `own` (dynamodb-session builds its own client). Calls of each
 * operation: default 5,000, serial. Prints µs of CPU per call.
 */
import './env';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LOCAL_CLIENT_CONFIG } from '@dynamodb-session/test-support';
import { CannedHandler, type SessionFixture, sessionId, sessionOfSize } from './fixtures';
import { PREFIX } from './local-table';
import { OPERATIONS, type StoreImplementationName, storeOperations } from './store-implementations';

const [implementation, clientKind, callsText] = process.argv.slice(2) as [
  StoreImplementationName,
  'plain' | 'cacheMiddleware' | 'own',
  string | undefined,
];
const calls = Number(callsText ?? 5_000);
const session = sessionOfSize(1024, 1);
const ttl = Math.ceil(Date.parse(session.cookie.expires) / 1000);
const handler = new CannedHandler({
  GetItem: {
    Item: {
      id: { S: `${PREFIX}${sessionId(1)}` },
      expires: { N: String(ttl) },
      sess: { S: JSON.stringify(session) },
    },
  },
  UpdateItem: { Attributes: { expires: { N: String(ttl) } } },
});
const config = { ...LOCAL_CLIENT_CONFIG, requestHandler: handler };
const store =
  clientKind === 'own'
    ? storeOperations(implementation, undefined as never, 'bench-profile', config)
    : storeOperations(
        implementation,
        new DynamoDBClient(
          clientKind === 'cacheMiddleware' ? { ...config, cacheMiddleware: true } : config,
        ),
        'bench-profile',
      );
const id = sessionId(1);
for (const warmup of [true, false]) {
  const before = process.cpuUsage();
  const count = warmup ? Math.min(1_000, calls) : calls;
  for (const operation of OPERATIONS) {
    for (let index = 0; index < count; index++) {
      await store[operation](id, session as SessionFixture);
    }
  }
  const used = process.cpuUsage(before);
  if (!warmup) {
    const micros = (used.user + used.system) / (count * OPERATIONS.length);
    console.log(`${implementation}, ${clientKind} client: ${micros.toFixed(1)} µs CPU per call`);
  }
}
