import type { FastifyInstance } from 'fastify';

/** An answer of the app: its status and JSON body. */
export interface Answer {
  status: number;
  body: unknown;
}

/**
 * A browser for `app.inject()`: it keeps the session cookie between requests, and no port or
 * socket is opened.
 */
export function browser(app: FastifyInstance) {
  let sessionId: string | undefined;
  const send = async (method: 'GET' | 'POST', url: string, payload?: object): Promise<Answer> => {
    const response = await app.inject({
      method,
      url,
      ...(payload && { payload }),
      cookies: sessionId === undefined ? {} : { sessionId },
    });
    const cookie = response.cookies.find((candidate) => candidate.name === 'sessionId');
    if (cookie) sessionId = cookie.value || undefined;
    return { status: response.statusCode, body: response.json() };
  };
  return Object.assign(send, { sessionId: () => sessionId });
}
