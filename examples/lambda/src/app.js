import express from 'express';
import session from 'express-session';

/** The session cookie's name (express-session's default). */
export const COOKIE_NAME = 'connect.sid';

/**
 * The app behind the Lambda function: an ordinary express 5 app, unaware of Lambda. A JSON API
 * with a visit counter (`GET /`), `POST /login` (form or JSON field `user`) and
 * `POST /logout`, its sessions in `store`.
 * @param {session.Store} store
 */
export function createApp(store) {
  const app = express();
  app.use(express.urlencoded({ extended: false }), express.json());
  app.use(
    session({
      store,
      name: COOKIE_NAME,
      secret: process.env.SESSION_SECRET ?? 'demo secret: set SESSION_SECRET in production',
      resave: false,
      saveUninitialized: false,
      // Secure: the cookie only travels over HTTPS, which is all API Gateway speaks. No
      // `proxy: true` or app.set('trust proxy', ...) is needed for it: serverless-http hands
      // express a request whose socket is marked encrypted. (Behind a proxy that forwards
      // plain HTTP to a long-running server, you would need them.)
      cookie: { maxAge: 30 * 60 * 1000, httpOnly: true, sameSite: 'lax', secure: true },
    }),
  );

  app.get('/', (req, res) => {
    const state = /** @type {{ views?: number, user?: string }} */ (req.session);
    state.views = (state.views ?? 0) + 1;
    res.json({ views: state.views, user: state.user ?? null });
  });

  app.post('/login', (req, res, next) => {
    const user = String(req.body?.user ?? 'guest').slice(0, 64);
    // A new session id on login, so that an id known before login is worth nothing after it.
    req.session.regenerate((error) => {
      if (error) return next(error);
      /** @type {{ user?: string }} */ (req.session).user = user;
      res.json({ user });
    });
  });

  app.post('/logout', (req, res, next) => {
    req.session.destroy((error) => {
      if (error) return next(error);
      res.clearCookie(COOKIE_NAME, { httpOnly: true, sameSite: 'lax', secure: true });
      res.json({ user: null });
    });
  });

  app.use(handleError);
  return app;
}

/**
 * Answers a failed request, a session store error included, with its code: a DynamoDB that
 * does not answer within `requestTimeoutMs` gives a 500 with code TIMEOUT, a missing table
 * TABLE_NOT_FOUND.
 * @param {Error & { code?: string }} error
 * @param {import('express').Request} _req
 * @param {import('express').Response} res
 * @param {import('express').NextFunction} _next
 */
function handleError(error, _req, res, _next) {
  console.error(error);
  res.status(500).json({ error: error.code ?? 'INTERNAL', message: error.message });
}
