import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Item } from './conditions';
import {
  DataEnvelope,
  isSealed,
  MAX_SESSION_JSON_BYTES,
  UnreadableItemError,
} from './data-envelope';
import { SessionStoreError } from './errors';
import { cookieOrExpireField, isExpired, type SessionDataExpiry, toTtlSeconds } from './expiry';
import { indexAttributeValues } from './index-attributes';
import { itemSize, MAX_ITEM_BYTES } from './item-size';
import type { ResolvedSessionRepositoryOptions } from './options';
import { resolveSerializer, type SessionSerializer, serializeSession } from './serializers';
import { isSessionData, type SessionData } from './session-data';
import { type ExpiryFields, expiryFieldsOf } from './session-fingerprint';
import { hashSessionId, looksLikeHashedId, toSessionKey } from './session-key';
import { loggedSessionId } from './session-logger';

/** How long a destroyed session's tombstone keeps `save` and `touch` from bringing it back. */
export const DESTROYED_SESSION_KEPT_MS = 3_600_000;

/** What a stored item holds: its session data, or `null` with the problem when it is corrupt. */
export interface ParsedItem {
  data: SessionData | null;
  /** Set when the item is unreadable (reported as `CORRUPT_SESSION`); never for an expired one. */
  problem?: SessionStoreError;
  /** With `data`: the data attribute in its plain form (see {@link ItemCodec.plain}). */
  plain?: AttributeValue;
  /** With `data`: its expiry fields as stored, before the TTL brought them up to date. */
  storedExpiry?: ExpiryFields;
}

/**
 * The mapping between sessions and items, pure (no clock, no I/O): ids to keys (prefix, hashing),
 * data to the data attribute (serializer, compression, encryption) and back, expiry to the TTL
 * attribute, index attributes, and the version of optimistic locking.
 */
export class ItemCodec {
  readonly #options: Readonly<ResolvedSessionRepositoryOptions>;
  readonly #serializer: SessionSerializer;
  readonly #dataExpiry: SessionDataExpiry;
  readonly #envelope: DataEnvelope;
  readonly #sealsWrites: boolean;

  constructor(options: Readonly<ResolvedSessionRepositoryOptions>) {
    this.#options = options;
    this.#serializer = resolveSerializer(options.serializer);
    this.#dataExpiry = options.dataExpiry ?? cookieOrExpireField;
    this.#envelope = new DataEnvelope(options.compression, options.encryption);
    this.#sealsWrites = options.compression !== undefined || options.encryption !== undefined;
  }

