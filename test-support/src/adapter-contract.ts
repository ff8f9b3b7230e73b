import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestTable, dropTable, localClient, testServers } from './test-tables';

/** A running app of one framework, with sessions in the store under test. */
export interface RunningApp {
  /** Base URL, e.g. `http://127.0.0.1:45678`, without a trailing slash. */
  url: string;
  /** Stops the server (and releases nothing the test owns, such as the client). */
  close(): Promise<void>;
}

/** How the contract starts an app: the store options it must use. */
export interface AppOptions {
  client: DynamoDBClient;
  table: string;
  /** Cookie / session lifetime in milliseconds. */
  maxAgeMs: number;
  /** Passed to the store's repository (`touchAfterMs`); undefined for the default. */
  touchAfterMs?: number;
}

/**
 * One framework adapter under test. `start` serves, with the adapter's store and a fixed
 * secret shared by every app it starts:
 * - `GET /count`: increments `views` in the session, answers `{ "views": n }`;
 * - `GET /peek`: answers `{ "views": n }` (0 without a session) and leaves the session unchanged;
 * - `POST /logout`: destroys the session, answers `{ "ok": true }`;
 * - any error: status 500 with `{ "error": code }`, `code` being the error's `code` property.
 */
export interface AdapterUnderTest {
  /** Name shown in the test titles, e.g. `koa 3 + koa-session 7`. */
  name: string;
  start(options: AppOptions): Promise<RunningApp>;
}

/**
 * A fetch that carries cookies between requests, as a browser (or curl's cookie jar) does. It
 * reads each response to its end before resolving, so the next request never overtakes a
 * session write the server finishes after sending the body's first bytes. The responses it
 * returns carry no `Set-Cookie` header (the jar took them): read cookies with `cookie(name)`.
 */
export interface CookieJarFetch {
  (path: string, init?: RequestInit): Promise<Response>;
  /** The `Cookie` header the next request will send. */
  cookieHeader(): string;
  /** The value of cookie `name` in the jar, if any. */
  cookie(name: string): string | undefined;
}

