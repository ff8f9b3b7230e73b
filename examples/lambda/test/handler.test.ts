import { SessionRepository } from '@dynamodb-session/core';
import {
  createTestTable,
  dropTable,
  localClient,
  testServers,
} from '@dynamodb-session/test-support';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { httpApiEvent, restApiEvent } from '../src/api-gateway-events.js';

/** Every DynamoDBClient built in this file's module graph, with the commands each one sent. */
const built = vi.hoisted(() => [] as { client: object; commands: string[] }[]);

vi.mock('@aws-sdk/client-dynamodb', async (importOriginal) => {
  const sdk = await importOriginal<typeof import('@aws-sdk/client-dynamodb')>();
  class CountedDynamoDBClient extends sdk.DynamoDBClient {
    constructor(...args: ConstructorParameters<typeof sdk.DynamoDBClient>) {
      super(...args);
      const commands: string[] = [];
      built.push({ client: this, commands });
      this.middlewareStack.add(
        (next, context) => (input) => {
          commands.push(context.commandName ?? '?');
          return next(input);
        },
        { step: 'initialize', name: 'countCommands' },
      );
    }
  }
  return { ...sdk, DynamoDBClient: CountedDynamoDBClient };
});

type HandlerModule = typeof import('../src/handler.js');
interface LambdaResponse {
  statusCode: number;
  body: string;
  headers?: Record<string, string>;
  cookies?: string[];
  multiValueHeaders?: Record<string, string[]>;
}

/** The cookie a browser would send back, from the Set-Cookie headers of a response. */
function sessionCookie(response: LambdaResponse): string | undefined {
  const setCookies = [
    ...(response.cookies ?? []),
    ...(response.multiValueHeaders?.['set-cookie'] ?? []),
    ...(response.headers?.['set-cookie'] ? [response.headers['set-cookie']] : []),
  ];
  return setCookies.find((header) => header.startsWith('connect.sid='))?.split(';')[0];
}

/** The session id inside a signed express-session cookie (`connect.sid=s%3A<id>.<signature>`). */
function sessionId(cookie: string): string {
  const value = decodeURIComponent(cookie.slice('connect.sid='.length));
  return value.slice(2, value.lastIndexOf('.'));
}

