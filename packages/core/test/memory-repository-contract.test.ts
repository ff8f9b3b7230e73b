import { describeRepositoryContract } from '@dynamodb-session/test-support';
import { createMemoryRepository, MemorySessionStorage } from '../src/testing/index';

for (const serializer of ['json', 'map'] as const) {
  describeRepositoryContract(`in memory, ${serializer} serializer`, async () => {
    const storage = new MemorySessionStorage();
    return {
      repository: createMemoryRepository({ storage, serializer }),
      otherPrefix: createMemoryRepository({ storage, serializer, prefix: 'other:' }),
    };
  });
}
