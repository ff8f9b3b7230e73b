/**
 * One web app with sessions, run in a process of its own by the e2e and cost benchmarks:
 * `e2e-app.ts <framework> <store> <client> <endpoint> <table> [capacity]`, `<client>` being a
 * `ClientMode` of the e2e benchmark or `none`. Prints its URL, then answers IPC messages:
 * `usage` (CPU and RSS so far) and `capacity` (DynamoDB capacity consumed).
 *
 * Routes: `GET /login` creates a session of about 1 KB; `GET /read` reads it and leaves it
 * unchanged; `GET /write` increments a counter in it.
 */
import './env';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoDBClient, type SessionRepository } from '@dynamodb-session/core';
import { LOCAL_CLIENT_CONFIG } from '@dynamodb-session/test-support';
import type { ClientMode } from './e2e-benchmark';
import { type CapacityTotals, countCapacity } from './fixtures';

/** The web frameworks the e2e benchmark runs. */
export type Framework = 'express' | 'koa' | 'fastify';
/** The session stores the e2e benchmark runs. */
export type AppStore =
  | 'dynamodb-session'
  | 'dynamodb-session, touchAfterMs 10 min'
  | 'connect-dynamodb'
  | 'memory'
  | 'cookie';

/** What the app answers to an IPC `usage` message. */
export interface AppUsage {
  cpuMicros: number;
  rss: number;
}

const [framework, storeName, clientMode, endpoint, table, capacityFlag] = process.argv.slice(2) as [
  Framework,
  AppStore,
  ClientMode | 'none',
  string,
  string,
  string | undefined,
];
const withCapacity = capacityFlag === 'capacity';
const require = createRequire(import.meta.url);
const SECRET = 'bench-secret-bench-secret-bench-secret';
/** Brings the stored item close to, and under, 1 KB (one write request unit). */
const PADDING = 'p'.repeat(700);
const ONE_DAY_MS = 86_400_000;
let repository: SessionRepository<object> | undefined;
let connectCapacity: CapacityTotals | undefined;

/**
 * The client the app hands to its store: a plain `new DynamoDBClient()` (`app client`, also with
 * `cacheClientMiddleware`), one from
 * `createDynamoDBClient()`, or none (`own client`: the store builds its own).
 */
const appClient =
  clientMode === 'app client' || clientMode === 'app client + cacheClientMiddleware'
    ? new DynamoDBClient({ ...LOCAL_CLIENT_CONFIG, endpoint })
    : clientMode === 'createDynamoDBClient'
      ? createDynamoDBClient({ ...LOCAL_CLIENT_CONFIG, endpoint })
      : undefined;

/** Options of every dynamodb-session store: the defaults, with the app's client or their own. */
const ourOptions = {
  table,
  ...(appClient ? { client: appClient } : { endpoint, clientConfig: { ...LOCAL_CLIENT_CONFIG } }),
  returnConsumedCapacity: withCapacity,
  cacheClientMiddleware: clientMode === 'app client + cacheClientMiddleware',
  ...(storeName === 'dynamodb-session, touchAfterMs 10 min' && { touchAfterMs: 600_000 }),
};

const url = await start();
process.stdout.write(`${url}\n`);
process.on('message', (message: string) => {
  if (message === 'usage') {
    const used = process.cpuUsage();
    process.send?.({ cpuMicros: used.user + used.system, rss: process.memoryUsage().rss });
  } else if (message === 'capacity') {
    process.send?.(
      repository?.metrics().consumedCapacity ?? connectCapacity ?? { read: 0, write: 0 },
    );
  }
});
process.on('disconnect', () => process.exit(0));
// a clean exit, so that a `--cpu-prof` profile is written
process.on('SIGTERM', () => process.exit(0));

async function start(): Promise<string> {
  if (framework === 'express') return startExpress();
  if (framework === 'koa') return startKoa();
  return startFastify();
}

