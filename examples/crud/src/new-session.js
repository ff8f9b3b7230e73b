import { randomBytes } from 'node:crypto';

/**
 * The sessions this tool makes and reads: express-session's layout (a `cookie` whose `expires`
 * is the expiry) plus the signed-in user and a device name.
 * @typedef {{
 *   cookie: { originalMaxAge: number, expires: string, httpOnly: boolean, path: string },
 *   user?: { id: string },
 *   device?: string,
 *   createdAt?: string,
 *   [field: string]: unknown,
 * }} AppSession
 */

/** How long a session made by this tool lives: 30 minutes, like the express example's cookie. */
export const SESSION_LIFETIME_MS = 30 * 60 * 1000;

/**
 * A new session for `userId`: an unguessable id (24 random bytes, as express-session makes
 * them) and data in the shape express-session stores, so that a web app using
 * `@dynamodb-session/express` on the same table reads it like one of its own. The session
 * expires at its `cookie.expires`, which `SessionRepository` also reads back as the expiry.
 * @param {string} userId
 * @param {string} device
 * @param {number} [expiresAt] epoch milliseconds; default `SESSION_LIFETIME_MS` from now
 */
export function newSession(userId, device, expiresAt = Date.now() + SESSION_LIFETIME_MS) {
  const id = randomBytes(24).toString('base64url');
  /** @type {AppSession} */
  const data = {
    cookie: {
      originalMaxAge: SESSION_LIFETIME_MS,
      expires: new Date(expiresAt).toISOString(),
      httpOnly: true,
      path: '/',
    },
    user: { id: userId },
    device,
    createdAt: new Date().toISOString(),
  };
  return { id, data, expiresAt };
}
