import { createRequire } from 'node:module';
import {
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { SessionRepository } from '@dynamodb-session/core';
import type { Store } from 'express-session';
import type { SessionFixture } from './fixtures';
import { PREFIX } from './local-table';

/** The three implementations compared operation by operation. */
export type StoreImplementationName = 'dynamodb-session' | 'connect-dynamodb' | 'raw SDK';

export const STORE_IMPLEMENTATIONS: StoreImplementationName[] = [
  'dynamodb-session',
  'connect-dynamodb',
  'raw SDK',
];

/** get, set, touch and destroy of one implementation, as promises. */
export interface SessionOperations {
  get(id: string): Promise<unknown>;
  set(id: string, session: SessionFixture): Promise<void>;
  touch(id: string, session: SessionFixture): Promise<void>;
  destroy(id: string): Promise<void>;
  /** The repository, for `dynamodb-session`. */
  repository?: SessionRepository;
}

/** The operations measured, in the order they run. */
export const OPERATIONS = ['set', 'get', 'touch', 'destroy'] as const;
export type OperationName = (typeof OPERATIONS)[number];

const require = createRequire(import.meta.url);

/** The operations of `name` on `client` (dynamodb-session builds its own client instead). */
export function storeOperations(
  name: StoreImplementationName,
  client: DynamoDBClient,
  table: string,
  ownClientConfig?: Record<string, unknown>,
): SessionOperations {
  if (name === 'dynamodb-session') {
    const repository = new SessionRepository(
      ownClientConfig ? { table, clientConfig: ownClientConfig } : { client, table },
    );
    return {
      repository,
      get: (id) => repository.get(id),
      set: (id, session) => repository.set(id, session, expiryOf(session)),
      touch: async (id, session) => {
        await repository.touch(id, expiryOf(session));
      },
      destroy: (id) => repository.destroy(id),
    };
  }
  if (name === 'connect-dynamodb') {
    const session = require('express-session');
    const ConnectDynamoDBStore = require('connect-dynamodb')({ session });
    const store = new ConnectDynamoDBStore({ client, table, initialized: true }) as Store;
    const call = <T>(run: (callback: (error?: unknown, value?: T) => void) => void) =>
      new Promise<T | undefined>((resolve, reject) =>
        run((error, value) => (error ? reject(error) : resolve(value))),
      );
    return {
      get: (id) => call((callback) => store.get(id, callback)),
      set: async (id, data) => {
        await call((callback) => store.set(id, data as never, callback));
      },
      touch: async (id, data) => {
        await call((callback) => store.touch?.(id, data as never, callback));
      },
      destroy: async (id) => {
        await call((callback) => store.destroy(id, callback));
      },
    };
  }
  const key = (id: string) => ({ id: { S: `${PREFIX}${id}` } });
  return {
    get: async (id) => {
      const output = await client.send(
        new GetItemCommand({ TableName: table, Key: key(id), ConsistentRead: true }),
      );
      const stored = output.Item?.sess?.S;
      return stored === undefined ? null : JSON.parse(stored);
    },
    set: async (id, session) => {
      await client.send(
        new PutItemCommand({
          TableName: table,
          Item: {
            ...key(id),
            expires: { N: String(ttlOf(session)) },
            sess: { S: JSON.stringify(session) },
          },
        }),
      );
    },
    touch: async (id, session) => {
      await client.send(
        new UpdateItemCommand({
          TableName: table,
          Key: key(id),
          UpdateExpression: 'SET #expires = :expires',
          ExpressionAttributeNames: { '#expires': 'expires' },
          ExpressionAttributeValues: { ':expires': { N: String(ttlOf(session)) } },
        }),
      );
    },
    destroy: async (id) => {
      await client.send(new DeleteItemCommand({ TableName: table, Key: key(id) }));
    },
  };
}

function expiryOf(session: SessionFixture): Date {
  return new Date(session.cookie.expires);
}

function ttlOf(session: SessionFixture): number {
  return Math.ceil(Date.parse(session.cookie.expires) / 1000);
}
