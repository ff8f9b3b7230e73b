import { DynamoDBStore } from '@dynamodb-session/fastify';
import { createApp } from './app.js';

// Production wiring: sessions in DynamoDB (the table from SESSIONS_TABLE, the client from the
// usual AWS environment, or DYNAMODB_ENDPOINT for a local server). Tests build the app with
// another store instead.
const endpoint = process.env.DYNAMODB_ENDPOINT;
const store = new DynamoDBStore({
  table: process.env.SESSIONS_TABLE ?? 'sessions',
  ...(endpoint && { endpoint }),
});
const app = createApp({ store });
const address = await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' });
console.log(`listening on ${address}`);
