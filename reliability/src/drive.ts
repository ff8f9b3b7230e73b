import type { SessionStoreErrorCode } from '@dynamodb-session/core';
import { type CookieJarFetch, cookieJarFetch } from '@dynamodb-session/test-support';

/** Every code a `SessionStoreError` can carry: a 500 with one of these is a clear failure. */
export const KNOWN_ERROR_CODES: ReadonlySet<string> = new Set<SessionStoreErrorCode>([
  'INVALID_OPTIONS',
  'INVALID_SESSION_ID',
  'INVALID_SESSION_DATA',
  'SESSION_TOO_LARGE',
  'MISSING_INDEX_ATTRIBUTE',
  'CORRUPT_SESSION',
  'TABLE_NOT_FOUND',
  'TABLE_MISMATCH',
  'THROTTLED',
  'ACCESS_DENIED',
  'TIMEOUT',
  'NETWORK',
  'VALIDATION',
  'ABORTED',
  'CONFLICT',
  'UNSUPPORTED',
  'DYNAMODB_ERROR',
]);

/** The figures of a run of requests. */
export interface Figures {
  /** Requests sent. */
  sent: number;
  /** Answered 2xx. */
  answered: number;
  /** Answered 500 `{ error: code }` with a known `SessionStoreError` code. */
  failed: number;
  /** Anything else: another status, an unknown code, a broken connection or body. */
  unclear: number;
  /** No complete answer within the hang limit. */
  hung: number;
  /** Failed requests by code (`unclear:<what>` for the unclear ones). */
  codes: Record<string, number>;
  /** Slowest complete answer, in milliseconds. */
  maxLatencyMs: number;
  /** Slowest failed (non-2xx) answer, in milliseconds. */
  maxFailureLatencyMs: number;
}

/** A browser-like client: a cookie jar, and the last `views` the server acknowledged with a 2xx. */
export interface Client {
  fetch: CookieJarFetch;
  /** The `views` of the last 2xx `/count` answer; 0 before any. */
  acknowledged: number;
  /** `/count` requests that answered 2xx. */
  acknowledgedCounts: number;
}

/** New, empty figures. */
export function emptyFigures(): Figures {
  return {
    sent: 0,
    answered: 0,
    failed: 0,
    unclear: 0,
    hung: 0,
    codes: {},
    maxLatencyMs: 0,
    maxFailureLatencyMs: 0,
  };
}

/** `count` fresh clients of the app at `url`. */
export function createClients(url: string, count: number): Client[] {
  return Array.from({ length: count }, () => ({
    fetch: cookieJarFetch(url),
    acknowledged: 0,
    acknowledgedCounts: 0,
  }));
}

/**
 * Sends one request from `client` (a POST for `/logout` and `/big`, else a GET) and books its
 * outcome in `figures`. A request with no complete answer after `hangAfterMs` is aborted and
 * booked as hung.
 */
export async function send(
  client: Client,
  path: string,
  figures: Figures,
  { hangAfterMs = 10_000 }: { hangAfterMs?: number } = {},
): Promise<void> {
  const method = path === '/logout' || path.startsWith('/big') ? 'POST' : 'GET';
  figures.sent++;
  const started = performance.now();
  let status: number;
  let body: unknown;
  try {
    const response = await client.fetch(path, {
      method,
      signal: AbortSignal.timeout(hangAfterMs),
    });
    status = response.status;
    body = await response.json().catch(() => undefined);
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      figures.hung++;
    } else {
      const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
      figures.unclear++;
      book(
        figures,
        `unclear:${method} ${path}:${(error as Error).message}` +
          (cause ? `(${cause.code ?? cause.message})` : ''),
      );
    }
    return;
  }
  const elapsed = performance.now() - started;
  figures.maxLatencyMs = Math.max(figures.maxLatencyMs, elapsed);
  if (status >= 200 && status < 300) {
    figures.answered++;
    const views = (body as { views?: unknown } | undefined)?.views;
    if (path === '/count' && typeof views === 'number') {
      client.acknowledged = views;
      client.acknowledgedCounts++;
    } else if (path === '/logout') {
      client.acknowledged = 0;
      client.acknowledgedCounts = 0;
    }
    return;
  }
  figures.maxFailureLatencyMs = Math.max(figures.maxFailureLatencyMs, elapsed);
  const code = (body as { error?: unknown } | undefined)?.error;
  if (status === 500 && typeof code === 'string' && KNOWN_ERROR_CODES.has(code)) {
    figures.failed++;
    book(figures, code);
  } else {
    figures.unclear++;
    book(figures, `unclear:${method} ${path}:${status}:${JSON.stringify(body)}`);
  }
}

