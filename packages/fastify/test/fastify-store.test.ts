import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { isSessionStoreError } from '@dynamodb-session/core';
import {
  countCommands,
  createTestTable,
  dropTable,
  localClient,
  testServers,
} from '@dynamodb-session/test-support';
import fastifyCookie from '@fastify/cookie';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBStore, type FastifySession } from '../src/index';
import {
  type Browser,
  browserFor,
  buildApp,
  type FastifyVersion,
  fastifyVersions,
  SECRET,
  type Transport,
} from './apps';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const transports: Transport[] = ['inject', 'http'];

for (const server of testServers()) {
  describe(`DynamoDBStore under @fastify/session on ${server.name}`, () => {
    const client = localClient(server.endpoint);
    let table = '';
    const apps: FastifyInstance[] = [];
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);

    /** An app of `version` with sessions in `store`, reached over `transport`. */
    const open = async (
      version: FastifyVersion,
      transport: Transport,
      store: DynamoDBStore,
      maxAgeMs?: number,
      addRoutes?: (app: FastifyInstance) => void,
    ): Promise<Browser> => {
      const app = buildApp(version, store, maxAgeMs);
      addRoutes?.(app);
      apps.push(app);
      return browserFor(app, transport);
    };
    /** The raw item of session `id`, as DynamoDB holds it. */
    const rawItem = async (id: string) => {
      const { Item } = await client.send(
        new GetItemCommand({ TableName: table, Key: { id: { S: `sess:${id}` } } }),
      );
      return Item?.sess ? Item : undefined; // a destroyed session's tombstone holds no data
    };

    beforeAll(async () => {
      process.on('unhandledRejection', onUnhandled);
      table = await createTestTable(client);
    });
    afterEach(async () => {
      await Promise.all(apps.splice(0).map((app) => app.close()));
    });
    afterAll(async () => {
      process.off('unhandledRejection', onUnhandled);
      await dropTable(client, table);
      client.destroy();
      expect(unhandled).toEqual([]);
    });

    it("serves @fastify/session's callback API, and promises", async () => {
      const store = new DynamoDBStore({ client, table });
      const expires = new Date(Date.now() + 60_000);
      const session = { cookie: { expires, originalMaxAge: 60_000 }, views: 3 };
      const call = <T>(method: (callback: (error: Error | null, value?: T) => void) => void) =>
        new Promise<[Error | null, T | undefined]>((resolve) =>
          method((error, value) => resolve([error, value])),
        );
      expect(
        await call((cb) => store.set('abc', session as unknown as FastifySession, cb)),
      ).toEqual([null, undefined]);
      expect(Number((await rawItem('abc'))?.expires?.N)).toBe(Math.ceil(expires.getTime() / 1000));
      const [error, loaded] = await call<FastifySession | null>((cb) => store.get('abc', cb));
      expect(error).toBeNull();
      expect(loaded).toEqual({
        cookie: { expires: expires.toISOString(), originalMaxAge: 60_000 },
        views: 3,
      });
      expect(await call((cb) => store.destroy('abc', cb))).toEqual([null, undefined]);
      expect(await call((cb) => store.get('abc', cb))).toEqual([null, null]);
      expect(await store.get('abc')).toBeNull();

      const broken = new DynamoDBStore({ client, table: 'no-such-table' });
      const [failure] = await call((cb) => broken.get('abc', cb));
      expect(isSessionStoreError(failure, 'TABLE_NOT_FOUND')).toBe(true);
      await expect(broken.destroy('abc')).rejects.toMatchObject({ code: 'TABLE_NOT_FOUND' });
    });

    for (const version of fastifyVersions) {
      describe(version.name, () => {
        for (const transport of transports) {
          describe(`over ${transport === 'http' ? 'a listening server' : 'fastify.inject'}`, () => {
            it('writes a session in full only when its data changed (rolling: true)', async () => {
              const store = new DynamoDBStore({ client, table });
              const browser = await open(version, transport, store, 60_000);
              const counter = countCommands(client);
              try {
                expect(await browser('GET', '/count')).toEqual({ status: 200, body: { views: 1 } });
                expect(counter.counts).toEqual({ PutItemCommand: 1 });
                counter.reset();
                for (let i = 0; i < 5; i++) {
                  expect(await browser('GET', '/peek')).toEqual({
                    status: 200,
                    body: { views: 1 },
                  });
                }
                const {
                  GetItemCommand: reads,
                  PutItemCommand,
                  UpdateItemCommand = 0,
                } = counter.counts;
                expect({ reads, PutItemCommand }).toEqual({ reads: 5, PutItemCommand: undefined });
                expect(UpdateItemCommand).toBeLessThanOrEqual(2);
                counter.reset();
                for (let views = 2; views <= 4; views++) {
                  expect(await browser('GET', '/count')).toEqual({ status: 200, body: { views } });
                }
                expect(counter.counts).toEqual({ GetItemCommand: 3, PutItemCommand: 3 });
              } finally {
                counter.stop();
              }
              const { body } = await browser('GET', '/whoami');
              expect(await store.repository.get(String(body.id))).toMatchObject({ views: 4 });
            });

            it("stores the cookie's expiry as the TTL, and defaultLifetimeMs for a browser-session cookie", async () => {
              const lasting = new DynamoDBStore({ client, table });
              const lastingBrowser = await open(version, transport, lasting, 90_000);
              let before = Date.now();
              await lastingBrowser('GET', '/count');
              let id = String((await lastingBrowser('GET', '/whoami')).body.id);
              let ttl = Number((await rawItem(id))?.expires?.N);
              expect(ttl).toBeGreaterThanOrEqual(Math.floor((before + 90_000) / 1000));
              expect(ttl).toBeLessThanOrEqual(Math.ceil((Date.now() + 90_000) / 1000));

              const browserSession = new DynamoDBStore({
                client,
                table,
                defaultLifetimeMs: 300_000,
              });
              const browser = await open(version, transport, browserSession);
              before = Date.now();
              await browser('GET', '/count');
              id = String((await browser('GET', '/whoami')).body.id);
              ttl = Number((await rawItem(id))?.expires?.N);
              expect(ttl).toBeGreaterThanOrEqual(Math.floor((before + 300_000) / 1000));
              expect(ttl).toBeLessThanOrEqual(Math.ceil((Date.now() + 300_000) / 1000));
            });

            it('destroys the session on logout and does not bring it back', async () => {
              const store = new DynamoDBStore({ client, table });
              const browser = await open(version, transport, store, 60_000);
              await browser('GET', '/count');
              const { id } = (await browser('GET', '/whoami')).body;
              expect(await rawItem(String(id))).toBeDefined();
              expect(await browser('POST', '/logout')).toEqual({ status: 200, body: { ok: true } });
              expect(await rawItem(String(id))).toBeUndefined();
              expect(await browser('GET', '/peek')).toEqual({ status: 200, body: { views: 0 } });
              expect(await rawItem(String(id))).toBeUndefined();
              const after = await browser('GET', '/whoami');
              expect(after.body.id).not.toBe(id);
            });

            it('regenerates the session on login', async () => {
              const store = new DynamoDBStore({ client, table });
              const browser = await open(version, transport, store, 60_000);
              await browser('GET', '/count');
              const { id: before } = (await browser('GET', '/whoami')).body;
              const { id: after } = (await browser('POST', '/login')).body;
              expect(after).not.toBe(before);
              expect(await browser('GET', '/whoami')).toEqual({
                status: 200,
                body: { id: after, user: 'ann', views: 0 },
              });
              expect(await store.repository.get(String(after))).toMatchObject({ user: 'ann' });
              expect(await store.repository.get(String(before))).toEqual(
                version.regenerateDestroysOld ? null : expect.objectContaining({ views: 1 }),
              );
            });

            it("answers 500 through fastify's error handler when DynamoDB fails, with no unhandled rejection", async () => {
              const broken = new DynamoDBStore({ client, table: 'no-such-table' });
              const browser = await open(version, transport, broken, 60_000);
              const cookie = `sessionId=${encodeURIComponent(fastifyCookie.sign('some-session-id', SECRET))}`;
              const counter = countCommands(client);
              try {
                for (const [method, path, headers] of [
                  ['GET', '/peek', { cookie }], // loading fails (onRequest hook)
                  ['GET', '/count', {}], // saving a new session fails (onSend hook)
                  ['POST', '/logout', { cookie }],
                ] as const) {
                  expect(await browser(method, path, headers), `${method} ${path}`).toEqual({
                    status: 500,
                    body: { error: 'TABLE_NOT_FOUND' },
                  });
                }
                expect(counter.counts).toEqual({ GetItemCommand: 2, PutItemCommand: 1 });
              } finally {
                counter.stop();
              }
              await sleep(20);
              expect(unhandled).toEqual([]);
            });
          });
        }

        it('keeps a session whose expiry moved only through its TTL past its original cookie expiry', async () => {
          const store = new DynamoDBStore({ client, table });
          const browser = await open(version, 'http', store, 2_000);
          expect(await browser('GET', '/count')).toEqual({ status: 200, body: { views: 1 } });
          const originalExpiry = Date.now() + 2_000;
          const { id } = (await browser('GET', '/whoami')).body;
          const counter = countCommands(client);
          try {
            while (Date.now() < originalExpiry + 1_200) {
              await sleep(600);
              expect(await browser('GET', '/peek')).toEqual({ status: 200, body: { views: 1 } });
            }
            expect(counter.counts.PutItemCommand).toBeUndefined();
            expect(counter.counts.UpdateItemCommand).toBeGreaterThanOrEqual(2);
          } finally {
            counter.stop();
          }
          const item = await rawItem(String(id));
          const stored = JSON.parse(item?.sess?.S ?? '{}') as { cookie: { expires: string } };
          expect(Date.parse(stored.cookie.expires)).toBeLessThanOrEqual(originalExpiry);
          expect(Number(item?.expires?.N) * 1000).toBeGreaterThan(Date.now());
          expect(await browser('GET', '/count')).toEqual({ status: 200, body: { views: 2 } });
        });

        it('does not recreate a session destroyed while a request on it was running', async () => {
          const store = new DynamoDBStore({ client, table });
          let release = () => {};
          const gate = new Promise<void>((resolve) => {
            release = resolve;
          });
          let entered = () => {};
          const inHandler = new Promise<void>((resolve) => {
            entered = resolve;
          });
          const browser = await open(version, 'http', store, 60_000, (app) => {
            app.get('/slow', async (request) => {
              entered();
              await gate;
              return { views: request.session.views ?? 0 };
            });
          });
          await browser('GET', '/count');
          const { id } = (await browser('GET', '/whoami')).body;
          const slow = browser('GET', '/slow');
          await inHandler;
          expect(await browser('POST', '/logout')).toEqual({ status: 200, body: { ok: true } });
          release();
          expect(await slow).toEqual({ status: 200, body: { views: 1 } });
          expect(await rawItem(String(id))).toBeUndefined();
        });
      });
    }
  });
}
