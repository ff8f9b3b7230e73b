/**
 * Decoder fuzzing through `repository.parseItem`: random and hostile items (any attribute type
 * for the data attribute, truncated / oversized / bit-flipped envelopes, unknown flags, foreign
 * key ids, bombs) under every layout. parseItem never throws, returns a session object or null,
 * and a null for a live item that has data is reported as CORRUPT_SESSION, exactly once.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { Item, SessionStoreError } from '../../src/index';
import { createMemoryRepository } from '../../src/testing/index';
import {
  BROTLI_GIB_OF_ZEROS,
  ENCRYPTION,
  envelope,
  FLAG_BROTLI,
  FLAG_ENCRYPTED,
  FLAG_GZIP,
  isStoreError,
  KEY_B,
  runs,
  SEED,
  TIMEOUT,
} from './support';

const NOW = 1_800_000_000_000;
const KEY = 'sess:fuzzed';

/** Layouts to decode with (every one the options schema accepts). */
const decoders = {
  json: {},
  map: { serializer: 'map' as const },
  gzip: { compression: { algorithm: 'gzip' as const, thresholdBytes: 0 } },
  brotli: { compression: { algorithm: 'brotli' as const, thresholdBytes: 0 } },
  encrypted: { encryption: ENCRYPTION },
  'encrypted, acceptUnencrypted': { encryption: ENCRYPTION, acceptUnencrypted: true },
  'encrypted + brotli': { encryption: ENCRYPTION, compression: { algorithm: 'brotli' as const } },
  optimistic: { optimisticLocking: true },
};
type DecoderName = keyof typeof decoders;
const decoderName = fc.constantFrom(...(Object.keys(decoders) as DecoderName[]));

/** Map keys, never the expiry fields a session may carry (those may legitimately read as null). */
const mapKey = fc
  .oneof(
    fc.string({ maxLength: 6 }),
    fc.constantFrom('__proto__', 'constructor', 'toJSON', '$version', 'sess'),
  )
  .filter((key) => key !== 'cookie' && key !== '_expire');

const bytes = fc.uint8Array({ maxLength: 64 }).map((array) => Buffer.from(array));

/** Any DynamoDB attribute value, nested a little. */
const attributeValue: fc.Arbitrary<AttributeValue> = fc.letrec<{ value: AttributeValue }>(
  (tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.string().map((S) => ({ S })),
      fc.oneof(fc.double().map(String), fc.string({ maxLength: 5 })).map((N) => ({ N })),
      bytes.map((B) => ({ B })),
      fc.boolean().map((BOOL) => ({ BOOL })),
      fc.constant({ NULL: true }),
      fc.dictionary(mapKey, tie('value'), { maxKeys: 4 }).map((M) => ({ M })),
      fc.array(tie('value'), { maxLength: 4 }).map((L) => ({ L })),
      fc.array(fc.string(), { maxLength: 3 }).map((SS) => ({ SS })),
      fc.array(fc.integer().map(String), { maxLength: 3 }).map((NS) => ({ NS })),
      fc.array(bytes, { maxLength: 2 }).map((BS) => ({ BS })),
      fc.constant({} as AttributeValue),
    ),
  }),
).value;

/** A sealed session as each writing layout makes it, for the given item key. */
function sealed(writer: DecoderName, data: object, key = KEY): AttributeValue {
  const repository = createMemoryRepository({ ...decoders[writer], now: () => NOW });
  return repository.toItem(key.slice('sess:'.length), data as Record<string, unknown>)
    .sess as AttributeValue;
}

const sessionData = fc.dictionary(mapKey, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });

