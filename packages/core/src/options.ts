import type { DynamoDBClient, DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import {
  type CompressionOptions,
  type EncryptionOptions,
  validateEncryptionKeys,
} from './data-envelope';
import { SessionStoreError } from './errors';
import { ONE_DAY_MS, type SessionDataExpiry } from './expiry';
import type { IndexAttribute } from './index-attributes';
import { ENDPOINT_MESSAGE, formatOptionIssues } from './option-messages'; // issue-14
import type { SerializerName, SessionSerializer } from './serializers';
import { sessionIdProblem } from './session-key';
import type { PessimisticLockingOptions } from './session-lock';
import type { SessionLogger } from './session-logger';

const attributeName = z.string().min(1, 'must be a non-empty attribute name').max(255);

const clientSchema = z.custom<DynamoDBClient>(
  (value) =>
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { send?: unknown }).send === 'function',
  'must be a DynamoDBClient (an object with a send method)',
);

const serializerSchema = z.union([
  z.enum(['json', 'map']),
  z.custom<SessionSerializer>(
    (value) =>
      value !== null &&
      typeof value === 'object' &&
      typeof (value as SessionSerializer).serialize === 'function' &&
      typeof (value as SessionSerializer).deserialize === 'function',
    'must be "json", "map" or an object with serialize and deserialize methods',
  ),
]);

const indexAttributeSchema = z.strictObject({
  name: attributeName,
  path: z.string().min(1).optional(),
  type: z.enum(['S', 'N', 'B']),
  required: z.boolean().optional(),
  index: z
    .string()
    .regex(/^[a-zA-Z0-9_.-]{3,255}$/, 'must be a valid index name')
    .optional(),
});

