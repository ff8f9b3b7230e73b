import {
  type AdapterUnderTest,
  type AppOptions,
  describeAdapterContract,
} from '@dynamodb-session/test-support';
import Koa3 from 'koa';
import Koa2 from 'koa-2';
import session7 from 'koa-session';
import session6 from 'koa-session-6';
import { DynamoDBStore } from '../src/index';
import { answerErrors, listen } from './koa-app';

function koaAdapter(name: string, Koa: typeof Koa3, session: typeof session7): AdapterUnderTest {
  return {
    name,
    start({ client, table, maxAgeMs, touchAfterMs }: AppOptions) {
      const app = new Koa();
      app.keys = ['contract secret'];
      app.use(answerErrors);
      app.use(
        session(
          {
            store: new DynamoDBStore({ client, table, touchAfterMs }),
            maxAge: maxAgeMs,
            rolling: true,
          },
          app,
        ),
      );
      app.use(async (ctx) => {
        const state = ctx.session as { views?: number };
        if (ctx.method === 'GET' && ctx.path === '/count') {
          state.views = (state.views ?? 0) + 1;
          ctx.body = { views: state.views };
        } else if (ctx.method === 'GET' && ctx.path === '/peek') {
          ctx.body = { views: state.views ?? 0 };
        } else if (ctx.method === 'POST' && ctx.path === '/logout') {
          ctx.session = null;
          ctx.body = { ok: true };
        }
      });
      return listen(app);
    },
  };
}

describeAdapterContract(koaAdapter('koa 3 + koa-session 7', Koa3, session7));
describeAdapterContract(koaAdapter('koa 2 + koa-session 6', Koa2, session6));
