const { DynamoDBStore } = require('@dynamodb-session/express');
const { createApp } = require('./app');

// Production wiring: sessions in DynamoDB (the table from SESSIONS_TABLE, the client from the
// usual AWS environment, or DYNAMODB_ENDPOINT for a local server). Tests build the app with
// another store instead.
const endpoint = process.env.DYNAMODB_ENDPOINT;
const store = new DynamoDBStore({
  table: process.env.SESSIONS_TABLE ?? 'sessions',
  ...(endpoint && { endpoint }),
});
const port = Number(process.env.PORT ?? 3000);
createApp({ store }).listen(port, () => {
  console.log(`listening on http://localhost:${port}`);
});
