import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { LOCAL_CLIENT_CONFIG, testServers } from '@dynamodb-session/test-support';

/** The endpoint of the run's DynamoDB Local (the first local server if it is absent). */
export function dynamoDBLocalEndpoint(): string {
  const servers = testServers();
  const server = servers.find(({ name }) => name === 'dynamodb-local') ?? servers[0];
  if (!server) throw new Error('no local DynamoDB server was started by the global setup');
  return server.endpoint;
}

/**
 * A client for a local server with the SDK's default retries (3 attempts, standard mode), as an
 * application would have; `config` overrides.
 */
export function createClient(
  endpoint: string,
  config: Partial<DynamoDBClientConfig> = {},
): DynamoDBClient {
  return new DynamoDBClient({ ...LOCAL_CLIENT_CONFIG, endpoint, maxAttempts: 3, ...config });
}
