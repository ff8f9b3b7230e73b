import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/**
 * The problem with a stored item that cannot be read as a session; its message names the problem
 * and never quotes the item's content.
 */
export class UnreadableItemError extends TypeError {
  override name = 'UnreadableItemError';
}

/** Transparent compression of the stored session above a size. */
export interface CompressionOptions {
  /** `gzip` (the default) or `brotli`. */
  algorithm?: 'gzip' | 'brotli';
  /** Sessions whose JSON is at least this many bytes are compressed. Default 1024. */
  thresholdBytes?: number;
}

/** One data key: an id stored with each item, and 32 bytes (or their base64). */
export interface EncryptionKey {
  id: string;
  key: string | Uint8Array;
}

/** Client-side AES-256-GCM encryption of the session data. */
export interface EncryptionOptions {
  /** The first key encrypts; every key decrypts (rotation). */
  keys: EncryptionKey[];
}

/**
 * The largest session, as JSON, that a sealed item may hold once decompressed: 4 MiB, ten
 * times DynamoDB's item limit. Writing a larger one fails with `SESSION_TOO_LARGE`; reading an
 * item that would inflate beyond it stops there and reads as corrupt (a small hostile item can
 * hold gigabytes of zeros).
 */
export const MAX_SESSION_JSON_BYTES = 4 * 1024 * 1024;

const MAGIC = Buffer.from('DSE1');
const GZIP = 1;
const BROTLI = 2;
const ENCRYPTED = 4;

/**
 * Seals session JSON for storage: compressed above a threshold and/or encrypted, as a binary
 * (`B`) attribute with a small header; left as the plain JSON string (`S`) when neither
 * applies, so items stay readable by versions without this feature. Opening follows the
 * header, whatever the options say now (turning compression off loses nothing), and inflates
 * at most {@link MAX_SESSION_JSON_BYTES}. The item key is the authenticated data of the
 * encryption: a sealed session cannot be moved to another id.
 */
export class DataEnvelope {
  readonly #compression: Required<CompressionOptions> | undefined;
  readonly #keys: { id: Buffer; key: Buffer }[];

  constructor(
    compression: CompressionOptions | undefined,
    encryption: EncryptionOptions | undefined,
  ) {
    this.#compression = compression && {
      algorithm: compression.algorithm ?? 'gzip',
      thresholdBytes: compression.thresholdBytes ?? 1024,
    };
    this.#keys = (encryption?.keys ?? []).map(({ id, key }) => ({
      id: Buffer.from(id, 'utf8'),
      key: typeof key === 'string' ? Buffer.from(key, 'base64') : Buffer.from(key),
    }));
  }

  /** Seals `json`, the serialized session stored under `itemKey`. */
  seal(json: string, itemKey: string): AttributeValue {
    let payload = Buffer.from(json, 'utf8');
    let flags = 0;
    const compression = this.#compression;
    if (compression && payload.length >= compression.thresholdBytes) {
      payload =
        compression.algorithm === 'brotli' ? brotliCompressSync(payload) : gzipSync(payload);
      flags |= compression.algorithm === 'brotli' ? BROTLI : GZIP;
    }
    const key = this.#keys[0];
    if (!key)
      return flags === 0
        ? { S: json }
        : { B: Buffer.concat([MAGIC, Buffer.from([flags]), payload]) };
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key.key, iv);
    cipher.setAAD(Buffer.from(itemKey, 'utf8'));
    const sealed = Buffer.concat([cipher.update(payload), cipher.final()]);
    const header = Buffer.from([flags | ENCRYPTED, key.id.length]);
    return { B: Buffer.concat([MAGIC, header, key.id, iv, cipher.getAuthTag(), sealed]) };
  }

  /** Whether writes are encrypted (and so unencrypted items are suspect). */
  get encrypts(): boolean {
    return this.#keys.length > 0;
  }

  /**
   * The JSON sealed in `value`; throws when it cannot be opened (unknown key, tampering, an
   * unencrypted envelope while `requireEncryption`, more than {@link MAX_SESSION_JSON_BYTES}).
   */
  open(value: Uint8Array, itemKey: string, requireEncryption: boolean): string {
    const bytes = Buffer.from(value);
    if (bytes.length < 5 || !bytes.subarray(0, 4).equals(MAGIC)) {
      throw new UnreadableItemError('the binary data attribute is not a sealed session');
    }
    const flags = bytes[4] as number;
    if ((flags & ~(GZIP | BROTLI | ENCRYPTED)) !== 0 || (flags & GZIP && flags & BROTLI)) {
      throw new UnreadableItemError(`the sealed session has unknown flags ${flags}`);
    }
    let payload = bytes.subarray(5);
    if (requireEncryption && !(flags & ENCRYPTED)) {
      throw new UnreadableItemError('the session is not encrypted, and encryption is on');
    }
    if (flags & ENCRYPTED) {
      const idLength = payload[0] as number;
      const id = payload.subarray(1, 1 + idLength);
      const key = this.#keys.find((candidate) => candidate.id.equals(id));
      if (!key)
        throw new UnreadableItemError('the session is sealed with an unknown encryption key');
      const iv = payload.subarray(1 + idLength, 13 + idLength);
      const tag = payload.subarray(13 + idLength, 29 + idLength);
      const decipher = createDecipheriv('aes-256-gcm', key.key, iv);
      decipher.setAAD(Buffer.from(itemKey, 'utf8'));
      decipher.setAuthTag(tag);
      payload = Buffer.concat([decipher.update(payload.subarray(29 + idLength)), decipher.final()]);
    }
    const bounded = { maxOutputLength: MAX_SESSION_JSON_BYTES };
    if (flags & BROTLI) payload = brotliDecompressSync(payload, bounded);
    else if (flags & GZIP) payload = gunzipSync(payload, bounded);
    return payload.toString('utf8');
  }
}

/** Whether `value` starts like a sealed session (the envelope's magic bytes). */
export function isSealed(value: Uint8Array): boolean {
  return value.length >= MAGIC.length && MAGIC.equals(Buffer.from(value.subarray(0, MAGIC.length)));
}

/** Checks encryption keys once, at construction: each must be 32 bytes with a short unique id. */
export function validateEncryptionKeys(keys: readonly EncryptionKey[]): string | undefined {
  if (keys.length === 0) return 'needs at least one key';
  const ids = new Set<string>();
  for (const { id, key } of keys) {
    if (id.length === 0 || Buffer.byteLength(id) > 255)
      return 'every key needs an id of 1 to 255 bytes';
    if (ids.has(id)) return `the key id "${id}" is used twice`;
    ids.add(id);
    const bytes = typeof key === 'string' ? Buffer.from(key, 'base64') : key;
    if (bytes.length !== 32)
      return `the key "${id}" must be 32 bytes (AES-256), not ${bytes.length}`;
  }
  return undefined;
}
