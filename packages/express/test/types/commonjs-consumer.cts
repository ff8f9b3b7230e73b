import connectDynamoDB = require('@dynamodb-session/express');
import session = require('express-session');

const Store = connectDynamoDB({ session });
const legacy: connectDynamoDB.ConnectDynamoDBStore = new Store({
  table: 'sessions',
  initialized: true,
});
legacy.touch('sid', {} as connectDynamoDB.StoredSession, (error, result) => {
  const expires: number | undefined = result?.expires;
  void [error, expires];
});
const options: connectDynamoDB.DynamoDBStoreOptions = { table: 'sessions', prefix: 'app:' };
const modern: connectDynamoDB.DynamoDBStore = new connectDynamoDB.DynamoDBStore(options);
const same: typeof connectDynamoDB.connectDynamoDB = connectDynamoDB.default;
void [modern, same];
