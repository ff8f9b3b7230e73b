import { createHash } from 'node:crypto';

/** DynamoDB's limit on the size of a partition key value, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 2048;

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/**
 * Why `id` cannot name a session under `prefix`, or `undefined` when it can. An id must be a
 * non-empty string without control characters whose key (`prefix + id`) fits DynamoDB's
 * partition key limit. When the prefix ends with a separator (`sess:`), the id must not contain
 * it, so that no id can reach the sessions of a longer prefix on the same table (`sess:admin:`).
 */
export function sessionIdProblem(prefix: string, id: unknown): string | undefined {
  if (typeof id !== 'string') return `a session id must be a string, not ${typeof id}`;
  if (id.length === 0) return 'a session id must not be empty';
  if (CONTROL_CHARACTERS.test(id)) return 'a session id must not contain control characters';
  const separator = prefixSeparator(prefix);
  if (separator !== undefined && id.includes(separator)) {
    return `a session id must not contain "${separator}", the end of the prefix: it could reach another prefix's sessions`;
  }
  if (Buffer.byteLength(prefix + id, 'utf8') > MAX_KEY_BYTES) {
    return `a session key (prefix + id) must not exceed ${MAX_KEY_BYTES} bytes`;
  }
  return undefined;
}

/** The SHA-256 of a session id, base64url: what the key holds when ids are hashed at rest. */
export function hashSessionId(id: string): string {
  return createHash('sha256').update(id, 'utf8').digest('base64url');
}

/** The table key of session `id`: the prefix followed by the id. */
export function toSessionKey(prefix: string, id: string): string {
  return prefix + id;
}

/**
 * The session id held in `key`, or `undefined` when `key` is not a session of `prefix`: it does
 * not start with `prefix`, or (for a prefix ending with a separator) it belongs to a longer
 * prefix that starts the same way (`sess:admin:x` is not a session of `sess:`).
 */
export function fromSessionKey(prefix: string, key: string): string | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const id = key.slice(prefix.length);
  return prefixSeparator(prefix) !== undefined && id.includes(prefixSeparator(prefix) as string)
    ? undefined
    : id;
}

/** The separator a prefix ends with (`:` in `sess:`), if it ends with one. */
export function prefixSeparator(prefix: string): string | undefined {
  const last = prefix.at(-1);
  return last !== undefined && /[^A-Za-z0-9]/.test(last) ? last : undefined;
}
