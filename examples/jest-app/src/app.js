const express = require('express');
const session = require('express-session');

/**
 * @typedef {object} AppOptions
 * @property {session.Store} store Where the sessions live: a `DynamoDBStore` in production, one
 *   on an in-memory repository in tests.
 * @property {string} [secret] The cookie-signing secret. Default: `SESSION_SECRET`.
 * @property {number} [maxAgeMs] Session (and cookie) lifetime. Default 30 minutes.
 */

/** @typedef {{ views?: number, user?: string }} AppSession */

/**
 * The app: a visit counter, and a login kept in the session, which lasts `maxAgeMs` after the
 * last request (`rolling`). It takes its session store as a parameter, so that tests can hand
 * it another one.
 * @param {AppOptions} options
 */
function createApp({ store, secret, maxAgeMs = 30 * 60 * 1000 }) {
  const app = express();
  app.use(express.json());
  app.use(
    session({
      store,
      secret: secret ?? process.env.SESSION_SECRET ?? 'dev secret: set SESSION_SECRET',
      resave: false,
      saveUninitialized: false,
      rolling: true,
      cookie: { maxAge: maxAgeMs, httpOnly: true, sameSite: 'lax' },
    }),
  );

  app.get('/', (req, res) => {
    const state = /** @type {AppSession} */ (req.session);
    state.views = (state.views ?? 0) + 1;
    res.json({ views: state.views, user: state.user ?? null });
  });

  app.post('/login', (req, res, next) => {
    const user = String(req.body?.user ?? '').slice(0, 64);
    if (!user) return res.status(400).json({ error: 'USER_REQUIRED' });
    req.session.regenerate((error) => {
      if (error) return next(error);
      /** @type {AppSession} */ (req.session).user = user;
      res.json({ user });
    });
  });

  app.get('/me', (req, res) => {
    const { user } = /** @type {AppSession} */ (req.session);
    if (!user) return res.status(401).json({ error: 'NOT_LOGGED_IN' });
    res.json({ user });
  });

  app.post('/logout', (req, res, next) => {
    req.session.destroy((error) => {
      if (error) return next(error);
      res.clearCookie('connect.sid').json({ ok: true });
    });
  });

  app.use(answerError);
  return app;
}

/**
 * Answers a failed request, a session store error included, with its code.
 * @param {Error & { code?: string }} error
 * @param {express.Request} _req
 * @param {express.Response} res
 * @param {express.NextFunction} _next
 */
function answerError(error, _req, res, _next) {
  res.status(500).json({ error: error.code ?? 'INTERNAL' });
}

module.exports = { createApp };