  /** The table key of session `id`. */
  key(id: string): Item {
    return { [this.#options.hashKey]: { S: this.storedKey(id) } };
  }

  /** The key string of session `id`: the prefix and the id, or the id's hash. */
  storedKey(id: string): string {
    const { prefix, hashSessionIds } = this.#options;
    return toSessionKey(prefix, hashSessionIds ? hashSessionId(id) : id);
  }

  /**
   * With `readUnhashedIds`, where session `id` lived before ids were hashed; `undefined`
   * otherwise, and for an id shaped like a stored hash (a hash read from the table is no key).
   */
  legacyKey(id: string): Item | undefined {
    const { prefix, hashKey, readUnhashedIds } = this.#options;
    if (!readUnhashedIds || looksLikeHashedId(id)) return undefined;
    return { [hashKey]: { S: toSessionKey(prefix, id) } };
  }

  /** The key of a stored item. */
  keyOf(item: Item): Item {
    const { hashKey } = this.#options;
    return { [hashKey]: item[hashKey] as AttributeValue };
  }

  /** The TTL stored in `item`, in epoch seconds, if it has a valid one. */
  ttlOf(item: Item): number | undefined {
    const ttl = Number(item[this.#options.expiresAttribute]?.N ?? Number.NaN);
    return Number.isFinite(ttl) ? ttl : undefined;
  }

  /**
   * The item that stores `data` as session `id` until `expiresAt` (epoch ms), with its data
   * attribute from `plain` when the caller has it already. Throws `INVALID_SESSION_DATA`,
   * `MISSING_INDEX_ATTRIBUTE` or `SESSION_TOO_LARGE`.
   */
  toItem(id: string, data: object, expiresAt: number, plain?: AttributeValue): Item {
    if (!isSessionData(data)) {
      throw new SessionStoreError('INVALID_SESSION_DATA', 'session data must be an object');
    }
    const { hashKey, expiresAttribute, dataAttribute, indexAttributes } = this.#options;
    const { values, missing } = indexAttributeValues(data, indexAttributes);
    if (missing.length > 0) {
      throw new SessionStoreError(
        'MISSING_INDEX_ATTRIBUTE',
        `the session lacks the index attribute(s) ${missing.join(', ')}`,
      );
    }
    const key = this.storedKey(id);
    const item: Item = {
      ...values,
      [hashKey]: { S: key },
      [expiresAttribute]: { N: String(toTtlSeconds(expiresAt)) },
      [dataAttribute]: this.#seal(plain ?? this.plain(data), key),
    };
    const version = this.#nextVersion(data);
    if (version !== undefined) item[this.#options.versionAttribute] = { N: String(version) };
    const size = itemSize(item);
    if (size > MAX_ITEM_BYTES) {
      throw new SessionStoreError(
        'SESSION_TOO_LARGE',
        `session ${loggedSessionId(id)} is ${size} bytes as an item; DynamoDB's limit is ${MAX_ITEM_BYTES}`,
      );
    }
    return item;
  }

  /**
   * The tombstone a destroy at `now` leaves: the key and an expiry {@link DESTROYED_SESSION_KEPT_MS}
   * later, no data. `save` and `touch` never write over a live one.
   */
  tombstone(key: Item, now: number): Item {
    const expires = toTtlSeconds(now + DESTROYED_SESSION_KEPT_MS);
    return { ...key, [this.#options.expiresAttribute]: { N: String(expires) } };
  }

  /**
   * The session `item` holds at `now` (epoch ms): `null` when it is expired, has no data (a
   * tombstone), or is unreadable (then with the problem). A precise expiry in the data is
   * honoured within the TTL's last second, and brought up to the TTL when a refresh moved only
   * the TTL.
   */
  parse(item: Item, now: number): ParsedItem {
    const ttl = this.ttlOf(item);
    if (ttl !== undefined && ttl * 1000 <= now) return { data: null };
    const stored = item[this.#options.dataAttribute];
    if (stored === undefined) return { data: null, problem: this.#strayAttributes(item) };
    let data: SessionData;
    let plain: AttributeValue;
    try {
      [data, plain] = this.#decode(stored, String(item[this.#options.hashKey]?.S ?? ''));
    } catch (error) {
      const key = String(item[this.#options.hashKey]?.S ?? '');
      return { data: null, problem: corrupt(key.slice(this.#options.prefix.length), error) };
    }
    const dataExpiry = this.#dataExpiry.read(data);
    if (isExpired(ttl, dataExpiry, now)) return { data: null };
    const storedExpiry = expiryFieldsOf(data);
    if (ttl !== undefined && dataExpiry !== undefined && dataExpiry <= ttl * 1000 - 1000) {
      this.#dataExpiry.write(data, ttl * 1000);
    }
    if (this.#options.optimisticLocking) {
      data[this.#options.versionField] = Number(item[this.#options.versionAttribute]?.N ?? 0);
    }
    return { data, plain, storedExpiry };
  }

  /**
   * The data attribute of `data` in its plain form: what the serializer makes of it (JSON when
   * writes are compressed or encrypted), before any sealing, without the version of optimistic
   * locking. Throws `INVALID_SESSION_DATA` or `SESSION_TOO_LARGE`.
   */
  plain(data: object): AttributeValue {
    if (!isSessionData(data)) {
      throw new SessionStoreError('INVALID_SESSION_DATA', 'session data must be an object');
    }
    const stored = this.#withoutVersion(data);
    if (!this.#sealsWrites) return serializeSession(this.#serializer, stored);
    let json: string;
    try {
      json = JSON.stringify(stored);
    } catch (error) {
      throw new SessionStoreError(
        'INVALID_SESSION_DATA',
        `the session data cannot be serialized (${errorName(error)})`,
        { cause: error },
      );
    }
    if (!json?.startsWith('{')) {
      throw new SessionStoreError(
        'INVALID_SESSION_DATA',
        'session data must serialize to an object',
      );
    }
    if (Buffer.byteLength(json, 'utf8') > MAX_SESSION_JSON_BYTES) {
      throw new SessionStoreError(
        'SESSION_TOO_LARGE',
        `the session's JSON exceeds ${MAX_SESSION_JSON_BYTES} bytes`,
      );
    }
    return { S: json };
  }

  /**
   * An item without data is a tombstone (a key and an expiry, what `destroy` leaves, and what
   * connect-dynamodb's `touch` of a destroyed session leaves): missing, not corrupt. One that
   * holds other attributes lost its data some other way (a partial write, a renamed attribute).
   */
  #strayAttributes(item: Item): SessionStoreError | undefined {
    const { hashKey, expiresAttribute, pessimisticLocking } = this.#options;
    const known = [
      hashKey,
      expiresAttribute,
      pessimisticLocking?.ownerAttribute,
      pessimisticLocking?.leaseAttribute,
    ];
    if (Object.keys(item).every((name) => known.includes(name))) return undefined;
    const key = String(item[hashKey]?.S ?? '');
    return new SessionStoreError(
      'CORRUPT_SESSION',
      `the item of session ${loggedSessionId(key.slice(this.#options.prefix.length))} has no data attribute "${this.#options.dataAttribute}"`,
    );
  }

  /** The data `stored` holds, and its plain form. */
  #decode(stored: AttributeValue, key: string): [SessionData, AttributeValue] {
    const encrypted = this.#envelope.encrypts && !this.#options.acceptUnencrypted;
    let data: unknown;
    let plain = stored;
    if (stored.B !== undefined && (encrypted || isSealed(stored.B))) {
      const json = this.#envelope.open(stored.B, key, encrypted);
      plain = { S: json };
      data = JSON.parse(json);
    } else {
      if (encrypted)
        throw new UnreadableItemError('the session is not encrypted, and encryption is on');
      data = this.#serializer.deserialize(stored);
    }
    if (!isSessionData(data)) throw new UnreadableItemError('the session is not an object');
    return [data, plain];
  }

  #seal(plain: AttributeValue, key: string): AttributeValue {
    if (!this.#sealsWrites || plain.S === undefined) return plain;
    return this.#envelope.seal(plain.S, key);
  }

  #withoutVersion(data: SessionData): SessionData {
    const { optimisticLocking, versionField } = this.#options;
    if (!optimisticLocking || !(versionField in data)) return data;
    const { [versionField]: _version, ...rest } = data;
    return rest;
  }

  #nextVersion(data: SessionData): number | undefined {
    if (!this.#options.optimisticLocking) return undefined;
    const read = data[this.#options.versionField];
    return (typeof read === 'number' ? read : 0) + 1;
  }
}

/**
 * The report of an unreadable item. Its message names the session only by its short hash and
 * never quotes the item (a JSON parser's message would), so it can go to any log.
 */
function corrupt(id: string, error: unknown): SessionStoreError {
  let reason = `${error instanceof Error ? error.name : 'an error'} while decoding it`;
  if (error instanceof UnreadableItemError) reason = error.message;
  else if ((error as { code?: unknown } | null)?.code === 'ERR_BUFFER_TOO_LARGE') {
    reason = `it inflates beyond ${MAX_SESSION_JSON_BYTES} bytes`;
  }
  return new SessionStoreError(
    'CORRUPT_SESSION',
    `the item of session ${loggedSessionId(id)} holds no readable session: ${reason}`,
  );
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