for (const server of testServers()) {
  describe(`the Lambda handler on ${server.name}`, () => {
    const client = localClient(server.endpoint);
    let table = '';
    let repository: SessionRepository;
    let lambda: HandlerModule;
    let builtBeforeColdStart = 0;

    /** Loads src/handler.js afresh, as a new execution environment's cold start does. */
    const coldStart = async () => {
      vi.resetModules();
      builtBeforeColdStart = built.length;
      return (await import('../src/handler.js')) as HandlerModule;
    };
    const invoke = async (module: HandlerModule, event: object) =>
      (await module.handler(event, {})) as LambdaResponse;
    const readSession = (id: string) => repository.get(id);

    beforeAll(async () => {
      table = await createTestTable(client);
      repository = new SessionRepository({ client, table });
      vi.stubEnv('DYNAMODB_ENDPOINT', server.endpoint);
      vi.stubEnv('AWS_REGION', 'us-east-1');
      vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
      vi.stubEnv('SESSIONS_TABLE', table);
      lambda = await coldStart();
    });
    afterAll(async () => {
      vi.unstubAllEnvs();
      lambda?.client.destroy();
      await dropTable(client, table);
      client.destroy();
    });

    it('builds one client at cold start and sends nothing to DynamoDB (no table check)', () => {
      const fresh = built.slice(builtBeforeColdStart);
      expect(fresh).toHaveLength(1);
      expect(fresh[0]?.client).toBe(lambda.client);
      expect(lambda.store.repository.client).toBe(lambda.client);
      expect(fresh[0]?.commands).toEqual([]);
    });

    it('keeps the session across HTTP API (v2) invocations, the cookie carried over, on that one client', async () => {
      const first = await invoke(lambda, httpApiEvent({ path: '/' }));
      expect(first.statusCode).toBe(200);
      expect(JSON.parse(first.body)).toEqual({ views: 1, user: null });
      const setCookie = first.cookies?.[0] ?? '';
      expect(setCookie).toMatch(/^connect\.sid=s%3A/);
      expect(setCookie).toContain('; Secure');
      expect(setCookie).toContain('; HttpOnly');
      const cookie = sessionCookie(first) ?? '';

      const views: number[] = [];
      for (let i = 0; i < 2; i++) {
        const next = await invoke(lambda, httpApiEvent({ path: '/', cookies: [cookie] }));
        views.push((JSON.parse(next.body) as { views: number }).views);
      }
      expect(views).toEqual([2, 3]);
      expect(await readSession(sessionId(cookie))).toMatchObject({ views: 3 });

      const fresh = built.slice(builtBeforeColdStart);
      expect(fresh).toHaveLength(1);
      // One write per changed request, one read per request that brought a cookie: all of
      // them through the client built at cold start.
      expect(fresh[0]?.commands).toEqual([
        'PutItemCommand',
        'GetItemCommand',
        'PutItemCommand',
        'GetItemCommand',
        'PutItemCommand',
      ]);
    });

    it('serves REST API (v1) events on the same sessions', async () => {
      const first = await invoke(lambda, restApiEvent({ path: '/' }));
      expect(JSON.parse(first.body)).toEqual({ views: 1, user: null });
      expect(first.multiValueHeaders?.['set-cookie']?.[0]).toContain('; Secure');
      const cookie = sessionCookie(first) ?? '';
      const second = await invoke(lambda, restApiEvent({ path: '/', cookies: [cookie] }));
      expect(JSON.parse(second.body)).toEqual({ views: 2, user: null });
      const third = await invoke(lambda, httpApiEvent({ path: '/', cookies: [cookie] }));
      expect(JSON.parse(third.body)).toEqual({ views: 3, user: null });
    });

    it('logs in with a new session id and logs out, ending the session in the table', async () => {
      const anonymous = sessionCookie(await invoke(lambda, httpApiEvent({ path: '/' }))) ?? '';
      const login = await invoke(
        lambda,
        httpApiEvent({
          method: 'POST',
          path: '/login',
          cookies: [anonymous],
          form: { user: 'ann' },
        }),
      );
      expect(JSON.parse(login.body)).toEqual({ user: 'ann' });
      const cookie = sessionCookie(login) ?? '';
      expect(sessionId(cookie)).not.toBe(sessionId(anonymous));
      expect(await readSession(sessionId(anonymous))).toBeNull();
      expect(await readSession(sessionId(cookie))).toMatchObject({ user: 'ann' });

      const visit = await invoke(lambda, httpApiEvent({ path: '/', cookies: [cookie] }));
      expect(JSON.parse(visit.body)).toEqual({ views: 1, user: 'ann' });

      const logout = await invoke(
        lambda,
        httpApiEvent({ method: 'POST', path: '/logout', cookies: [cookie] }),
      );
      expect(logout.statusCode).toBe(200);
      expect(sessionCookie(logout)).toBe('connect.sid=');
      expect(await readSession(sessionId(cookie))).toBeNull();

      // The old cookie, replayed, opens nothing: a new anonymous session starts.
      const replay = await invoke(lambda, httpApiEvent({ path: '/', cookies: [cookie] }));
      expect(JSON.parse(replay.body)).toEqual({ views: 1, user: null });
      expect(sessionId(sessionCookie(replay) ?? '')).not.toBe(sessionId(cookie));
    });

    it('keeps sessions in DynamoDB, not in the environment: a new cold start continues them', async () => {
      const cookie = sessionCookie(await invoke(lambda, httpApiEvent({ path: '/' }))) ?? '';
      const previous = lambda;
      lambda = await coldStart();
      previous.client.destroy();
      expect(lambda.client).not.toBe(previous.client);
      expect(built.slice(builtBeforeColdStart)).toHaveLength(1);

      const next = await invoke(lambda, httpApiEvent({ path: '/', cookies: [cookie] }));
      expect(JSON.parse(next.body)).toEqual({ views: 2, user: null });
    });
  });
}
