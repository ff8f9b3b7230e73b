import {
  type AdapterUnderTest,
  type AppOptions,
  describeAdapterContract,
} from '@dynamodb-session/test-support';
import { DynamoDBStore } from '../src/index';
import { buildApp, type FastifyVersion, fastifyVersions, listen } from './apps';

function fastifyAdapter(version: FastifyVersion): AdapterUnderTest {
  return {
    name: version.name,
    async start({ client, table, maxAgeMs, touchAfterMs }: AppOptions) {
      const app = buildApp(version, new DynamoDBStore({ client, table, touchAfterMs }), maxAgeMs);
      const url = await listen(app);
      return {
        url,
        close: async () => {
          await app.close();
        },
      };
    },
  };
}

for (const version of fastifyVersions) describeAdapterContract(fastifyAdapter(version));
