/// <reference path="./provided-context.d.ts" />
import type { TestProject } from 'vitest/node';
import { type LocalDynamoServer, startDynalite, startDynamoDBLocal } from './local-servers';

/**
 * Vitest global setup: starts dynalite and DynamoDB Local once for the whole run and hands their
 * endpoints to every test file through `inject('dynamoEndpoints')`. `TEST_SERVERS=dynalite` (a
 * comma-separated list of `dynalite`, `dynamodb-local`) starts only those.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const wanted = (process.env.TEST_SERVERS ?? 'dynalite,dynamodb-local').split(',');
  const starters = { dynalite: startDynalite, 'dynamodb-local': startDynamoDBLocal };
  const started = await Promise.allSettled(
    Object.entries(starters)
      .filter(([name]) => wanted.includes(name))
      .map(([, start]) => start()),
  );
  const servers: LocalDynamoServer[] = started.flatMap((result) =>
    result.status === 'fulfilled' ? [result.value] : [],
  );
  const failure = started.find((result) => result.status === 'rejected');
  if (failure) {
    await Promise.all(servers.map((server) => server.stop()));
    throw failure.reason;
  }
  project.provide(
    'dynamoEndpoints',
    servers.map(({ name, endpoint }) => ({ name, endpoint })),
  );
  return async () => {
    await Promise.all(servers.map((server) => server.stop()));
  };
}
