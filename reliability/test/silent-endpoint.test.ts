import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAMEWORKS, type FrameworkName, startApp } from '../src/apps';
import { signedSessionCookie } from '../src/cookies';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** What a web request may take, in all, against a DynamoDB that never answers. */
const ANSWER_WITHIN_MS = 10_000;
/** Under two waits of the default `requestTimeoutMs` (3 s), with room for a loaded machine. */
const ONE_WAIT_AT_MOST_MS = 5_500;

// A DynamoDB endpoint that accepts connections and never answers (a partition, a dead load
// balancer): only a timeout ends a call to it.
let silent: Server;
let endpoint = '';
const sockets = new Set<Socket>();
beforeAll(async () => {
  silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

/** The requests of a test: a read of a session, and logins that regenerate the session. */
const REQUESTS: { name: string; method: 'GET' | 'POST'; path: string; withSession: boolean }[] = [
  { name: 'a read of a session (GET /peek)', method: 'GET', path: '/peek', withSession: true },
  {
    name: 'a login without a session (regenerate: destroy + set)',
    method: 'POST',
    path: '/login',
    withSession: false,
  },
  {
    name: 'a login with a session (read, then regenerate: destroy + set)',
    method: 'POST',
    path: '/login',
    withSession: true,
  },
];

const measured: string[] = [];
afterAll(() => {
  console.info(`silent DynamoDB endpoint, default options:\n  ${measured.join('\n  ')}`);
});

/** The apps: each framework with default store options, and express-session's own defaults. */
const APPS: {
  label: string;
  framework: FrameworkName;
  saveUninitialized?: boolean;
  connectDynamoDB?: boolean;
}[] = [
  ...FRAMEWORKS.map((framework) => ({ label: framework, framework })),
  { label: 'express (saveUninitialized: true)', framework: 'express', saveUninitialized: true },
  {
    label: 'express, connect-dynamodb drop-in (table check on first use)',
    framework: 'express',
    connectDynamoDB: true,
  },
];

// One request at a time, each on an app of its own (a new store, so that no earlier timeout
// makes it fail fast): the figure is the full wait of that request. Every store call is counted
// through the repository's onError listeners: one waits the whole timeout, any that follow in
// the same request fail fast.
describe('a DynamoDB endpoint that accepts connections and never answers, default store options', () => {
  for (const app of APPS) {
    for (const request of REQUESTS) {
      it(`${app.label}: ${request.name} answers an error within ${ANSWER_WITHIN_MS / 1000} s`, async () => {
        const { status, body, ms, waited, failedFast } = await timedRequest(app, request);
        measured.push(
          `${app.label} ${request.method} ${request.path}${request.withSession ? ' (with a session)' : ''}: ` +
            `${status} ${JSON.stringify(body)} in ${Math.round(ms)} ms; store calls: ${waited} timed out, ${failedFast} failed fast`,
        );
        expect(status).toBe(500);
        expect(body).toEqual({ error: 'TIMEOUT' });
        expect(ms).toBeLessThan(ANSWER_WITHIN_MS);
        // one full wait of the default 3 s per request, never two (which would take 6 s)
        expect(ms).toBeLessThan(ONE_WAIT_AT_MOST_MS);
        // the drop-in's table check times out before any repository call: nothing is reported
        expect(waited).toBe(app.connectDynamoDB ? 0 : 1);
      }, 30_000);
    }
  }

  it('the logins that make a second store call after the timeout (fastify, express with saveUninitialized) fail it fast', async () => {
    for (const app of [APPS[2], APPS[3]]) {
      const login = await timedRequest(
        app as (typeof APPS)[number],
        REQUESTS[1] as (typeof REQUESTS)[number],
      );
      expect(login.waited).toBe(1);
      expect(login.failedFast).toBeGreaterThanOrEqual(1);
      expect(login.ms).toBeLessThan(ANSWER_WITHIN_MS);
    }
  }, 30_000);

  it('express: requests that follow a timeout fail at once, then a probe waits one timeout again', async () => {
    const app = await startApp('express', { store: storeOptions() });
    try {
      const cookie = signedSessionCookie('express', 'a-session-nobody-has');
      const first = await timedFetch(`${app.url}/peek`, { headers: { cookie } });
      expect(first).toMatchObject({ status: 500, body: { error: 'TIMEOUT' } });
      const burst = await Promise.all(
        Array.from({ length: 5 }, () =>
          timedFetch(`${app.url}/login`, { method: 'POST', headers: { cookie } }),
        ),
      );
      for (const answer of burst) {
        expect(answer).toMatchObject({ status: 500, body: { error: 'TIMEOUT' } });
        expect(answer.ms).toBeLessThan(500);
      }
      measured.push(
        `express after a timeout: 5 concurrent logins failed in at most ${Math.round(Math.max(...burst.map((a) => a.ms)))} ms`,
      );
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const probe = await timedFetch(`${app.url}/peek`, { headers: { cookie } });
      expect(probe).toMatchObject({ status: 500, body: { error: 'TIMEOUT' } });
      expect(probe.ms).toBeGreaterThan(2_000);
      expect(probe.ms).toBeLessThan(ANSWER_WITHIN_MS);
    } finally {
      await app.close();
    }
  }, 30_000);
});

function storeOptions() {
  return {
    endpoint,
    region: 'us-east-1',
    table: 'sessions',
    clientConfig: { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } },
  };
}

async function timedRequest(
  { framework, saveUninitialized, connectDynamoDB }: (typeof APPS)[number],
  request: (typeof REQUESTS)[number],
): Promise<{
  status: number | string;
  body: unknown;
  ms: number;
  waited: number;
  failedFast: number;
}> {
  const app = await startApp(framework, {
    store: storeOptions(),
    saveUninitialized,
    connectDynamoDB,
  });
  let waited = 0;
  let failedFast = 0;
  app.repository.onError((error) => {
    if (error.code !== 'TIMEOUT') return;
    if (/failed fast/.test(error.message)) failedFast += 1;
    else waited += 1;
  });
  try {
    const headers: Record<string, string> = request.withSession
      ? { cookie: signedSessionCookie(framework, 'a-session-nobody-has') }
      : {};
    const answer = await timedFetch(`${app.url}${request.path}`, {
      method: request.method,
      headers,
    });
    // let a store call made after the answer (express-session's end-of-request save) report
    await new Promise((resolve) => setTimeout(resolve, 100));
    return { ...answer, waited, failedFast };
  } finally {
    await app.close();
  }
}

/** A fetch that the client gives up after {@link ANSWER_WITHIN_MS} (status `'no answer'`). */
async function timedFetch(
  url: string,
  init: RequestInit,
): Promise<{ status: number | string; body: unknown; ms: number }> {
  const started = performance.now();
  try {
    const response = await fetch(url, {
      ...init,
      signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: kept as text
    }
    return { status: response.status, body, ms: performance.now() - started };
  } catch (error) {
    return { status: 'no answer', body: String(error), ms: performance.now() - started };
  }
}
