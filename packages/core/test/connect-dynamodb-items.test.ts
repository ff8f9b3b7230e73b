import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  createTestTable,
  dropTable,
  localClient,
  testServers,
  uniqueTableName,
} from '@dynamodb-session/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionRepository } from '../src/index';

let counter = 0;
const newSid = () => `cd-${process.pid}-${Date.now()}-${counter++}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What express-session hands a store: the session with its cookie, as JSON sees it. */
function sessionWithCookie(maxAgeMs: number | null, now = Date.now()) {
  return {
    cookie: {
      originalMaxAge: maxAgeMs,
      expires: maxAgeMs === null ? null : new Date(now + maxAgeMs).toISOString(),
      secure: false,
      httpOnly: true,
      path: '/',
    },
    user: { id: 'u-1', name: 'Zoë' },
    views: 3,
  };
}

for (const server of testServers()) {
  describe(`items as connect-dynamodb 3.0.5 writes them, on ${server.name}`, () => {
    const client = localClient(server.endpoint);
    let table = '';
    let repository: SessionRepository;
    beforeAll(async () => {
      table = await createTestTable(client, { table: uniqueTableName('connect-dynamodb') });
      repository = new SessionRepository({ client, table });
    });
    afterAll(async () => {
      await dropTable(client, table);
      client.destroy();
    });

    /** PutItem exactly as connect-dynamodb's `set` does (its default hashKey and prefix). */
    async function putAsConnectDynamodb(sid: string, session: object, expiresSeconds: number) {
      await client.send(
        new PutItemCommand({
          TableName: table,
          Item: {
            id: { S: `sess:${sid}` },
            expires: { N: String(expiresSeconds) },
            type: { S: 'connect-session' },
            sess: { S: JSON.stringify(session) },
          },
        }),
      );
    }
    const connectExpires = (maxAgeMs: number) => Math.floor(Date.now() / 1000) + maxAgeMs / 1000;

    it('reads a session with its cookie and ignores the extra `type` attribute', async () => {
      const sid = newSid();
      const session = sessionWithCookie(3_600_000);
      await putAsConnectDynamodb(sid, session, connectExpires(3_600_000));
      expect(await repository.get(sid)).toEqual(session);
    });

    it('reads an item whose expires is fractional (maxAge 1500 ms)', async () => {
      const sid = newSid();
      const session = sessionWithCookie(1_500);
      const expires = connectExpires(1_500);
      await putAsConnectDynamodb(sid, session, expires);
      const raw = await client.send(
        new GetItemCommand({ TableName: table, Key: { id: { S: `sess:${sid}` } } }),
      );
      expect(raw.Item?.expires?.N).toBe(String(expires));
      expect(raw.Item?.expires?.N).toMatch(/\.5$/);
      expect(await repository.get(sid)).toEqual(session);
    });

    it('reads a session whose cookie has no expiry (connect-dynamodb stores one day)', async () => {
      const sid = newSid();
      const session = sessionWithCookie(null);
      await putAsConnectDynamodb(sid, session, connectExpires(86_400_000));
      expect(await repository.get(sid)).toEqual(session);
    });

    it('reads connect-dynamodb items with the map serializer too', async () => {
      const sid = newSid();
      const session = sessionWithCookie(60_000);
      await putAsConnectDynamodb(sid, session, connectExpires(60_000));
      const mapRepository = new SessionRepository({ client, table, serializer: 'map' });
      expect(await mapRepository.get(sid)).toEqual(session);
    });

    it('treats an item whose expires has passed as missing', async () => {
      const sid = newSid();
      const maxAge = -1_500;
      await putAsConnectDynamodb(sid, sessionWithCookie(maxAge), connectExpires(maxAge));
      expect(await repository.get(sid)).toBeNull();
    });

    it('treats an item whose fractional expires passed within the current second as missing', async () => {
      const sid = newSid();
      // expires a few milliseconds ago, with the fraction connect-dynamodb can produce
      const expires = (Date.now() - 5) / 1000;
      await putAsConnectDynamodb(sid, sessionWithCookie(3_600_000), expires);
      expect(await repository.get(sid)).toBeNull();
    });

    it('does not revive on touch an item whose fractional expires has just passed', async () => {
      if (Date.now() % 1000 > 600) await sleep(1000 - (Date.now() % 1000) + 20);
      const sid = newSid();
      const expires = (Date.now() - 5) / 1000;
      await putAsConnectDynamodb(sid, { views: 1 }, expires);
      expect(await repository.touch(sid, Date.now() + 60_000)).toBe(false);
    });

    it('writes sess as a JSON string and expires as whole seconds, rounded up', async () => {
      const sid = newSid();
      const session = sessionWithCookie(1_500);
      const expiry = Date.parse(session.cookie.expires as string);
      await repository.set(sid, session, expiry);
      const raw = await client.send(
        new GetItemCommand({ TableName: table, Key: { id: { S: `sess:${sid}` } } }),
      );
      const item = raw.Item ?? {};
      expect(Object.keys(item).sort()).toEqual(['expires', 'id', 'sess']);
      expect(item.id).toEqual({ S: `sess:${sid}` });
      expect(item.sess?.S).toBe(JSON.stringify(session));
      expect(JSON.parse(item.sess?.S ?? 'null')).toEqual(session);
      expect(item.expires?.N).toMatch(/^\d+$/);
      expect(Number(item.expires?.N)).toBe(Math.ceil(expiry / 1000));
    });

    it('writes Dates in the session as ISO strings inside the JSON', async () => {
      const sid = newSid();
      const at = new Date('2030-01-02T03:04:05.678Z');
      await repository.set(sid, { at, n: 1 });
      const raw = await client.send(
        new GetItemCommand({ TableName: table, Key: { id: { S: `sess:${sid}` } } }),
      );
      expect(raw.Item?.sess).toEqual({ S: '{"at":"2030-01-02T03:04:05.678Z","n":1}' });
      expect(raw.Item?.expires?.N).toMatch(/^\d+$/);
    });
  });
}
