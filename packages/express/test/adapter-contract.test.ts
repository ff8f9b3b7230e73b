import type { AddressInfo } from 'node:net';
import {
  type AdapterUnderTest,
  type AppOptions,
  describeAdapterContract,
} from '@dynamodb-session/test-support';
import express5 from 'express';
import express4 from 'express-4';
import session from 'express-session';
import { DynamoDBStore } from '../src/index';

declare module 'express-session' {
  interface SessionData {
    views?: number;
  }
}

function expressAdapter(name: string, framework: typeof express5): AdapterUnderTest {
  return {
    name,
    async start({ client, table, maxAgeMs, touchAfterMs }: AppOptions) {
      const app = framework();
      app.use(
        session({
          store: new DynamoDBStore({ client, table, touchAfterMs }),
          secret: 'contract secret',
          resave: false,
          saveUninitialized: false,
          cookie: { maxAge: maxAgeMs },
        }),
      );
      app.get('/count', (req, res) => {
        req.session.views = (req.session.views ?? 0) + 1;
        res.json({ views: req.session.views });
      });
      app.get('/peek', (req, res) => {
        res.json({ views: req.session.views ?? 0 });
      });
      app.post('/logout', (req, res, next) => {
        req.session.destroy((error) => (error ? next(error) : res.json({ ok: true })));
      });
      app.use(
        (
          error: Error & { code?: string },
          _req: express5.Request,
          res: express5.Response,
          _next: express5.NextFunction,
        ) => {
          res.status(500).json({ error: error.code ?? 'INTERNAL' });
        },
      );
      const server = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () =>
          new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      };
    },
  };
}

describeAdapterContract(expressAdapter('express 5 + express-session', express5));
describeAdapterContract(expressAdapter('express 4 + express-session', express4));