/** A {@link CookieJarFetch} against `baseUrl`. */
export function cookieJarFetch(baseUrl: string): CookieJarFetch {
  const jar = new Map<string, string>();
  const cookieHeader = () => [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
  const send = async (path: string, init: RequestInit = {}) => {
    const cookie = cookieHeader();
    const response = await fetch(baseUrl + path, {
      ...init,
      redirect: 'manual',
      headers: { accept: 'application/json', ...(cookie && { cookie }), ...init.headers },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const index = pair.indexOf('=');
      const name = pair.slice(0, index).trim();
      const value = pair.slice(index + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) jar.delete(name);
      else jar.set(name, value);
    }
    const body = await response.arrayBuffer();
    return new Response(response.status === 204 || response.status === 304 ? null : body, {
      status: response.status,
      headers: response.headers,
    });
  };
  return Object.assign(send, { cookieHeader, cookie: (name: string) => jar.get(name) });
}

/** Counts the DynamoDB commands a client sends, by command name. */
export function countCommands(client: DynamoDBClient): {
  counts: Record<string, number>;
  reset(): void;
  stop(): void;
} {
  const name = `count-commands-${Math.random().toString(36).slice(2)}`;
  const counts: Record<string, number> = {};
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? 'unknown';
      counts[command] = (counts[command] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name },
  );
  return {
    counts,
    reset: () => {
      for (const key of Object.keys(counts)) delete counts[key];
    },
    stop: () => {
      client.middlewareStack.remove(name);
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const json = async (response: Response) => ({
  status: response.status,
  body: await response.json(),
});

/**
 * The behaviour every framework adapter must show, on every local server: run it once per
 * adapter (`describeAdapterContract(koaAdapter)`). Uses real HTTP against a listening app.
 */
export function describeAdapterContract(adapter: AdapterUnderTest): void {
  for (const server of testServers()) {
    describe(`adapter contract: ${adapter.name} on ${server.name}`, () => {
      const client = localClient(server.endpoint);
      let table = '';
      beforeAll(async () => {
        table = await createTestTable(client);
      });
      afterAll(async () => {
        await dropTable(client, table);
        client.destroy();
      });
      defineContractTests(`${adapter.name} on ${server.name}`, {
        start: ({ failing, ...options }) =>
          adapter.start({
            client,
            table: failing ? 'no-such-table' : table,
            maxAgeMs: 60_000,
            ...options,
          }),
        countRequests: () => {
          const counter = countCommands(client);
          return { counts: () => ({ ...counter.counts }), stop: counter.stop };
        },
      });
    });
  }
}

/** What the contract needs of a repository it hands an app: reads, and request counters. */
export interface ContractRepositoryLike {
  get(id: string): Promise<unknown>;
  /** The DynamoDB requests sent (or, in memory, that would have been), by operation. */
  metrics(): { requests: Record<string, number> };
}

/** One framework adapter whose app is built on a repository it is handed. */
export interface RepositoryAdapterUnderTest<Repository> {
  /** Name shown in the test titles, e.g. `fastify 5 example app`. */
  name: string;
  /** Serves the routes of {@link AdapterUnderTest} with a store on `repository`. */
  start(options: { repository: Repository; maxAgeMs: number }): Promise<RunningApp>;
}

/**
 * The same contract as {@link describeAdapterContract}, for an app whose store is given a ready
 * repository (`new DynamoDBStore({ repository })`), such as the in-memory repository of
 * `@dynamodb-session/core/testing`: requests are counted by the repository's `metrics()`, and
 * the failing store is one whose reads reject with code `TABLE_NOT_FOUND`.
 */
export function describeAdapterContractOnRepository<Repository extends ContractRepositoryLike>(
  adapter: RepositoryAdapterUnderTest<Repository>,
  label: string,
  createRepository: (options: { touchAfterMs?: number }) => Repository,
): void {
  describe(`adapter contract: ${adapter.name} on ${label}`, () => {
    const repositories: Repository[] = [];
    defineContractTests(`${adapter.name} on ${label}`, {
      start: ({ failing, maxAgeMs = 60_000, touchAfterMs }) => {
        const repository = createRepository({ touchAfterMs });
        if (failing) {
          const missing = Object.assign(new Error('no such table'), {
            name: 'SessionStoreError',
            code: 'TABLE_NOT_FOUND',
          });
          repository.get = () => Promise.reject(missing);
        }
        repositories.push(repository);
        return adapter.start({ repository, maxAgeMs });
      },
      countRequests: () => {
        const total = () => {
          const counts: Record<string, number> = {};
          for (const repository of repositories) {
            for (const [operation, count] of Object.entries(repository.metrics().requests)) {
              const name = `${operation}Command`;
              counts[name] = (counts[name] ?? 0) + count;
            }
          }
          return counts;
        };
        const before = total();
        return {
          counts: () =>
            Object.fromEntries(
              Object.entries(total())
                .map(([name, count]) => [name, count - (before[name] ?? 0)] as const)
                .filter(([, count]) => count > 0),
            ),
          stop: () => {},
        };
      },
    });
  });
}

/** Where the apps of one contract run keep their sessions, and how their requests are counted. */
interface ContractBackend {
  /** Starts an app; `failing`: on a store whose every read fails with code TABLE_NOT_FOUND. */
  start(options: {
    maxAgeMs?: number;
    touchAfterMs?: number;
    failing?: boolean;
  }): Promise<RunningApp>;
  /** Counts the requests to DynamoDB from now on, by command name (`GetItemCommand`...). */
  countRequests(): { counts(): Record<string, number>; stop(): void };
}

function defineContractTests(label: string, backend: ContractBackend): void {
  const apps: RunningApp[] = [];
  const start = async (options: Parameters<ContractBackend['start']>[0] = {}) => {
    const app = await backend.start(options);
    apps.push(app);
    return app;
  };
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(() => {
    process.on('unhandledRejection', onUnhandled);
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await Promise.all(apps.map((app) => app.close()));
    expect(unhandled).toEqual([]);
  });

  it('creates a session, reads it back and updates it across requests', async () => {
    const browser = cookieJarFetch((await start()).url);
    expect(await json(await browser('/count'))).toEqual({ status: 200, body: { views: 1 } });
    expect(await json(await browser('/count'))).toEqual({ status: 200, body: { views: 2 } });
    expect(await json(await browser('/peek'))).toEqual({ status: 200, body: { views: 2 } });
    expect(await json(await browser('/count'))).toEqual({ status: 200, body: { views: 3 } });
  });

  it('keeps the sessions of two clients apart', async () => {
    const { url } = await start();
    const first = cookieJarFetch(url);
    const second = cookieJarFetch(url);
    await first('/count');
    await first('/count');
    expect((await json(await second('/count'))).body).toEqual({ views: 1 });
    expect((await json(await first('/peek'))).body).toEqual({ views: 2 });
  });

  it('destroys the session on logout', async () => {
    const browser = cookieJarFetch((await start()).url);
    await browser('/count');
    await browser('/count');
    expect((await json(await browser('/logout', { method: 'POST' }))).status).toBe(200);
    expect((await json(await browser('/peek'))).body).toEqual({ views: 0 });
    expect((await json(await browser('/count'))).body).toEqual({ views: 1 });
  });

  it('ends a session at its expiry (to the second once only its TTL was refreshed)', async () => {
    const browser = cookieJarFetch((await start({ maxAgeMs: 1_500 })).url);
    expect((await json(await browser('/count'))).body).toEqual({ views: 1 });
    expect((await json(await browser('/peek'))).body).toEqual({ views: 1 });
    await sleep(1_500 + 1_000 + 200);
    expect((await json(await browser('/peek'))).body).toEqual({ views: 0 });
  });

  it('serves concurrent requests on one session without failing or losing it', async () => {
    const browser = cookieJarFetch((await start()).url);
    await browser('/count');
    const results = await Promise.all(Array.from({ length: 10 }, () => browser('/count')));
    expect(results.map((response) => response.status)).toEqual(Array(10).fill(200));
    const { views } = (await json(await browser('/peek'))).body as { views: number };
    expect(views).toBeGreaterThanOrEqual(2);
    expect(views).toBeLessThanOrEqual(11);
  });

  it('answers 500 through the framework when DynamoDB fails, and keeps serving', async () => {
    const working = cookieJarFetch((await start()).url);
    await working('/count');
    const broken = await start({ failing: true });
    const cookie = working.cookieHeader();
    for (let attempt = 0; attempt < 2; attempt++) {
      const response = await fetch(`${broken.url}/peek`, { headers: { cookie } });
      expect(await json(response)).toEqual({ status: 500, body: { error: 'TABLE_NOT_FOUND' } });
    }
    expect((await json(await working('/peek'))).body).toEqual({ views: 1 });
  });

  it('sends no write for unmodified requests within touchAfterMs', async () => {
    const { url } = await start({ touchAfterMs: 60_000 });
    const browser = cookieJarFetch(url);
    await browser('/count');
    const counter = backend.countRequests();
    try {
      for (let i = 0; i < 100; i++) await browser('/peek');
      expect(counter.counts()).toEqual({ GetItemCommand: 100 });
    } finally {
      counter.stop();
    }
  });

  it('refreshes the expiry of unmodified sessions at most once a second, never with a full write', async () => {
    const { url } = await start();
    const browser = cookieJarFetch(url);
    await browser('/count');
    const counter = backend.countRequests();
    const started = Date.now();
    try {
      for (let i = 0; i < 100; i++) await browser('/peek');
      const seconds = Math.ceil((Date.now() - started) / 1000);
      const { GetItemCommand = 0, UpdateItemCommand = 0, PutItemCommand = 0 } = counter.counts();
      expect(GetItemCommand).toBe(100);
      expect(PutItemCommand).toBe(0);
      expect(UpdateItemCommand).toBeLessThanOrEqual(seconds + 1);
      console.info(
        `${label}: 100 unmodified requests sent ${GetItemCommand} reads, ` +
          `${UpdateItemCommand} expiry refreshes, ${PutItemCommand} full writes in ${Date.now() - started} ms`,
      );
    } finally {
      counter.stop();
    }
  });
}
