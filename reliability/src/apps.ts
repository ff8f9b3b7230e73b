import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SessionRepository, SessionRepositoryOptions } from '@dynamodb-session/core';
import { ConnectDynamoDBStore, DynamoDBStore as ExpressStore } from '@dynamodb-session/express';
import { DynamoDBStore as FastifyStore } from '@dynamodb-session/fastify';
import { DynamoDBStore as KoaStore } from '@dynamodb-session/koa';
import type { RunningApp } from '@dynamodb-session/test-support';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import express from 'express';
import expressSession from 'express-session';
import fastify from 'fastify';
import Koa from 'koa';
import koaSession from 'koa-session';

declare module 'express-session' {
  interface SessionData {
    views?: number;
    big?: string;
    user?: string;
  }
}

declare module 'fastify' {
  interface Session {
    views?: number;
    big?: string;
    user?: string;
  }
}

/** The frameworks every reliability suite runs through. */
export type FrameworkName = 'express' | 'koa' | 'fastify';

/** The three frameworks, in the order the suites run them. */
export const FRAMEWORKS: FrameworkName[] = ['express', 'koa', 'fastify'];

/**
 * The one secret of every app: express-session's `secret`, koa's `app.keys[0]` and
 * @fastify/session's `secret`, so that tests can sign cookies of their own.
 */
export const SECRET = 'reliability secret of at least 32 characters';

/** The name of the session cookie of each framework (its default). */
export const COOKIE_NAMES: Record<FrameworkName, string> = {
  express: 'connect.sid',
  koa: 'koa.sess',
  fastify: 'sessionId',
};

/** How a reliability app is built. */
export interface ReliabilityAppOptions {
  /** Options of the store's repository: `client`, `table`, `prefix`, `requestTimeoutMs`... */
  store: SessionRepositoryOptions;
  /** Cookie (and session) lifetime in milliseconds. Default one hour. */
  maxAgeMs?: number;
  /**
   * express only: leave the save to express-session's end of the answer (it sends the status
   * and all but the last byte of the body before the save finishes) instead of calling
   * `req.session.touch()` and `req.session.save()` before answering. Default false.
   */
  autoSave?: boolean;
  /** express only: express-session's `saveUninitialized` (its default is true). Default false. */
  saveUninitialized?: boolean;
  /**
   * express only: use the connect-dynamodb drop-in's store (`ConnectDynamoDBStore`, which checks
   * the table on first use) instead of `DynamoDBStore`. Default false.
   */
  connectDynamoDB?: boolean;
}

/** A listening app and the repository behind its store. */
export interface ReliabilityApp extends RunningApp {
  framework: FrameworkName;
  /** The store's repository, for `onError` and direct reads. */
  repository: SessionRepository<object>;
}

/**
 * The adapter contract's app (see `@dynamodb-session/test-support`) on express 5 +
 * express-session: `GET /count`, `GET /peek`, `POST /logout`, plus `POST /big?bytes=n` (stores
 * a string of n bytes in the session) and `POST /login` (regenerates the session, as a login
 * should, and stores `user`), every error answered 500 `{ error: code }`.
 */
export async function startExpressApp(options: ReliabilityAppOptions): Promise<ReliabilityApp> {
  const store = options.connectDynamoDB
    ? new ConnectDynamoDBStore(options.store)
    : new ExpressStore(options.store);
  const app = express();
  app.use(
    expressSession({
      store,
      secret: SECRET,
      resave: false,
      saveUninitialized: options.saveUninitialized ?? false,
      cookie: { maxAge: options.maxAgeMs ?? ONE_HOUR_MS },
    }),
  );
  const answer = (req: express.Request, res: express.Response, next: express.NextFunction) => {
    const body = { views: req.session.views ?? 0 };
    if (options.autoSave) return void res.json(body);
    // `touch()` first, as express-session does before its own save: otherwise the save writes
    // the expiry loaded with the session, and the touch at the end of the answer writes again.
    req.session.touch();
    req.session.save((error) => (error ? next(error) : res.json(body)));
  };
  app.get('/count', (req, res, next) => {
    req.session.views = (req.session.views ?? 0) + 1;
    answer(req, res, next);
  });
  app.get('/peek', (req, res) => {
    res.json({ views: req.session.views ?? 0 });
  });
  app.post('/big', (req, res, next) => {
    req.session.big = 'x'.repeat(Number(req.query.bytes));
    answer(req, res, next);
  });
  app.post('/logout', (req, res, next) => {
    req.session.destroy((error) => (error ? next(error) : res.json({ ok: true })));
  });
  app.post('/login', (req, res, next) => {
    req.session.regenerate((error) => {
      if (error) return next(error);
      req.session.user = 'ann';
      req.session.save((saveError) => (saveError ? next(saveError) : res.json({ user: 'ann' })));
    });
  });
  app.use(
    (
      error: Error & { code?: string },
      _req: express.Request,
      res: express.Response,
      next: express.NextFunction,
    ) => {
      if (res.headersSent) return next(error);
      res.status(500).json({ error: error.code ?? 'INTERNAL' });
    },
  );
  return listen('express', createServer(app), store.repository);
}

