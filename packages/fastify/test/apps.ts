import type { AddressInfo } from 'node:net';
import { isSessionStoreError } from '@dynamodb-session/core';
import { cookieJarFetch } from '@dynamodb-session/test-support';
import fastifyCookie from '@fastify/cookie';
import fastifyCookie9 from '@fastify/cookie-9';
import fastifySession from '@fastify/session';
import fastifySession10 from '@fastify/session-10';
import fastify, { type FastifyInstance } from 'fastify';
import fastify4 from 'fastify-4';
import type { DynamoDBStore } from '../src/index';

declare module 'fastify' {
  interface Session {
    views?: number;
    user?: string;
  }
}

/** One fastify major with the @fastify/cookie and @fastify/session majors made for it. */
export interface FastifyVersion {
  name: string;
  fastify: typeof fastify;
  cookie: typeof fastifyCookie;
  session: typeof fastifySession;
  /** Whether `session.regenerate()` deletes the old session (@fastify/session 11 does, 10 not). */
  regenerateDestroysOld: boolean;
}

/** fastify 5 + @fastify/session 11, and fastify 4 + @fastify/session 10 (types of the former). */
export const fastifyVersions: FastifyVersion[] = [
  {
    name: 'fastify 5 + @fastify/session 11',
    fastify,
    cookie: fastifyCookie,
    session: fastifySession,
    regenerateDestroysOld: true,
  },
  {
    name: 'fastify 4 + @fastify/session 10',
    fastify: fastify4 as unknown as typeof fastify,
    cookie: fastifyCookie9 as unknown as typeof fastifyCookie,
    session: fastifySession10 as unknown as typeof fastifySession,
    regenerateDestroysOld: false,
  },
];

/** One secret for every app, so a cookie issued by one app is valid on another. */
export const SECRET = 'a fixed secret of at least 32 characters, for tests';

/**
 * An app with sessions in `store` (rolling, `saveUninitialized: false`), serving the adapter
 * contract's routes (`/count`, `/peek`, `POST /logout`) plus `/whoami` and `POST /login`, and
 * answering every error with 500 `{ error: code }` through fastify's error handler. Without `maxAgeMs` the cookie is a
 * browser-session cookie.
 */
export function buildApp(
  version: FastifyVersion,
  store: DynamoDBStore,
  maxAgeMs?: number,
): FastifyInstance {
  const app = version.fastify();
  app.register(version.cookie);
  app.register(version.session, {
    store,
    secret: SECRET,
    rolling: true,
    saveUninitialized: false,
    cookie: { secure: false, ...(maxAgeMs !== undefined && { maxAge: maxAgeMs }) },
  });
  app.get('/count', async (request) => {
    request.session.views = (request.session.views ?? 0) + 1;
    return { views: request.session.views };
  });
  app.get('/peek', async (request) => ({ views: request.session.views ?? 0 }));
  app.get('/whoami', async (request) => ({
    id: request.session.sessionId,
    user: request.session.user ?? null,
    views: request.session.views ?? 0,
  }));
  app.post('/login', async (request) => {
    await request.session.regenerate();
    request.session.user = 'ann';
    return { id: request.session.sessionId };
  });
  app.post('/logout', async (request) => {
    await request.session.destroy();
    return { ok: true };
  });
  app.setErrorHandler((error: Error & { code?: string }, request, reply) => {
    // A failed save happens in @fastify/session's onSend hook, which this answer passes
    // through again: drop the session so that the store is not asked again.
    if (isSessionStoreError(error)) (request as { session: unknown }).session = null;
    reply.code(500).send({ error: error.code ?? 'INTERNAL' });
  });
  return app;
}

/** Starts `app` on a free loopback port; resolves its base URL. */
export async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

/** A JSON answer: status and parsed body. */
export interface JsonAnswer {
  status: number;
  body: Record<string, unknown>;
}

/**
 * A client that keeps the session cookie between requests, as a browser does; `headers`
 * (a `cookie` of its own, say) override it for one request.
 */
export type Browser = (
  method: 'GET' | 'POST',
  path: string,
  headers?: Record<string, string>,
) => Promise<JsonAnswer>;

/** How the tests reach an app: `fastify.inject` (no socket), or real HTTP to a listening server. */
export type Transport = 'inject' | 'http';

/** A {@link Browser} for `app` over `transport`; readies or starts the app. */
export async function browserFor(app: FastifyInstance, transport: Transport): Promise<Browser> {
  if (transport === 'http') {
    const send = cookieJarFetch(await listen(app));
    return async (method, path, headers = {}) => {
      const response = await send(path, { method, headers });
      return { status: response.status, body: (await response.json()) as JsonAnswer['body'] };
    };
  }
  await app.ready();
  let cookie = '';
  return async (method, path, headers = {}) => {
    const response = await app.inject({
      method,
      url: path,
      headers: { ...(cookie && { cookie }), ...headers },
    });
    const sent = response.cookies.find((entry) => entry.name === 'sessionId');
    if (sent) {
      const cleared = sent.value === '' || (sent.expires && sent.expires.getTime() <= Date.now());
      cookie = cleared ? '' : `sessionId=${sent.value}`;
    }
    return { status: response.statusCode, body: response.json<JsonAnswer['body']>() };
  };
}
