/**
 * Adversarial tests of the fastify store's mapping of requests to lock handles
 * (`pessimisticLocking`): the calls @fastify/session makes, in the order two requests of one
 * session make them, on the first local server of the run.
 */
import { SessionRepository } from '@dynamodb-session/core';
import {
  createTestTable,
  dropTable,
  localClient,
  testServers,
} from '@dynamodb-session/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBStore, type FastifySession } from '../src/index';
import { buildApp, fastifyVersions } from './apps';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const inOneHour = () => Date.now() + 3_600_000;
let counter = 0;
const newId = () => `attack-fastify-${Date.now()}-${counter++}`;
const server = testServers()[0] as { name: string; endpoint: string };

/** The session object @fastify/session builds from what `get` loaded (a copy of its fields). */
const sessionOf = (data: object | null, views: number) =>
  ({ ...data, views, cookie: { originalMaxAge: null } }) as unknown as FastifySession;

describe(`attack: fastify store locks on ${server.name}`, () => {
  const client = localClient(server.endpoint);
  let table = '';
  beforeAll(async () => {
    table = await createTestTable(client);
  });
  afterAll(async () => {
    await dropTable(client, table);
    client.destroy();
  });

  // BUG: the store finds a request's lock by session id until its first `set`. A request whose
  // lease ran out (a slow handler) finds, at its end-of-request `set`, the lock the NEXT request
  // of that session took meanwhile, and saves with it: its write succeeds (instead of CONFLICT,
  // as the core promises for a holder whose lease ran out), it ends the next request's hold while
  // that request is still running (a third request may then lock and run alongside it), and the
  // next request's own `set` then goes out without a lock. One increment is lost and nobody is
  // told.
  it.fails('a request whose lease ran out does not save with the lock the next request took', async () => {
    const store = new DynamoDBStore({
      client,
      table,
      pessimisticLocking: { leaseMs: 300, waitMs: 3_000 },
    });
    const id = newId();
    await store.repository.set(id, { views: 0, cookie: { originalMaxAge: null } }, inOneHour());
    const slow = await store.get(id); // request A
    await sleep(400); // A's lease runs out
    const next = await store.get(id); // request B takes the lock
    expect(next).toMatchObject({ views: 0 });
    // A ends: its write must fail, as the core's handle of A would (CONFLICT)
    const outcome = await store.set(id, sessionOf(slow, 1)).then(
      () => 'saved',
      (error: { code?: string }) => error.code,
    );
    // B still holds the session: another process cannot lock it
    const other = new SessionRepository({
      client,
      table,
      pessimisticLocking: { leaseMs: 300, waitMs: 100 },
    });
    const otherLock = await other.lock(id).then(
      (lock) => lock.held,
      (error: { code?: string }) => error.code,
    );
    expect({ outcome, otherLock }).toEqual({ outcome: 'CONFLICT', otherLock: 'LOCK_TIMEOUT' });
  });

  // BUG: @fastify/session 10's `regenerate()` (a login) saves the new session and never calls
  // the store for the old id, so the hold the request took on the old session is never ended:
  // the old session stays locked until the lease runs out (a request still carrying the old
  // cookie, such as one sent alongside the login, waits `waitMs` and fails with LOCK_TIMEOUT),
  // and the store's by-id map keeps the handle, with the session's data, for good (the old id
  // is not loaded again): one entry per login. The store is given no request to end it with.
  it.fails('@fastify/session 10: a login (regenerate) does not leave the old session locked', async () => {
    const version = fastifyVersions[1] as (typeof fastifyVersions)[1];
    expect(version.regenerateDestroysOld).toBe(false);
    const store = new DynamoDBStore({
      client,
      table,
      pessimisticLocking: { leaseMs: 10_000, waitMs: 500 },
    });
    const app = buildApp(version, store, 60_000);
    try {
      await app.ready();
      const first = await app.inject({ method: 'GET', url: '/count' });
      const old = first.cookies.find((cookie) => cookie.name === 'sessionId')?.value as string;
      const cookie = `sessionId=${old}`;
      const login = await app.inject({ method: 'POST', url: '/login', headers: { cookie } });
      expect(login.statusCode).toBe(200);
      const late = await app.inject({ method: 'GET', url: '/peek', headers: { cookie } });
      expect({ status: late.statusCode, body: late.json() }).toEqual({
        status: 200,
        body: { views: 1 },
      });
    } finally {
      await app.close();
    }
  });
});
