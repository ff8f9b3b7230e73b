/** Session data: an object that survives a JSON round trip (Dates become ISO strings). */
export type SessionData = Record<string, unknown>;

/**
 * True when `value` can be stored as a session: a non-null object that is not an array.
 * Class instances are accepted (express-session passes its `Session` objects); only their own
 * enumerable properties are stored, as `JSON.stringify` does.
 */
export function isSessionData(value: unknown): value is SessionData {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
