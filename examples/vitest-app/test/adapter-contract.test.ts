// The repository's adapter contract, run against this app with its store on the in-memory
// repository: the framework, the adapter and the memory repository together behave as they do
// on DynamoDB.
import {
  createMemoryRepository,
  type MemorySessionRepository,
} from '@dynamodb-session/core/testing';
import { DynamoDBStore } from '@dynamodb-session/fastify';
import { describeAdapterContractOnRepository } from '@dynamodb-session/test-support';
import { createApp } from '../src/app.js';

describeAdapterContractOnRepository<MemorySessionRepository>(
  {
    name: 'the fastify 5 example app',
    async start({ repository, maxAgeMs }) {
      const app = createApp({
        store: new DynamoDBStore({ repository }),
        secret: 'contract secret of 32 characters or more',
        maxAgeMs,
      });
      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      return { url, close: () => app.close() };
    },
  },
  'the in-memory repository',
  ({ touchAfterMs }) => createMemoryRepository({ touchAfterMs }),
);
