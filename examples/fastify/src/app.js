import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import Fastify from 'fastify';

/**
 * The demo app: a visit counter, and login/logout, with its sessions in `store`.
 * @param {import('@fastify/session').SessionStore} store
 */
export function createApp(store) {
  const app = Fastify();
  app.register(fastifyCookie);
  app.register(fastifySession, {
    store,
    secret: process.env.SESSION_SECRET ?? 'demo secret: set SESSION_SECRET in production',
    saveUninitialized: false,
    cookie: { maxAge: 30 * 60 * 1000, httpOnly: true, sameSite: 'lax', secure: 'auto' },
  });
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  );

  app.get('/', async (request, reply) => {
    request.session.views = (request.session.views ?? 0) + 1;
    const body = { views: request.session.views, user: request.session.user ?? null };
    if (wantsJson(request.headers.accept)) return body;
    return reply.type('text/html').send(page(body));
  });

  app.post('/login', async (request, reply) => {
    const form = /** @type {{ user?: unknown } | undefined} */ (request.body);
    const query = /** @type {{ user?: unknown }} */ (request.query);
    const user = String(form?.user ?? query.user ?? 'guest').slice(0, 64);
    await request.session.regenerate();
    request.session.user = user;
    return reply.redirect('/', 303);
  });

  app.post('/logout', async (request, reply) => {
    await request.session.destroy();
    reply.clearCookie('sessionId', { path: '/' });
    return reply.redirect('/', 303);
  });

  app.setErrorHandler(handleError);
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
function handleError(error, request, reply) {
  console.error(error);
  if (error.name === 'SessionStoreError') {
    /** @type {{ session: unknown }} */ (request).session = null;
  }
  reply.code(500).send({ error: error.code ?? 'INTERNAL', message: error.message });
}

/**
 * Whether the client asked for JSON rather than a page.
 * @param {string | undefined} accept
 */
function wantsJson(accept = '') {
  return accept.includes('application/json') && !accept.includes('text/html');
}

/** @param {{ views: number, user: string | null }} state */
function page({ views, user }) {
  const who = user
    ? `<p>Logged in as <b>${escapeHtml(user)}</b>.</p><form method="post" action="/logout"><button>Log out</button></form>`
    : `<form method="post" action="/login"><input name="user" placeholder="name"><button>Log in</button></form>`;
  return `<!doctype html><title>dynamodb-session demo</title><h1>Visits: ${views}</h1>${who}`;
}

/** @param {string} text */
function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
