import { createHash } from 'node:crypto';

/** DynamoDB's limit on the size of a partition key value, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 2048;

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** A UTF-16 surrogate without its pair. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The shape of {@link hashSessionId}'s output: 43 characters of base64url. */
const HASHED_ID = /^[A-Za-z0-9_-]{43}$/;

/**
 * Why `id` cannot name a session under `prefix`, or `undefined` when it can. An id is any
 * non-empty, well-formed string (no lone surrogate, which UTF-8 cannot hold and two of which
 * would name one item) without control characters, whose key (`prefix + id`) fits DynamoDB's
 * partition key limit. The id's characters are never compared with the prefix's: apps that
 * share a table keep apart by choosing prefixes of which neither starts the other.
 */
export function sessionIdProblem(prefix: string, id: unknown): string | undefined {
  if (typeof id !== 'string') return `a session id must be a string, not ${typeof id}`;
  if (id.length === 0) return 'a session id must not be empty';
  if (CONTROL_CHARACTERS.test(id)) return 'a session id must not contain control characters';
  if (LONE_SURROGATE.test(id)) return 'a session id must not contain a lone surrogate';
  if (Buffer.byteLength(prefix, 'utf8') + Buffer.byteLength(id, 'utf8') > MAX_KEY_BYTES) {
    return `a session key (prefix + id) must not exceed ${MAX_KEY_BYTES} bytes`;
  }
  return undefined;
}

/** The SHA-256 of a session id, base64url: what the key holds when ids are hashed at rest. */
export function hashSessionId(id: string): string {
  return createHash('sha256').update(id, 'utf8').digest('base64url');
}

/**
 * Whether `id` has the shape of a stored hash ({@link hashSessionId}): such an id is never
 * looked up under its plain key, so a hash read from the table is no credential.
 */
export function looksLikeHashedId(id: string): boolean {
  return HASHED_ID.test(id);
}

/** The table key of session `id`: the prefix followed by the id. */
export function toSessionKey(prefix: string, id: string): string {
  return prefix + id;
}

/** What follows `prefix` in table key `key`, or `undefined` when `key` does not start with it. */
export function fromSessionKey(prefix: string, key: string): string | undefined {
  return key.startsWith(prefix) ? key.slice(prefix.length) : undefined;
}

/**
 * Whether two prefixes on one table would see each other's sessions: one starts the other
 * (identical prefixes are one app and do not overlap).
 */
export function prefixesOverlap(a: string, b: string): boolean {
  return a !== b && (a.startsWith(b) || b.startsWith(a));
}