/**
 * Runs every client concurrently, each sending `requestsPerClient` requests one after the other
 * (`pick(i)` chooses the path of its i-th request), and resolves the figures.
 */
export async function runClients(
  clients: Client[],
  requestsPerClient: number,
  pick: (index: number) => string,
  options: { hangAfterMs?: number; figures?: Figures } = {},
): Promise<Figures> {
  const figures = options.figures ?? emptyFigures();
  await Promise.all(
    clients.map(async (client) => {
      for (let i = 0; i < requestsPerClient; i++) {
        await send(client, pick(i), figures, options);
      }
    }),
  );
  return figures;
}

/**
 * Runs every client concurrently, sending request after request (`pauseMs` apart, default 25)
 * until `until()` is true.
 */
export async function runClientsUntil(
  clients: Client[],
  until: () => boolean,
  pick: (index: number) => string,
  options: { hangAfterMs?: number; figures?: Figures; pauseMs?: number } = {},
): Promise<Figures> {
  const figures = options.figures ?? emptyFigures();
  const pauseMs = options.pauseMs ?? 25;
  await Promise.all(
    clients.map(async (client) => {
      for (let i = 0; !until(); i++) {
        await send(client, pick(i), figures, options);
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
    }),
  );
  return figures;
}

/** What {@link checkSessions} found. */
export interface SessionCheck {
  /** Clients with an acknowledged `/count`, whose session was read back. */
  checked: number;
  /** Sessions read back with fewer views than acknowledged (or not read at all). */
  lost: number;
  /** Sessions whose views differ from the number of acknowledged `/count` requests. */
  inexact: number;
}

/**
 * Reads every client's session back with `GET /peek` (no fault injection meanwhile) and compares
 * it with what the server acknowledged: fewer views than the last acknowledged value is a lost
 * session (or lost update).
 */
export async function checkSessions(clients: Client[]): Promise<SessionCheck> {
  const result: SessionCheck = { checked: 0, lost: 0, inexact: 0 };
  await Promise.all(
    clients.map(async (client) => {
      if (client.acknowledgedCounts === 0) return;
      result.checked++;
      let views = -1;
      try {
        const response = await client.fetch('/peek', { signal: AbortSignal.timeout(10_000) });
        if (response.ok) views = ((await response.json()) as { views: number }).views;
      } catch {
        // counted as lost below
      }
      if (views < client.acknowledged) result.lost++;
      if (views !== client.acknowledgedCounts) result.inexact++;
    }),
  );
  return result;
}

/** A one-line summary of figures for the test output. */
export function describeFigures(figures: Figures): string {
  const codes = Object.entries(figures.codes)
    .map(([code, count]) => `${code}=${count}`)
    .join(', ');
  return (
    `sent ${figures.sent}, answered ${figures.answered}, failed ${figures.failed}` +
    `${codes ? ` (${codes})` : ''}, unclear ${figures.unclear}, hung ${figures.hung}, ` +
    `slowest ${Math.round(figures.maxLatencyMs)} ms (failure ${Math.round(figures.maxFailureLatencyMs)} ms)`
  );
}

/** Counts the process's unhandled rejections and uncaught exceptions until `stop()`. */
export function watchProcess(): { readonly crashes: unknown[]; stop(): void } {
  const crashes: unknown[] = [];
  const onCrash = (reason: unknown) => crashes.push(reason);
  process.on('unhandledRejection', onCrash);
  process.on('uncaughtException', onCrash);
  return {
    crashes,
    stop() {
      process.off('unhandledRejection', onCrash);
      process.off('uncaughtException', onCrash);
    },
  };
}

function book(figures: Figures, code: string): void {
  figures.codes[code] = (figures.codes[code] ?? 0) + 1;
}
