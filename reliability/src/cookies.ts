import { createHmac } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import { COOKIE_NAMES, type FrameworkName, SECRET } from './apps';

/**
 * A `Cookie` header naming session `id` that the app of `framework` accepts as genuine: signed
 * with the apps' secret the way each framework signs (express-session: `s:` + cookie-signature,
 * URL-encoded; @fastify/session: @fastify/cookie's signer, URL-encoded; koa: the value as is
 * plus a `.sig` cookie, keygrip's HMAC-SHA1 of `name=value`). Whatever `id` holds is sent as is.
 */
export function signedSessionCookie(framework: FrameworkName, id: string): string {
  const name = COOKIE_NAMES[framework];
  if (framework === 'express') {
    return `${name}=${encodeURIComponent(`s:${fastifyCookie.sign(id, SECRET)}`)}`;
  }
  if (framework === 'fastify')
    return `${name}=${encodeURIComponent(fastifyCookie.sign(id, SECRET))}`;
  return `${name}=${id}; ${name}.sig=${keygripSign(`${name}=${id}`)}`;
}

/** The session id a `Cookie` header (as a cookie jar sends it) carries for `framework`. */
export function sessionIdOf(framework: FrameworkName, cookieHeader: string): string | undefined {
  const name = COOKIE_NAMES[framework];
  const pair = cookieHeader
    .split(/;\s*/)
    .find((entry) => entry.startsWith(`${name}=`) && !entry.startsWith(`${name}.sig=`));
  if (!pair) return undefined;
  const value = decodeURIComponent(pair.slice(name.length + 1));
  if (framework === 'koa') return value;
  const signed = framework === 'express' ? value.replace(/^s:/, '') : value;
  return signed.slice(0, signed.lastIndexOf('.'));
}

function keygripSign(data: string): string {
  return createHmac('sha1', SECRET)
    .update(data)
    .digest('base64')
    .replace(/\/|\+|=/g, (c) => ({ '/': '_', '+': '-', '=': '' })[c] ?? '');
}
