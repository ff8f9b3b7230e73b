import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunningApp } from '@dynamodb-session/test-support';
import type Koa from 'koa';

/** Serves `app` on a free loopback port, as `http.createServer(app.callback())`. */
export async function listen(app: Koa): Promise<RunningApp> {
  const server = createServer(app.callback()).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Answers any error as status 500 with `{ error: code }`; goes first in the middleware chain. */
export const answerErrors: Koa.Middleware = async (ctx, next) => {
  try {
    await next();
  } catch (error) {
    ctx.status = 500;
    ctx.body = { error: (error as { code?: string }).code ?? 'INTERNAL' };
  }
};
