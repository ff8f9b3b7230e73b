import type * as Api from './index';

const api: typeof Api = require('./index');

/**
 * The CommonJS entry: `require('@dynamodb-session/express')` is connect-dynamodb's factory
 * function, so `require('@dynamodb-session/express')({ session })` works unchanged, and it
 * carries every named export (`DynamoDBStore`, ...) as a property. Its types are
 * `commonjs.d.cts`, copied to `dist/index.d.cts` by the build.
 */
function connectDynamoDB(connect?: Api.ConnectLike): Api.ConnectDynamoDBStoreClass {
  return api.connectDynamoDB(connect);
}

export = Object.assign(connectDynamoDB, api);