/** The longest delay a Node timer honours (about 24.8 days); longer ones fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;

/** The zod schema of {@link SessionRepositoryOptions}; defaults are applied by parsing. */
export const sessionRepositoryOptionsSchema = z
  .strictObject({
    client: clientSchema.optional(),
    clientConfig: z
      .custom<DynamoDBClientConfig>(
        (value) => value !== null && typeof value === 'object',
        'must be a DynamoDBClientConfig object',
      )
      .optional(),
    cacheClientMiddleware: z.boolean().default(false),
    region: z.string().min(1).optional(),
    endpoint: z.url({ protocol: /^https?$/, error: ENDPOINT_MESSAGE }).optional(), // issue-14
    table: z
      .string()
      .regex(/^[a-zA-Z0-9_.-]{3,255}$/, 'must be 3 to 255 characters of a-z, A-Z, 0-9, _ . -')
      .default('sessions'),
    hashKey: attributeName.default('id'),
    prefix: z
      .string()
      .max(1024)
      .refine(
        (prefix) => sessionIdProblem('', `${prefix}x`) === undefined,
        'must be a well-formed string without control characters (no lone surrogate)',
      )
      .default('sess:'),
    expiresAttribute: attributeName.default('expires'),
    dataAttribute: attributeName.default('sess'),
    consistentRead: z.boolean().default(true),
    defaultLifetimeMs: z.number().int().positive().default(ONE_DAY_MS),
    serializer: serializerSchema.default('json'),
    indexAttributes: z.array(indexAttributeSchema).default([]),
    requestTimeoutMs: z.number().int().positive().max(MAX_TIMER_MS).default(3_000),
    dataExpiry: z
      .custom<SessionDataExpiry>(
        (value) =>
          value !== null &&
          typeof value === 'object' &&
          typeof (value as SessionDataExpiry).read === 'function' &&
          typeof (value as SessionDataExpiry).write === 'function',
        'must be an object with read and write methods',
      )
      .optional(),
    logger: z
      .union([
        z.literal(false),
        z.custom<SessionLogger>(
          (value) =>
            value !== null &&
            typeof value === 'object' &&
            typeof (value as SessionLogger).debug === 'function',
          'must be false or an object with a debug method',
        ),
      ])
      .optional(),
    touchAfterMs: z
      .union([z.literal('auto'), z.number().int().nonnegative().max(MAX_TIMER_MS)])
      .default('auto'),
    compression: z
      .strictObject({
        algorithm: z.enum(['gzip', 'brotli']).optional(),
        thresholdBytes: z.number().int().nonnegative().optional(),
      })
      .optional(),
    encryption: z
      .strictObject({
        keys: z.array(
          z.strictObject({
            id: z.string(),
            key: z.union([
              z.string(),
              z.custom<Uint8Array>(
                (value) => value instanceof Uint8Array,
                'must be a string or a Uint8Array',
              ),
            ]),
          }),
        ),
      })
      .optional(),
    acceptUnencrypted: z.boolean().default(false),
    hashSessionIds: z.boolean().default(false),
    returnConsumedCapacity: z.boolean().default(false),
    readUnhashedIds: z.boolean().default(false),
    optimisticLocking: z.boolean().default(false),
    pessimisticLocking: z
      .strictObject({
        leaseMs: z.number().int().positive().max(MAX_TIMER_MS).default(10_000),
        waitMs: z.number().int().nonnegative().max(MAX_TIMER_MS).default(5_000),
        ownerAttribute: attributeName.default('lockOwner'),
        leaseAttribute: attributeName.default('lockExpires'),
      })
      .optional(),
    versionAttribute: attributeName.default('version'),
    versionField: z.string().min(1).default('$version'),
    trackedSessions: z.number().int().nonnegative().default(10_000),
  })
  .superRefine((options, context) => {
    if (options.client && (options.region || options.endpoint || options.clientConfig)) {
      context.addIssue({
        code: 'custom',
        path: [options.region ? 'region' : options.endpoint ? 'endpoint' : 'clientConfig'],
        message: 'cannot be combined with client: configure the client you pass instead',
      });
    }
    if ((options.compression || options.encryption) && options.serializer !== 'json') {
      context.addIssue({
        code: 'custom',
        path: [options.compression ? 'compression' : 'encryption'],
        message: 'works with the default "json" serializer only',
      });
    }
    const keyProblem = options.encryption && validateEncryptionKeys(options.encryption.keys);
    if (keyProblem) {
      context.addIssue({ code: 'custom', path: ['encryption', 'keys'], message: keyProblem });
    }
    if (options.optimisticLocking && options.pessimisticLocking) {
      context.addIssue({
        code: 'custom',
        path: ['pessimisticLocking'],
        message: 'cannot be combined with optimisticLocking: choose one',
      });
    }
    if (options.acceptUnencrypted && !options.encryption) {
      context.addIssue({
        code: 'custom',
        path: ['acceptUnencrypted'],
        message: 'only applies together with encryption',
      });
    }
    if (options.readUnhashedIds && !options.hashSessionIds) {
      context.addIssue({
        code: 'custom',
        path: ['readUnhashedIds'],
        message: 'only applies together with hashSessionIds: true',
      });
    }
    const named: [string, string | undefined][] = [
      ['hashKey', options.hashKey],
      ['expiresAttribute', options.expiresAttribute],
      ['dataAttribute', options.dataAttribute],
      ['versionAttribute', options.optimisticLocking ? options.versionAttribute : undefined],
      ['pessimisticLocking.ownerAttribute', options.pessimisticLocking?.ownerAttribute],
      ['pessimisticLocking.leaseAttribute', options.pessimisticLocking?.leaseAttribute],
    ];
    const seen = new Map<string, string>();
    for (const [option, name] of named) {
      if (name === undefined) continue;
      const clash = seen.get(name);
      if (clash) {
        context.addIssue({
          code: 'custom',
          path: option.split('.'),
          message: `"${name}" is already the attribute of ${clash}: every attribute needs its own name`,
        });
      }
      seen.set(name, option);
    }
    const reserved = new Set(seen.keys());
    if (options.touchAfterMs !== 'auto' && options.touchAfterMs >= options.defaultLifetimeMs) {
      context.addIssue({
        code: 'custom',
        path: ['touchAfterMs'],
        message: 'must be shorter than defaultLifetimeMs, or active sessions would expire',
      });
    }
    for (const [index, attribute] of options.indexAttributes.entries()) {
      if (reserved.has(attribute.name)) {
        context.addIssue({
          code: 'custom',
          path: ['indexAttributes', index, 'name'],
          message: `"${attribute.name}" is already used by the key, expiry or data attribute`,
        });
      }
    }
  });

