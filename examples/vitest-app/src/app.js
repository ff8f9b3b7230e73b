import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import Fastify from 'fastify';

/**
 * @typedef {object} AppOptions
 * @property {import('@fastify/session').SessionStore} store Where the sessions live: a
 *   `DynamoDBStore` in production, one on an in-memory repository in tests.
 * @property {string} [secret] The cookie-signing secret, 32 characters or more. Default:
 *   `SESSION_SECRET`.
 * @property {number} [maxAgeMs] Session (and cookie) lifetime, from the last request. Default
 *   30 minutes.
 */

/**
 * The app: a visit counter (`GET /count`, `GET /peek`), and a login kept in the session. It
 * takes its session store as a parameter, so that tests can hand it another one.
 * @param {AppOptions} options
 */
export function createApp({ store, secret, maxAgeMs = 30 * 60 * 1000 }) {
  const app = Fastify();
  app.register(fastifyCookie);
  app.register(fastifySession, {
    store,
    secret: secret ?? process.env.SESSION_SECRET ?? 'development secret: set SESSION_SECRET',
    saveUninitialized: false,
    cookie: { maxAge: maxAgeMs, httpOnly: true, sameSite: 'lax', secure: false },
  });

  app.get('/count', async (request) => {
    request.session.views = (request.session.views ?? 0) + 1;
    return { views: request.session.views };
  });

  app.get('/peek', async (request) => ({ views: request.session.views ?? 0 }));

  app.post('/login', async (request, reply) => {
    const body = /** @type {{ user?: unknown } | undefined} */ (request.body);
    const user = String(body?.user ?? '');
    if (!user) return reply.code(400).send({ error: 'USER_REQUIRED' });
    await request.session.regenerate();
    request.session.user = user.slice(0, 64);
    return { user: request.session.user };
  });

  app.get('/me', async (request, reply) => {
    const { user } = request.session;
    if (!user) return reply.code(401).send({ error: 'NOT_LOGGED_IN' });
    return { user };
  });

  app.post('/logout', async (request) => {
    await request.session.destroy();
    return { ok: true };
  });

  app.setErrorHandler(answerError);
  return app;
}

/**
 * Answers a failed request, a session store error included, with its code. A store error may
 * come from saving the session, in @fastify/session's onSend hook, which this answer passes
 * through again: the session is dropped so that the store is not asked a second time.
 * @param {Error & { code?: string }} error
 * @param {import('fastify').FastifyRequest} request
 * @param {import('fastify').FastifyReply} reply
 */
function answerError(error, request, reply) {
  if (error.name === 'SessionStoreError') {
    /** @type {{ session: unknown }} */ (request).session = null;
  }
  reply.code(500).send({ error: error.code ?? 'INTERNAL' });
}