/** The same app on koa 3 + koa-session 7 (rolling sessions, as the adapter contract). */
export async function startKoaApp(options: ReliabilityAppOptions): Promise<ReliabilityApp> {
  const store = new KoaStore(options.store);
  const app = new Koa();
  app.keys = [SECRET];
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      ctx.status = 500;
      ctx.body = { error: (error as { code?: string }).code ?? 'INTERNAL' };
    }
  });
  app.use(koaSession({ store, maxAge: options.maxAgeMs ?? ONE_HOUR_MS, rolling: true }, app));
  app.use(async (ctx) => {
    const state = ctx.session as { views?: number; big?: string };
    if (ctx.method === 'GET' && ctx.path === '/count') {
      state.views = (state.views ?? 0) + 1;
      ctx.body = { views: state.views };
    } else if (ctx.method === 'GET' && ctx.path === '/peek') {
      ctx.body = { views: state.views ?? 0 };
    } else if (ctx.method === 'POST' && ctx.path === '/big') {
      state.big = 'x'.repeat(Number(ctx.query.bytes));
      ctx.body = { views: state.views ?? 0 };
    } else if (ctx.method === 'POST' && ctx.path === '/logout') {
      ctx.session = null;
      ctx.body = { ok: true };
    } else if (ctx.method === 'POST' && ctx.path === '/login') {
      await (ctx.session as unknown as { regenerate(): Promise<void> }).regenerate();
      (ctx.session as { user?: string }).user = 'ann';
      ctx.body = { user: 'ann' };
    }
  });
  return listen('koa', createServer(app.callback()), store.repository);
}

/** The same app on fastify 5 + @fastify/session 11 (rolling sessions, as the adapter contract). */
export async function startFastifyApp(options: ReliabilityAppOptions): Promise<ReliabilityApp> {
  const store = new FastifyStore(options.store);
  const app = fastify();
  app.register(fastifyCookie);
  app.register(fastifySession, {
    store,
    secret: SECRET,
    rolling: true,
    saveUninitialized: false,
    cookie: { secure: false, maxAge: options.maxAgeMs ?? ONE_HOUR_MS },
  });
  app.get('/count', async (request) => {
    request.session.views = (request.session.views ?? 0) + 1;
    return { views: request.session.views };
  });
  app.get('/peek', async (request) => ({ views: request.session.views ?? 0 }));
  app.post<{ Querystring: { bytes?: string } }>('/big', async (request) => {
    request.session.big = 'x'.repeat(Number(request.query.bytes));
    return { views: request.session.views ?? 0 };
  });
  app.post('/logout', async (request) => {
    await request.session.destroy();
    return { ok: true };
  });
  app.post('/login', async (request) => {
    await request.session.regenerate();
    request.session.user = 'ann';
    return { user: 'ann' };
  });
  app.setErrorHandler((error: Error & { code?: string; statusCode?: number }, request, reply) => {
    // A failed save happens in @fastify/session's onSend hook, which this answer passes
    // through again: drop the session so that the store is not asked again.
    (request as { session: unknown }).session = null;
    const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 500;
    reply.code(status).send({ error: error.code ?? 'INTERNAL' });
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    framework: 'fastify',
    url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    repository: store.repository,
    close: async () => {
      await app.close();
    },
  };
}

/** Starts the app of `framework`. */
export function startApp(
  framework: FrameworkName,
  options: ReliabilityAppOptions,
): Promise<ReliabilityApp> {
  const start = { express: startExpressApp, koa: startKoaApp, fastify: startFastifyApp }[framework];
  return start(options);
}

const ONE_HOUR_MS = 3_600_000;

async function listen(
  framework: FrameworkName,
  server: Server,
  repository: SessionRepository<object>,
): Promise<ReliabilityApp> {
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    framework,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    repository,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