/** Options of a {@link SessionRepository}. Every one is optional; kept in step with the schema. */
export interface SessionRepositoryOptions {
  /**
   * A `DynamoDBClient` you own. When absent, the repository builds one from the SDK's usual
   * environment and credentials chain (plus `region` / `endpoint`), and `close()` destroys it.
   */
  client?: DynamoDBClient;
  /**
   * Configuration of the client the repository builds (credentials, retries...), on top of
   * the repository's own tuning (`cacheMiddleware: true`). Not allowed with `client`.
   */
  clientConfig?: DynamoDBClientConfig;
  /**
   * With a `client` of yours that has no `cacheMiddleware`: resolve its middleware stack once
   * per command type for the repository's calls, instead of on every call (about a sixth less
   * CPU per call; the SDK's `cacheMiddleware` does the same for all of a client's calls). The
   * resolved handlers are dropped whenever middleware is added to or removed from the client's
   * stack, so later middleware still runs. The repository's calls then go to the resolved
   * handlers, not through `client.send`: a mock or a tracer that replaces `send` (rather than
   * adding middleware) no longer sees them. Default `false`. Nothing changes for a client built
   * by the repository or by `createDynamoDBClient()`, which cache already.
   */
  cacheClientMiddleware?: boolean;
  /** Region for the client the repository builds. Not allowed with `client`. */
  region?: string;
  /** Endpoint for the client the repository builds, e.g. a local DynamoDB. Not allowed with `client`. */
  endpoint?: string;
  /** Table name. Default `"sessions"`. */
  table?: string;
  /** Name of the table's partition key (type S). Default `"id"`. */
  hashKey?: string;
  /** Prefix of every session key, so several apps can share a table. Default `"sess:"`. */
  prefix?: string;
  /** Name of the TTL attribute (epoch seconds). Default `"expires"`. */
  expiresAttribute?: string;
  /** Name of the attribute holding the session data. Default `"sess"`. */
  dataAttribute?: string;
  /** Strongly consistent reads, so a session written by one request is seen by the next. Default `true`. */
  consistentRead?: boolean;
  /** Lifetime of a session written without an expiry, in milliseconds. Default one day. */
  defaultLifetimeMs?: number;
  /** `"json"` (a JSON string, connect-dynamodb's layout; the default), `"map"` (a native map), or your own. */
  serializer?: SerializerName | SessionSerializer;
  /** Session fields copied to top-level attributes on every write. Default none. */
  indexAttributes?: IndexAttribute[];
  /**
   * Upper bound of one DynamoDB call, retries included, in milliseconds. Default 3 000: DynamoDB
   * answers in milliseconds, and the SDK's retries (3 attempts, backoff under 300 ms) fit well
   * within it. After a call timed out, the repository's calls fail at once with `TIMEOUT` for
   * the next second (at most `requestTimeoutMs`), then calls probe again: a request that makes
   * several calls to a silent DynamoDB waits one timeout, not one per call.
   */
  requestTimeoutMs?: number;
  /**
   * Where session data keeps a precise expiry of its own (epoch ms). Reads refine the TTL's
   * one-second resolution with it, and bring it up to the TTL when a refresh moved only the
   * TTL. Default: `cookie.expires` (express-session, @fastify/session) or `_expire` (koa-session).
   */
  dataExpiry?: SessionDataExpiry;
  /**
   * An unchanged session's expiry is written again only when the stored one would lag by more
   * than this many milliseconds (connect-mongo's `touchAfter`); the stored expiry, and so the
   * session, may then end up to this much before its cookie. `0`: whenever the whole-second TTL
   * moves. Default `'auto'`: a tenth of the session's lifetime, at most 10 minutes (a one-day
   * session is written at most every 10 minutes; a 30-second one every 3 seconds).
   */
  touchAfterMs?: number | 'auto';
  /**
   * Diagnostics (every DynamoDB call with its duration and outcome, what each read and save
   * decided, reported errors): an object with a `debug(message, details)` method such as
   * `console` or a pino logger, or `false` for none. Default: the `debug` package's namespace
   * `dynamodb-session`, silent unless `DEBUG=dynamodb-session` is set. Session data and keys
   * are never logged; session ids only as a short hash.
   */
  logger?: SessionLogger | false;
  /** Compress the stored session (`B` attribute) when its JSON reaches a size. Default off. */
  compression?: CompressionOptions;
  /**
   * Encrypt the stored session with AES-256-GCM; the first key encrypts, every key decrypts.
   * Items stay unreadable without a key, in a table dump or a backup. Default off.
   */
  encryption?: EncryptionOptions;
  /**
   * With `encryption`: also read sessions stored without encryption (written before encryption
   * was switched on), for the time of a migration. Default false: with encryption on, an
   * unencrypted item reads as missing and is reported as `CORRUPT_SESSION`, since anyone who can
   * write to the table could forge it.
   */
  acceptUnencrypted?: boolean;
  /**
   * Store a SHA-256 of each session id in the key instead of the id, so a leaked table gives no
   * usable session ids. Listings then have no ids: `keys()` and `all()` yield the stored keys,
   * `ids()` and `idsByAttribute()` fail with `UNSUPPORTED`. Default false.
   */
  hashSessionIds?: boolean;
  /** Ask DynamoDB for the capacity each call consumed, for `metrics()`. Default false. */
  returnConsumedCapacity?: boolean;
  /**
   * With `hashSessionIds`: also read (and delete) items stored under the plain id, written before
   * hashing was switched on. An id shaped like a stored hash (43 characters of base64url) is never
   * looked up this way, so a key read from the table is no credential. Default false.
   */
  readUnhashedIds?: boolean;
  /**
   * Optimistic concurrency: every item carries a version (`versionAttribute`), every read puts
   * it in the data as `versionField`, and a write whose data carries a stale version fails with
   * code `CONFLICT` instead of overwriting a newer session. Default false.
   */
  optimisticLocking?: boolean;
  /**
   * Pessimistic locking: `lock(id)` takes the session for one request (a lease, so a crashed
   * process never holds it for good), waiting, bounded, while another request holds it, and
   * returns a handle whose `save`, `refresh`, `destroy` or `release` ends it. Writes without the
   * handle are refused (`CONFLICT`) while another request holds the lock. Default off.
   */
  pessimisticLocking?: PessimisticLockingOptions;
  /** Item attribute holding the version. Default `"version"`. */
  versionAttribute?: string;
  /** Session data field carrying the version read. Default `"$version"`. */
  versionField?: string;
  /**
   * How many sessions the repository remembers (a fingerprint of the stored data, its expiry
   * fields and TTL, about 300 bytes each with the id) to recognise unchanged sessions and skip
   * needless writes. 0 turns it off.
   * Default 10 000.
   */
  trackedSessions?: number;
}

/** True when `A` and `B` are the same type. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** Fails to compile when {@link SessionRepositoryOptions} and the schema's input drift apart. */
const optionsFollowTheSchema: Same<
  Required<SessionRepositoryOptions>,
  Required<z.input<typeof sessionRepositoryOptionsSchema>>
> = true;
void optionsFollowTheSchema;

/** The options after validation, with every default applied. */
export type ResolvedSessionRepositoryOptions = z.output<typeof sessionRepositoryOptionsSchema>;

/**
 * Validates `options` once and applies the defaults. Throws a {@link SessionStoreError} with
 * code `INVALID_OPTIONS` whose message names every offending option.
 */
export function parseSessionRepositoryOptions(
  options: SessionRepositoryOptions | undefined,
): ResolvedSessionRepositoryOptions {
  const result = sessionRepositoryOptionsSchema.safeParse(options ?? {});
  if (result.success) return result.data;
  // issue-14: readable option messages (option-messages.ts)
  const problems = formatOptionIssues(result.error.issues, options);
  throw new SessionStoreError(
    'INVALID_OPTIONS',
    `Invalid session store options: ${problems.join('; ')}`,
    {
      cause: result.error,
    },
  );
}
