export {
  type ConnectDynamoDBOptions,
  ConnectDynamoDBStore,
  type ConnectDynamoDBStoreClass,
  type ConnectLike,
  connectDynamoDB,
  connectDynamoDB as default,
} from './connect-dynamodb';
export {
  cookieExpiry,
  DynamoDBStore,
  type DynamoDBStoreOptions,
  type StoredSession,
} from './dynamodb-store';
