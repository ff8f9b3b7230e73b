import express from 'express';
import session from 'express-session';

/**
 * The demo app: a visit counter, and login/logout, with its sessions in `store`.
 * @param {session.Store} store
 */
export function createApp(store) {
  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.use(
    session({
      store,
      secret: process.env.SESSION_SECRET ?? 'demo secret: set SESSION_SECRET in production',
      resave: false,
      saveUninitialized: false,
      cookie: { maxAge: 30 * 60 * 1000, httpOnly: true, sameSite: 'lax' },
    }),
  );

  app.get('/', (req, res) => {
    const state = /** @type {{ views?: number, user?: string }} */ (req.session);
    state.views = (state.views ?? 0) + 1;
    const body = { views: state.views, user: state.user ?? null };
    if (req.accepts(['html', 'json']) === 'json') return res.json(body);
    res.type('html').send(page(body));
  });

  app.post('/login', (req, res, next) => {
    const user = String(req.body?.user ?? req.query.user ?? 'guest').slice(0, 64);
    req.session.regenerate((error) => {
      if (error) return next(error);
      /** @type {{ user?: string }} */ (req.session).user = user;
      // saved before answering: express-session would save after the response, and a failed
      // save would then reach only the log while the browser got its redirect
      req.session.save((error) => {
        if (error) return next(error);
        res.redirect(303, '/');
      });
    });
  });

  app.post('/logout', (req, res, next) => {
    req.session.destroy((error) => {
      if (error) return next(error);
      res.clearCookie('connect.sid');
      res.redirect(303, '/');
    });
  });

  app.use(handleError);
  return app;
}

/**
 * Answers a failed request, a session store error included, with its code.
 * @param {Error & { code?: string }} error
 * @param {import('express').Request} _req
 * @param {import('express').Response} res
 * @param {import('express').NextFunction} _next
 */
function handleError(error, _req, res, _next) {
  console.error(error);
  res.status(500).json({ error: error.code ?? 'INTERNAL', message: error.message });
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