/** Hostile binary data attributes: mangled real envelopes and hand-made ones. */
const hostileBinary: fc.Arbitrary<AttributeValue> = fc.oneof(
  // a real envelope, truncated, extended or with bits flipped
  fc
    .tuple(
      fc.constantFrom<DecoderName>('gzip', 'brotli', 'encrypted', 'encrypted + brotli'),
      sessionData,
      fc.oneof(
        fc.record({ cut: fc.nat() }),
        fc.record({ extra: bytes }),
        fc.record({ flip: fc.nat(), bit: fc.nat({ max: 7 }) }),
        fc.record({ flags: fc.nat({ max: 255 }) }),
      ),
    )
    .map(([writer, data, mangle]) => {
      const value = sealed(writer, data);
      const original = Buffer.from(
        (value.B as Uint8Array | undefined) ?? Buffer.from(value.S ?? ''),
      );
      let mangled = original;
      if ('cut' in mangle) mangled = original.subarray(0, mangle.cut % (original.length + 1));
      else if ('extra' in mangle) mangled = Buffer.concat([original, mangle.extra]);
      else if ('flip' in mangle) {
        mangled = Buffer.from(original);
        const at = mangle.flip % mangled.length;
        mangled[at] = (mangled[at] as number) ^ (1 << mangle.bit);
      } else {
        mangled = Buffer.from(original);
        if (mangled.length > 4) mangled[4] = mangle.flags;
      }
      return { B: mangled };
    }),
  // hand-made envelopes: any flags around random, compressed or encrypted-looking bytes
  fc
    .tuple(
      fc.nat({ max: 255 }),
      fc.oneof(bytes, fc.constant(BROTLI_GIB_OF_ZEROS), fc.constant(Buffer.alloc(0))),
    )
    .map(([flags, payload]) => ({ B: envelope(flags, payload) })),
  // encrypted with a foreign key, or naming a key id that does not exist
  fc.tuple(sessionData, fc.string({ minLength: 1, maxLength: 8 })).map(([data, id]) => {
    const foreign = createMemoryRepository({ encryption: { keys: [{ id, key: KEY_B }] } });
    return foreign.toItem('fuzzed', data).sess as AttributeValue;
  }),
  fc.constant({ B: envelope(FLAG_ENCRYPTED | FLAG_GZIP | FLAG_BROTLI, Buffer.alloc(10)) }),
);

/** Hostile string data attributes: truncated or mangled JSON. */
const hostileString: fc.Arbitrary<AttributeValue> = fc.oneof(
  fc.tuple(sessionData, fc.nat()).map(([data, cut]) => {
    const json = JSON.stringify(data);
    return { S: json.slice(0, cut % (json.length + 1)) };
  }),
  fc.jsonValue().map((value) => ({ S: JSON.stringify(value) })),
  fc
    .constantFrom('', 'null', '[]', '"x"', '1', 'true', '{"a":1', '\u0000', '{"__proto__":{"a":1}}')
    .map((S) => ({ S })),
);

const dataAttribute = fc.oneof(attributeValue, hostileBinary, hostileString);

interface Outcome {
  result: unknown;
  reported: SessionStoreError[];
}

function decode(name: DecoderName, item: Item): Outcome {
  const repository = createMemoryRepository({ ...decoders[name], now: () => NOW });
  const reported: SessionStoreError[] = [];
  repository.onError((error) => reported.push(error));
  const result = repository.parseItem(item);
  return { result, reported };
}

function checkOutcome({ result, reported }: Outcome, live: boolean): void {
  expect(result === null || (typeof result === 'object' && !Array.isArray(result))).toBe(true);
  if (result !== null) {
    expect(reported).toEqual([]);
  } else if (live) {
    expect(reported.map((error) => error.code)).toEqual(['CORRUPT_SESSION']);
  } else {
    expect(reported).toEqual([]);
  }
}

/** `value` without `__proto__` keys, at any depth (see the map serializer test below). */
function withoutProtoKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutProtoKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== '__proto__')
      .map(([key, inner]) => [key, withoutProtoKeys(inner)]),
  );
}

