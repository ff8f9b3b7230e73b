import {
  createTestTable,
  describeRepositoryContract,
  dropTable,
  localClient,
  testServers,
} from '@dynamodb-session/test-support';
import { afterAll, beforeAll, describe } from 'vitest';
import { SessionRepository } from '../src/index';

for (const server of testServers()) {
  describe(server.name, () => {
    const client = localClient(server.endpoint);
    let table = '';
    beforeAll(async () => {
      table = await createTestTable(client);
    });
    afterAll(async () => {
      await dropTable(client, table);
      client.destroy();
    });

    for (const serializer of ['json', 'map'] as const) {
      describeRepositoryContract(`${server.name}, ${serializer} serializer`, async () => ({
        repository: new SessionRepository({ client, table, serializer }),
        otherPrefix: new SessionRepository({ client, table, serializer, prefix: 'other:' }),
      }));
    }
  });
}
