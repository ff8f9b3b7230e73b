import Koa from 'koa';
import session from 'koa-session';

/** @typedef {{ views?: number, user?: string, regenerate(): Promise<void> }} DemoSession */

/**
 * The demo app: a visit counter, and login/logout, with its sessions in `store`.
 * @param {import('@dynamodb-session/koa').DynamoDBStore} store
 */
export function createApp(store) {
  const app = new Koa();
  app.keys = [process.env.SESSION_SECRET ?? 'demo secret: set SESSION_SECRET in production'];
  app.use(handleErrors);
  app.use(
    session({ store, maxAge: 30 * 60 * 1000, httpOnly: true, sameSite: 'lax', rolling: true }, app),
  );

  app.use(async (ctx, next) => {
    if (ctx.method !== 'GET' || ctx.path !== '/') return next();
    const state = /** @type {DemoSession} */ (ctx.session);
    state.views = (state.views ?? 0) + 1;
    const body = { views: state.views, user: state.user ?? null };
    if (ctx.accepts('html', 'json') === 'json') ctx.body = body;
    else ctx.body = page(body);
  });

  app.use(async (ctx, next) => {
    if (ctx.method !== 'POST' || ctx.path !== '/login') return next();
    const form = new URLSearchParams(await readBody(ctx));
    const user = String(form.get('user') ?? ctx.query.user ?? 'guest').slice(0, 64);
    ctx.session = { user };
    await /** @type {DemoSession} */ (ctx.session).regenerate();
    ctx.status = 303;
    ctx.redirect('/');
  });

  app.use(async (ctx, next) => {
    if (ctx.method !== 'POST' || ctx.path !== '/logout') return next();
    ctx.session = null;
    ctx.status = 303;
    ctx.redirect('/');
  });

  return app;
}

/**
 * Answers a failed request, a session store error included, with its code.
 * @param {Koa.Context} ctx
 * @param {Koa.Next} next
 */
async function handleErrors(ctx, next) {
  try {
    await next();
  } catch (caught) {
    const error = /** @type {Error & { code?: string, status?: number }} */ (caught);
    console.error(error);
    ctx.status = error.status ?? 500;
    ctx.body = { error: error.code ?? 'INTERNAL', message: error.message };
  }
}

/**
 * The request body as text (small forms only).
 * @param {Koa.Context} ctx
 */
async function readBody(ctx) {
  let text = '';
  for await (const chunk of ctx.req) {
    text += chunk;
    if (text.length > 4096) ctx.throw(413);
  }
  return text;
}

/** @param {{ views: number, user: string | null }} state */
function page({ views, user }) {
  const who = user
    ? `<p>Logged in as <b>${escapeHtml(user)}</b>.</p><form method="post" action="/logout"><button>Log out</button></form>`
    : `<form method="post" action="/login"><input name="user" placeholder="name"><button>Log in</button></form>`;
  return `<!doctype html><title>dynamodb-session koa demo</title><h1>Visits: ${views}</h1>${who}`;
}

/** @param {string} text */
function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