describe('decoder fuzz through parseItem', { timeout: TIMEOUT }, () => {
  test.prop([decoderName, dataAttribute], { numRuns: runs(400), seed: SEED })(
    'a live item with any data attribute: an object, or null reported as CORRUPT_SESSION',
    (name, sess) => {
      const item: Item = { id: { S: KEY }, expires: { N: String(NOW / 1000 + 3_600) }, sess };
      checkOutcome(decode(name, item), true);
    },
  );

  test.prop(
    [
      decoderName,
      dataAttribute,
      fc.oneof(attributeValue, fc.constant(undefined), fc.constant({ N: String(NOW / 1000 - 1) })),
      fc.oneof(fc.constant<AttributeValue>({ S: KEY }), attributeValue, fc.constant(undefined)),
    ],
    { numRuns: runs(300), seed: SEED },
  )('any expires and key attributes: never throws', (name, sess, expires, id) => {
    const item: Item = { sess };
    if (expires) item.expires = expires;
    if (id) item.id = id;
    const { result } = decode(name, item);
    expect(result === null || (typeof result === 'object' && !Array.isArray(result))).toBe(true);
  });

  test.prop(
    [
      decoderName,
      sessionData,
      fc.constantFrom<DecoderName>(...(Object.keys(decoders) as DecoderName[])),
    ],
    {
      numRuns: runs(200),
      seed: SEED,
    },
  )(
    'what any layout writes, any layout reads or reports (never throws, never another session)',
    (reader, data, writer) => {
      let sess: AttributeValue;
      try {
        sess = sealed(writer, data);
      } catch (error) {
        // the map serializer refuses numbers beyond the safe integers, as documented
        expect(writer === 'map' && isStoreError(error, 'INVALID_SESSION_DATA'), String(error)).toBe(
          true,
        );
        return;
      }
      const outcome = decode(reader, {
        id: { S: KEY },
        expires: { N: String(NOW / 1000 + 60) },
        sess,
      });
      checkOutcome(outcome, true);
      if (outcome.result !== null) {
        const versioned = reader === 'optimistic' || writer === 'optimistic';
        const viaMap = reader === 'map' || writer === 'map';
        const strip = (value: object) => {
          const { $version: _version, ...rest } = value as Record<string, unknown>;
          const plain = versioned ? rest : value;
          return viaMap ? withoutProtoKeys(plain) : plain;
        };
        expect(strip(outcome.result as object)).toEqual(strip(JSON.parse(JSON.stringify(data))));
      }
    },
  );

  it('an expired item and a tombstone are null without a report, whatever their data', () => {
    for (const name of Object.keys(decoders) as DecoderName[]) {
      checkOutcome(
        decode(name, { id: { S: KEY }, expires: { N: String(NOW / 1000 - 1) }, sess: { S: '{' } }),
        false,
      );
      checkOutcome(
        decode(name, { id: { S: KEY }, expires: { N: String(NOW / 1000 + 60) } }),
        false,
      );
    }
  });

  it('a moved encrypted envelope (another key) is reported, not read', () => {
    const moved = sealed('encrypted', { role: 'admin' }, 'sess:victim');
    checkOutcome(decode('encrypted', { id: { S: 'sess:attacker' }, sess: moved }), true);
  });

  // BUG (robustness): a custom serializer that throws a non-Error, or a key attribute that is not
  // a string, makes parseItem throw a TypeError from its own error reporting (corrupt() reads
  // `error.code` and `key.slice`), instead of returning null with CORRUPT_SESSION.
  it('parseItem does not throw for an item whose key attribute is not a string', () => {
    const repository = createMemoryRepository({});
    expect(
      repository.parseItem({ id: { S: 42 as unknown as string }, sess: { S: '{' } }),
    ).toBeNull();
  });

  // Fixed (found by this suite): the map serializer silently dropped an own `__proto__` key
  // (marshall skips it) that the json serializer keeps. A map holding one is refused on read
  // (it would set a prototype), so the map serializer now refuses such data on write, clearly.
  it('the map serializer refuses an own __proto__ key that the json serializer keeps', () => {
    const data = JSON.parse('{"prefs":{"__proto__":{"theme":"dark"}},"n":1}') as Record<
      string,
      unknown
    >;
    const viaJson = createMemoryRepository({}).parseItem(
      createMemoryRepository({}).toItem('a', data),
    );
    expect(viaJson).toEqual(data);
    const map = createMemoryRepository({ serializer: 'map' });
    expect(() => map.toItem('a', data)).toThrow(
      expect.objectContaining({ code: 'INVALID_SESSION_DATA' }),
    );
    expect(map.parseItem(map.toItem('a', { prefs: { theme: 'dark' }, n: 1 }))).toEqual({
      prefs: { theme: 'dark' },
      n: 1,
    });
  });

  // Hardening (fixed; found by this suite): a map data attribute with a `__proto__` key gave the
  // session an attacker-chosen prototype (util-dynamodb's unmarshall assigns `acc.__proto__`),
  // with the default json serializer too, which also reads maps. Such an item is now corrupt.
  it('a map with a __proto__ key does not give the session inherited fields', () => {
    const item = JSON.parse(
      '{"id":{"S":"sess:p"},"sess":{"M":{"user":{"S":"bob"},"__proto__":{"M":{"isAdmin":{"BOOL":true}}}}}}',
    ) as Item;
    const repository = createMemoryRepository({});
    const codes: string[] = [];
    repository.onError((error) => codes.push(error.code));
    const data = repository.parseItem(item) as Record<string, unknown> | null;
    expect(data?.isAdmin).toBeUndefined();
    expect(data).toBeNull();
    expect(codes).toEqual(['CORRUPT_SESSION']);
  });
});