async function startExpress(): Promise<string> {
  const express = require('express');
  const session = require('express-session');
  let store: unknown;
  if (storeName.startsWith('dynamodb-session')) {
    const { DynamoDBStore } = await import('@dynamodb-session/express');
    const ours = new DynamoDBStore(ourOptions);
    repository = ours.repository;
    store = ours;
  } else if (storeName === 'connect-dynamodb') {
    const ConnectDynamoDBStore = require('connect-dynamodb')({ session });
    // without an app client it builds `new DynamoDBClient({})`, configured by the environment
    const connect = new ConnectDynamoDBStore({
      ...(appClient && { client: appClient }),
      table,
      initialized: true,
    });
    if (withCapacity) connectCapacity = countCapacity(connect.client);
    store = connect;
  }
  const app = express();
  app.use(
    session({
      store,
      secret: SECRET,
      resave: false,
      saveUninitialized: false,
      cookie: { maxAge: ONE_DAY_MS },
    }),
  );
  app.get('/login', (request: ExpressRequest, response: ExpressResponse) => {
    request.session.views = 0;
    request.session.padding = PADDING;
    response.send('ok');
  });
  app.get('/read', (request: ExpressRequest, response: ExpressResponse) => {
    response.send(String(request.session.views ?? 'none'));
  });
  app.get('/write', (request: ExpressRequest, response: ExpressResponse) => {
    request.session.views = Number(request.session.views ?? 0) + 1;
    response.send(String(request.session.views));
  });
  return listen(app.listen(0, '127.0.0.1'));
}

async function startKoa(): Promise<string> {
  const Koa = require('koa');
  const session = require('koa-session').default;
  const app = new Koa();
  app.keys = [SECRET];
  if (storeName === 'cookie') {
    // koa-session's default: the session travels in the (signed) cookie itself
    app.use(session({ maxAge: ONE_DAY_MS }, app));
  } else {
    const { DynamoDBStore } = await import('@dynamodb-session/koa');
    const store = new DynamoDBStore(ourOptions);
    repository = store.repository;
    app.use(session({ store, maxAge: ONE_DAY_MS }, app));
  }
  app.use((context: KoaContext) => {
    const { session: data } = context;
    if (context.path === '/login') {
      data.views = 0;
      data.padding = PADDING;
      context.body = 'ok';
    } else if (context.path === '/write') {
      data.views = Number(data.views ?? 0) + 1;
      context.body = String(data.views);
    } else {
      context.body = String(data.views ?? 'none');
    }
  });
  return listen(app.listen(0, '127.0.0.1'));
}

async function startFastify(): Promise<string> {
  const Fastify = require('fastify');
  let store: unknown;
  if (storeName !== 'memory') {
    const { DynamoDBStore } = await import('@dynamodb-session/fastify');
    const ours = new DynamoDBStore(ourOptions);
    repository = ours.repository;
    store = ours;
  }
  const app = Fastify();
  await app.register(require('@fastify/cookie'));
  await app.register(require('@fastify/session'), {
    secret: SECRET,
    // without a store, @fastify/session keeps sessions in its MemoryStore
    ...(store !== undefined && { store }),
    saveUninitialized: false,
    cookie: { maxAge: ONE_DAY_MS, secure: false },
  });
  app.get('/login', async (request: FastifyRequest) => {
    request.session.set('views', 0);
    request.session.set('padding', PADDING);
    return 'ok';
  });
  app.get('/read', async (request: FastifyRequest) => String(request.session.get('views')));
  app.get('/write', async (request: FastifyRequest) => {
    const views = Number(request.session.get('views') ?? 0) + 1;
    request.session.set('views', views);
    return String(views);
  });
  return app.listen({ port: 0, host: '127.0.0.1' });
}

function listen(server: import('node:http').Server): Promise<string> {
  return new Promise((resolve) =>
    server.once('listening', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
}

interface ExpressRequest {
  session: Record<string, unknown>;
}
interface ExpressResponse {
  send(body: string): void;
}
interface KoaContext {
  path: string;
  session: Record<string, unknown>;
  body: string;
}
interface FastifyRequest {
  session: { get(key: string): unknown; set(key: string, value: unknown): void };
}
