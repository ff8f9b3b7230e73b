import type session = require('express-session');

import type { SessionRepository, SessionRepositoryLike } from '@dynamodb-session/core' with {
  'resolution-mode': 'import',
};
import type * as api from './index.js' with { 'resolution-mode': 'import' };

/**
 * connect-dynamodb's factory: `require('@dynamodb-session/express')({ session })` returns the
 * store class. Every named export of the package is also a property of this function.
 */
declare function connectDynamoDB(connect?: api.ConnectLike): api.ConnectDynamoDBStoreClass;

declare namespace connectDynamoDB {
  export const DynamoDBStore: typeof api.DynamoDBStore;
  export type DynamoDBStore<
    Data extends object = session.SessionData,
    Repository extends SessionRepositoryLike<Data> = SessionRepository<Data>,
  > = api.DynamoDBStore<Data, Repository>;
  export const ConnectDynamoDBStore: typeof api.ConnectDynamoDBStore;
  export type ConnectDynamoDBStore<Data extends object = Record<string, unknown>> =
    api.ConnectDynamoDBStore<Data>;
  export const cookieExpiry: typeof api.cookieExpiry;
  export const connectDynamoDB: typeof api.connectDynamoDB;
  const _default: typeof api.connectDynamoDB;

  export { _default as default };
  export type DynamoDBStoreOptions<
    Data extends object = session.SessionData,
    Repository extends SessionRepositoryLike<Data> = SessionRepositoryLike<Data>,
  > = api.DynamoDBStoreOptions<Data, Repository>;
  export type StoredSession = api.StoredSession;
  export type ConnectDynamoDBOptions = api.ConnectDynamoDBOptions;
  export type ConnectDynamoDBStoreClass = api.ConnectDynamoDBStoreClass;
  export type ConnectLike = api.ConnectLike;
}

export = connectDynamoDB;
