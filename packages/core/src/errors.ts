/** Every `code` a {@link SessionStoreError} can carry. */
export type SessionStoreErrorCode =
  | 'INVALID_OPTIONS'
  | 'INVALID_SESSION_ID'
  | 'INVALID_SESSION_DATA'
  | 'SESSION_TOO_LARGE'
  | 'MISSING_INDEX_ATTRIBUTE'
  | 'CORRUPT_SESSION'
  | 'TABLE_NOT_FOUND'
  | 'TABLE_MISMATCH'
  | 'THROTTLED'
  | 'ACCESS_DENIED'
  | 'TIMEOUT'
  | 'NETWORK'
  | 'VALIDATION'
  | 'ABORTED'
  | 'CONFLICT'
  | 'LOCK_TIMEOUT'
  | 'UNSUPPORTED'
  | 'DYNAMODB_ERROR';

/**
 * The one error class of this project. `code` is stable and meant for programs; `cause` holds
 * the original error (the AWS SDK's, zod's, or JSON's) when there is one.
 */
export class SessionStoreError extends Error {
  /** Stable machine-readable code. */
  readonly code: SessionStoreErrorCode;

  constructor(code: SessionStoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SessionStoreError';
    this.code = code;
  }
}

/**
 * The error of a write refused because the session is locked by another request
 * (`pessimisticLocking`) or changed or was destroyed since it was read (`optimisticLocking`).
 */
export function conflictError(id: string, locked: boolean, cause?: unknown): SessionStoreError {
  return new SessionStoreError(
    'CONFLICT',
    locked
      ? `session ${id} is locked by another request, or this request's lock ended (its lease ran out, or the session was destroyed); the write was not applied`
      : `session ${id} changed or was destroyed since it was read; the write was not applied`,
    cause === undefined ? undefined : { cause },
  );
}

/** The error of a read that waited `waitMs` for another request's lock (`pessimisticLocking`). */
export function lockTimeoutError(session: string, waitMs: number): SessionStoreError {
  return new SessionStoreError(
    'LOCK_TIMEOUT',
    `session ${session} stayed locked by another request for ${waitMs} ms`,
  );
}

/**
 * True when `error` wraps DynamoDB's ConditionalCheckFailedException: a conditional write
 * whose condition did not hold, which callers treat as an outcome, not a failure.
 */
export function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof SessionStoreError &&
    (error.cause as Error | undefined)?.name === 'ConditionalCheckFailedException'
  );
}

/** True when `error` is a {@link SessionStoreError}, optionally with the given code. */
export function isSessionStoreError(
  error: unknown,
  code?: SessionStoreErrorCode,
): error is SessionStoreError {
  return error instanceof SessionStoreError && (code === undefined || error.code === code);
}

const THROTTLING_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'LimitExceededException',
]);
const ACCESS_DENIED_NAMES = new Set([
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'MissingAuthenticationTokenException',
  'ExpiredTokenException',
  'CredentialsProviderError',
]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * Wraps an error thrown by the AWS SDK into a {@link SessionStoreError} whose code says what
 * kind of failure it was. `operation` names what the store was doing, for the message.
 */
export function toSessionStoreError(error: unknown, operation: string): SessionStoreError {
  if (error instanceof SessionStoreError) return error;
  const { name, code, message } = describeError(error);
  const text = `${operation} failed: ${name}${message ? `: ${message}` : ''}`;
  return new SessionStoreError(classify(name, code, message), text, { cause: error });
}

function classify(name: string, code: string | undefined, message: string): SessionStoreErrorCode {
  if (name === 'ResourceNotFoundException') return 'TABLE_NOT_FOUND';
  if (THROTTLING_NAMES.has(name)) return 'THROTTLED';
  if (ACCESS_DENIED_NAMES.has(name)) return 'ACCESS_DENIED';
  if (name === 'AbortError' || name === 'TimeoutError' || name === 'RequestTimeout')
    return 'TIMEOUT';
  if ((code && NETWORK_CODES.has(code)) || NETWORK_CODES.has(name)) return 'NETWORK';
  if (name === 'ValidationException') {
    return /item size/i.test(message) ? 'SESSION_TOO_LARGE' : 'VALIDATION';
  }
  if (/^Region is missing/.test(message)) return 'INVALID_OPTIONS';
  return 'DYNAMODB_ERROR';
}

function describeError(error: unknown): { name: string; code?: string; message: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      code: typeof code === 'string' ? code : undefined,
      message: error.message,
    };
  }
  return { name: 'Error', message: String(error) };
}
