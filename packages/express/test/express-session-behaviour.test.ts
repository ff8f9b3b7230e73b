import { createHmac } from 'node:crypto';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { SessionStoreError } from '@dynamodb-session/core';
import {
  createTestTable,
  dropTable,
  localClient,
  testServers,
} from '@dynamodb-session/test-support';
import express from 'express';
import session from 'express-session';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBStore } from '../src/index';

declare module 'express-session' {
  interface SessionData {
    hit?: boolean;
    user?: string;
  }
}

const MINUTE_MS = 60_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Sleeps into the next whole second, and `extraMs` beyond, as express-session's tests do. */
const sleepPastSecond = (extraMs = 200) => sleep(1000 - (Date.now() % 1000) + extraMs);

/** The `name=value` part of the session cookie a response set. */
function cookieOf(response: request.Response): string {
  const header = response.headers['set-cookie'] as unknown as string[] | undefined;
  const cookie = header?.[0]?.split(';')[0];
  if (!cookie) throw new Error('the response set no cookie');
  return cookie;
}

/** The Expires attribute of the session cookie a response set. */
function cookieExpires(response: request.Response): string | undefined {
  const header = response.headers['set-cookie'] as unknown as string[] | undefined;
  return /; Expires=([^;]+)/.exec(header?.[0] ?? '')?.[1];
}

/** What express-session's own tests check of a store, through express-session itself. */
for (const server of testServers()) {
  describe(`express-session's expectations of a store, on ${server.name}`, () => {
    const client = localClient(server.endpoint);
    let table = '';
    beforeAll(async () => {
      table = await createTestTable(client);
    });
    afterAll(async () => {
      await dropTable(client, table);
      client.destroy();
    });

    async function storedTtl(store: DynamoDBStore, id: string): Promise<number> {
      const output = await client.send(
        new GetItemCommand({
          TableName: table,
          Key: { id: { S: `${store.repository.options.prefix}${id}` } },
          ConsistentRead: true,
        }),
      );
      return Number(output.Item?.expires?.N);
    }

    it('touchAfterMs: 0: after a touch that moves the stored expiry, get returns the session with that expiry as cookie.expires', async () => {
      const store = new DynamoDBStore({ client, table, prefix: 'touch0:', touchAfterMs: 0 });
      const app = express();
      app.use(
        session({
          store,
          secret: 's',
          resave: false,
          saveUninitialized: true,
          cookie: { maxAge: MINUTE_MS },
        }),
      );
      app.get('/', (req, res) => {
        req.session.hit = true;
        req.session.touch();
        res.end();
      });
      const first = await request(app).get('/').expect(200);
      const id = decodeURIComponent(cookieOf(first))
        .replace(/^connect\.sid=s:/, '')
        .split('.')[0] as string;
      const before = await store.get(id);
      const beforeExpires = new Date(before?.cookie.expires as unknown as string).getTime();
      const ttlBefore = await storedTtl(store, id);
      expect(ttlBefore).toBe(Math.ceil(beforeExpires / 1000));

      await sleepPastSecond(100);
      await request(app).get('/').set('Cookie', cookieOf(first)).expect(200);
      const ttlAfter = await storedTtl(store, id);
      expect(ttlAfter).toBeGreaterThan(ttlBefore);
      const after = await store.get(id);
      const afterExpires = new Date(after?.cookie.expires as unknown as string).getTime();
      expect(afterExpires).not.toBe(beforeExpires);
      expect(afterExpires).toBe(ttlAfter * 1000);
      expect(after?.hit).toBe(true);
    });

    it('touchAfterMs: 0: a touch within the same whole second is not written (the TTL holds whole seconds)', async () => {
      const store = new DynamoDBStore({ client, table, prefix: 'touchsame:', touchAfterMs: 0 });
      await sleepPastSecond(0); // start of a second: both writes below fall in it
      const expiresAt = Math.ceil(Date.now() / 1000) * 1000 - 500 + MINUTE_MS;
      const sess = {
        cookie: { expires: new Date(expiresAt), originalMaxAge: MINUTE_MS },
        hit: true,
      };
      await store.set('s1', sess as never);
      await store.touch('s1', {
        ...sess,
        cookie: { ...sess.cookie, expires: new Date(expiresAt + 100) },
      } as never);
      expect(await storedTtl(store, 's1')).toBe(Math.ceil(expiresAt / 1000));
      const got = await store.get('s1');
      expect(new Date(got?.cookie.expires as unknown as string).getTime()).toBe(expiresAt);
    });

    for (const touchAfterMs of [0, 'auto'] as const) {
      it(`touchAfterMs: ${touchAfterMs}: a session saved again unchanged (resave: true) ${touchAfterMs === 0 ? 'stores' : 'keeps, within the window,'} the expiry of the new cookie`, async () => {
        const store = new DynamoDBStore({
          client,
          table,
          prefix: `resave-${touchAfterMs}:`,
          touchAfterMs,
        });
        const app = express();
        app.use(
          session({
            store,
            secret: 's',
            resave: true,
            saveUninitialized: true,
            cookie: { maxAge: MINUTE_MS },
          }),
        );
        app.get('/', (req, res) => {
          req.session.user = 'bob';
          res.end(req.session.id);
        });
        const first = await request(app).get('/').expect(200);
        const id = first.text;
        const before = await store.get(id);
        const exp = new Date(before?.cookie.expires as unknown as string);
        expect(exp.toUTCString()).toBe(cookieExpires(first));
        await sleepPastSecond();
        const second = await request(app).get('/').set('Cookie', cookieOf(first)).expect(200);
        expect(second.text).toBe(id);
        const after = await store.get(id);
        expect(after).not.toBeNull();
        const updated = new Date(after?.cookie.expires as unknown as string).toUTCString();
        if (touchAfterMs === 0) expect(updated).not.toBe(exp.toUTCString());
        // the default window (a tenth of the lifetime: 6 s here) lets the stored expiry lag
        else expect(updated).toBe(exp.toUTCString());
      });
    }

    it('a stored session without a cookie is read as missing (a new session, 200) and reported as CORRUPT_SESSION, not an error of the request', async () => {
      const store = new DynamoDBStore({ client, table, prefix: 'nocookie:' });
      const reported: SessionStoreError[] = [];
      store.repository.onError((error) => reported.push(error));
      const app = express();
      app.use(session({ store, secret: 's', resave: false, saveUninitialized: false }));
      app.get('/', (req, res) => res.json({ id: req.sessionID, hit: req.session.hit ?? false }));
      await client.send(
        new PutItemCommand({
          TableName: table,
          Item: {
            id: { S: 'nocookie:abc' },
            expires: { N: String(Math.ceil(Date.now() / 1000) + 600) },
            sess: { S: JSON.stringify({ hit: true }) },
          },
        }),
      );
      const signed = `s:abc.${createHmac('sha256', 's').update('abc').digest('base64').replace(/=+$/, '')}`;
      const response = await request(app)
        .get('/')
        .set('Cookie', `connect.sid=${encodeURIComponent(signed)}`)
        .expect(200);
      expect(response.body.hit).toBe(false);
      expect(response.body.id).not.toBe('abc');
      expect(reported.map((error) => error.code)).toEqual(['CORRUPT_SESSION']);
    });
  });
}
