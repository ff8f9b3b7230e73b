import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import {
  expiryFromMaxAge,
  expiryInSessionData,
  type IndexAttribute,
  isExpired,
  isSessionStoreError,
  itemSize,
  jsonSerializer,
  MAX_ITEM_BYTES,
  MAX_KEY_BYTES,
  mapSerializer,
  ONE_DAY_MS,
  parseSessionRepositoryOptions,
  resolveExpiryMs,
  SessionRepository,
  type SessionRepositoryOptions,
  type SessionSerializer,
  SessionStoreError,
  sessionIdProblem,
  toTtlSeconds,
} from '../src/index';

// No test here sends a request: the client only has to exist.
const client = new DynamoDBClient({ region: 'us-east-1' });
afterAll(() => client.destroy());

/** The error parsing `options` throws; fails the test when it does not throw. */
function optionsError(options: unknown): SessionStoreError {
  try {
    parseSessionRepositoryOptions(options as SessionRepositoryOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(SessionStoreError);
    expect(error).toMatchObject({ name: 'SessionStoreError', code: 'INVALID_OPTIONS' });
    return error as SessionStoreError;
  }
  throw new Error(`options were accepted: ${JSON.stringify(options)}`);
}

describe('options', () => {
  const defaults = {
    table: 'sessions',
    hashKey: 'id',
    prefix: 'sess:',
    expiresAttribute: 'expires',
    dataAttribute: 'sess',
    consistentRead: true,
    defaultLifetimeMs: ONE_DAY_MS,
    serializer: 'json',
    indexAttributes: [],
    requestTimeoutMs: 3_000,
    touchAfterMs: 'auto',
    trackedSessions: 10_000,
    acceptUnencrypted: false,
    hashSessionIds: false,
    returnConsumedCapacity: false,
    cacheClientMiddleware: false,
    readUnhashedIds: false,
    optimisticLocking: false,
    versionAttribute: 'version',
    versionField: '$version',
  };

  it('applies every default to missing or empty options', () => {
    expect(ONE_DAY_MS).toBe(86_400_000);
    expect(parseSessionRepositoryOptions(undefined)).toStrictEqual(defaults);
    expect(parseSessionRepositoryOptions({})).toStrictEqual(defaults);
  });

  it('keeps the values given, and the repository exposes the resolved options', () => {
    const serializer: SessionSerializer = {
      serialize: (data) => ({ S: JSON.stringify(data) }),
      deserialize: (value) => JSON.parse(value.S ?? '{}'),
    };
    const repository = new SessionRepository({
      client,
      table: 'app.sessions_v2',
      hashKey: 'pk',
      prefix: '',
      expiresAttribute: 'ttl',
      dataAttribute: 'data',
      consistentRead: false,
      defaultLifetimeMs: 60_000,
      serializer,
      indexAttributes: [{ name: 'userId', path: 'user.id', type: 'S' }],
      requestTimeoutMs: 500,
    });
    expect(repository.client).toBe(client);
    expect(repository.options).toMatchObject({
      table: 'app.sessions_v2',
      hashKey: 'pk',
      prefix: '',
      expiresAttribute: 'ttl',
      dataAttribute: 'data',
      consistentRead: false,
      defaultLifetimeMs: 60_000,
      indexAttributes: [{ name: 'userId', path: 'user.id', type: 'S' }],
      requestTimeoutMs: 500,
    });
    expect(repository.options.serializer).toBe(serializer);
  });

  it('builds its own client when given none, and accepts region and endpoint for it', () => {
    const repository = new SessionRepository({
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:8000',
    });
    expect(repository.client).toBeInstanceOf(DynamoDBClient);
    expect(repository.client).not.toBe(client);
    expect(repository.options).toMatchObject({
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:8000',
    });
    repository.close();
  });

  it.each([
    [{ table: 'x' }, 'option "table": must be 3 to 255 characters of a-z, A-Z, 0-9, _ . -'],
    [{ table: 'my sessions' }, 'option "table": must be 3 to 255 characters'],
    [{ table: 'x'.repeat(256) }, 'option "table": must be 3 to 255 characters'],
    [{ hashKey: '' }, 'option "hashKey": must be a non-empty attribute name'],
    [{ expiresAttribute: '' }, 'option "expiresAttribute": must be a non-empty attribute name'],
    [{ tabel: 'sessions' }, 'option "tabel" is not a known option'],
    [{ endpoint: 'localhost 8000' }, 'option "endpoint": '],
    [{ region: '' }, 'option "region": '],
    [{ consistentRead: 'yes' }, 'option "consistentRead": '],
    [{ defaultLifetimeMs: 0 }, 'option "defaultLifetimeMs": '],
    [{ defaultLifetimeMs: 1.5 }, 'option "defaultLifetimeMs": '],
    [{ requestTimeoutMs: -1 }, 'option "requestTimeoutMs": '],
    [{ prefix: 'p'.repeat(1025) }, 'option "prefix": '],
    [{ serializer: 'xml' }, 'option "serializer": '],
    [{ serializer: { serialize() {} } }, 'option "serializer": '],
    [{ dataExpiry: 5 }, 'option "dataExpiry": '],
    [{ dataExpiry: { read: () => undefined } }, 'option "dataExpiry": '],
    [{ touchAfterMs: -1 }, 'option "touchAfterMs": '],
    [{ touchAfterMs: 86_400_000 }, 'option "touchAfterMs": must be shorter than defaultLifetimeMs'],
    [{ requestTimeoutMs: 3_000_000_000 }, 'option "requestTimeoutMs": '],
    [
      { optimisticLocking: true, versionAttribute: 'expires' },
      'option "versionAttribute": "expires" is already the attribute of expiresAttribute',
    ],
    [
      { pessimisticLocking: { leaseAttribute: 'expires' } },
      'option "pessimisticLocking.leaseAttribute": "expires" is already the attribute of expiresAttribute',
    ],
    [{ trackedSessions: 1.5 }, 'option "trackedSessions": '],
    [{ client: {} }, 'option "client": must be a DynamoDBClient (an object with a send method)'],
    [{ indexAttributes: [{ name: 'a', type: 'X' }] }, 'option "indexAttributes.0.type": '],
    [{ indexAttributes: [{ name: 'a', type: 'S', sparse: true }] }, 'option "sparse" is not'],
    [
      { hashKey: 'sess' },
      'option "dataAttribute": "sess" is already the attribute of hashKey: every attribute needs its own name',
    ],
    [
      {
        indexAttributes: [
          { name: 'userId', type: 'S' },
          { name: 'expires', type: 'N' },
        ],
      },
      'option "indexAttributes.1.name": "expires" is already used by the key, expiry or data attribute',
    ],
  ])('rejects %j with INVALID_OPTIONS naming the option', (options, expected) => {
    const error = optionsError(options);
    expect(error.message).toMatch(/^Invalid session store options: /);
    expect(error.message).toContain(expected);
    expect(error.cause).toBeDefined();
  });

  it('rejects a client combined with endpoint, region or clientConfig', () => {
    expect(optionsError({ client, endpoint: 'http://127.0.0.1:8000' }).message).toContain(
      'option "endpoint": cannot be combined with client',
    );
    expect(optionsError({ client, region: 'eu-west-1' }).message).toContain(
      'option "region": cannot be combined with client',
    );
    expect(optionsError({ client, clientConfig: { maxAttempts: 1 } }).message).toContain(
      'option "clientConfig": cannot be combined with client',
    );
  });

  it('names every offending option in one message', () => {
    const { message } = optionsError({ table: 'x', hashKey: '', tabel: 'y' });
    expect(message).toContain('option "table"');
    expect(message).toContain('option "hashKey"');
    expect(message).toContain('option "tabel" is not a known option');
  });

  it('validates in the constructor', () => {
    const error = (() => {
      try {
        return new SessionRepository({ client, table: 'x' });
      } catch (e) {
        return e;
      }
    })();
    expect(isSessionStoreError(error, 'INVALID_OPTIONS')).toBe(true);
    expect((error as Error).message).toContain('option "table"');
  });
});

describe('expiry helpers', () => {
  it('toTtlSeconds rounds up to whole seconds', () => {
    expect(toTtlSeconds(0)).toBe(0);
    expect(toTtlSeconds(1_000)).toBe(1);
    expect(toTtlSeconds(1_001)).toBe(2);
    expect(toTtlSeconds(1_999)).toBe(2);
    expect(toTtlSeconds(1_700_000_000_001)).toBe(1_700_000_001);
    expect(toTtlSeconds(1_700_000_000_000)).toBe(1_700_000_000);
  });

  it('expiryFromMaxAge and resolveExpiryMs', () => {
    expect(expiryFromMaxAge(1_500, 10_000)).toBe(11_500);
    expect(resolveExpiryMs(null, 60_000, 10_000)).toBe(70_000);
    expect(resolveExpiryMs(undefined, 60_000, 10_000)).toBe(70_000);
    expect(resolveExpiryMs(new Date(12_345), 60_000, 10_000)).toBe(12_345);
    expect(resolveExpiryMs(12_345, 60_000, 10_000)).toBe(12_345);
    expect(() => resolveExpiryMs(new Date('nonsense'), 60_000)).toThrow(RangeError);
    expect(() => resolveExpiryMs(Number.NaN, 60_000)).toThrow(RangeError);
  });

  describe('isExpired', () => {
    const now = 100_600; // 100.6 s
    it('without a TTL, the expiry in the data decides, and no expiry at all means alive', () => {
      expect(isExpired(undefined, undefined, now)).toBe(false);
      expect(isExpired(undefined, now, now)).toBe(true);
      expect(isExpired(undefined, now - 1, now)).toBe(true);
      expect(isExpired(undefined, now + 1, now)).toBe(false);
    });

    it('a TTL at or before now has expired, whatever the data says', () => {
      expect(isExpired(100, undefined, now)).toBe(true);
      expect(isExpired(100.6, undefined, now)).toBe(true);
      expect(isExpired(100, now + 3_600_000, now)).toBe(true);
      expect(isExpired(100.7, undefined, now)).toBe(false);
      expect(isExpired(101, undefined, now)).toBe(false);
    });

    it("a data expiry within the TTL's last second refines it to the millisecond", () => {
      expect(isExpired(101, 100_500, now)).toBe(true);
      expect(isExpired(101, 100_600, now)).toBe(true);
      expect(isExpired(101, 100_601, now)).toBe(false);
      expect(isExpired(101, 100_001, now)).toBe(true);
    });

    it("a data expiry older than the TTL's last second is stale (after touch) and ignored", () => {
      expect(isExpired(101, 100_000, now)).toBe(false);
      expect(isExpired(200, 100_500, now)).toBe(false);
      expect(isExpired(200, 1, now)).toBe(false);
    });
  });

  it('parseItem applies both rules to stored items', () => {
    const repository = new SessionRepository({ client });
    const now = 1_800_000_000_600;
    const itemWith = (ttlMs: number, cookieExpiresMs: number) => ({
      id: { S: 'sess:a' },
      expires: { N: String(toTtlSeconds(ttlMs)) },
      sess: { S: JSON.stringify({ cookie: { expires: new Date(cookieExpiresMs).toISOString() } }) },
    });
    // touch moved the TTL a minute ahead; the cookie.expires in the data is a minute old
    expect(repository.parseItem(itemWith(now + 60_000, now - 60_000), now)).not.toBeNull();
    // set wrote the TTL rounded up from the cookie's expiry, which has just passed
    expect(repository.parseItem(itemWith(now - 10, now - 10), now)).toBeNull();
    expect(repository.parseItem(itemWith(now + 10, now + 10), now)).not.toBeNull();
  });

  describe('expiryInSessionData', () => {
    it('reads cookie.expires as an ISO string or a Date', () => {
      expect(expiryInSessionData({ cookie: { expires: '2030-01-02T03:04:05.678Z' } })).toBe(
        Date.parse('2030-01-02T03:04:05.678Z'),
      );
      expect(expiryInSessionData({ cookie: { expires: new Date(1_234_567) } })).toBe(1_234_567);
    });

    it("reads koa-session's _expire", () => {
      expect(expiryInSessionData({ _expire: 1_234_567, _maxAge: 86_400_000 })).toBe(1_234_567);
    });

    it('finds nothing in a browser-session cookie, an invalid date or data without either', () => {
      expect(
        expiryInSessionData({ cookie: { expires: null, originalMaxAge: null } }),
      ).toBeUndefined();
      expect(expiryInSessionData({ cookie: { expires: 'not a date' } })).toBeUndefined();
      expect(expiryInSessionData({ cookie: { expires: new Date(Number.NaN) } })).toBeUndefined();
      expect(expiryInSessionData({ _expire: Number.POSITIVE_INFINITY })).toBeUndefined();
      expect(expiryInSessionData({ _expire: null })).toBeUndefined();
      expect(expiryInSessionData({ user: 'ann' })).toBeUndefined();
      expect(expiryInSessionData({ cookie: null, _expire: 5 })).toBe(5);
    });
  });
});

describe('serializers', () => {
  const at = new Date('2030-01-02T03:04:05.678Z');
  const data = {
    user: { id: 'u-1', roles: ['admin', 'dev'], profile: { age: 42, score: 1.25 } },
    flag: false,
    nothing: null,
    dropped: undefined,
    text: 'grüße, 世界 🎉',
    empty: '',
    list: [1, 'two', { three: 3 }, [4]],
    at,
  };
  const asJson = JSON.parse(JSON.stringify(data));

  it('json stores a JSON string and reads it back in JSON shape', () => {
    const value = jsonSerializer.serialize(data);
    expect(value).toEqual({ S: JSON.stringify(data) });
    expect(jsonSerializer.deserialize(value)).toEqual(asJson);
    expect(jsonSerializer.deserialize(value)).not.toHaveProperty('dropped');
  });

  it('map stores a native map and reads back the same data as json', () => {
    const value = mapSerializer.serialize(data);
    expect(value.S).toBeUndefined();
    expect(value.M).toMatchObject({
      user: { M: { id: { S: 'u-1' }, roles: { L: [{ S: 'admin' }, { S: 'dev' }] } } },
      flag: { BOOL: false },
      nothing: { NULL: true },
      at: { S: at.toISOString() },
      list: { L: [{ N: '1' }, { S: 'two' }, { M: { three: { N: '3' } } }, { L: [{ N: '4' }] }] },
    });
    expect(value.M).not.toHaveProperty('dropped');
    expect(mapSerializer.deserialize(value)).toStrictEqual(asJson);
  });

  it('each reads what the other writes', () => {
    expect(jsonSerializer.deserialize(mapSerializer.serialize(data))).toStrictEqual(asJson);
    expect(mapSerializer.deserialize(jsonSerializer.serialize(data))).toStrictEqual(asJson);
  });

  it.each([
    ['malformed JSON', { S: '{"a":' }, SyntaxError],
    ['a JSON array', { S: '[1,2]' }, TypeError],
    ['JSON null', { S: 'null' }, TypeError],
    ['a JSON string', { S: '"session"' }, TypeError],
    ['a number attribute', { N: '5' }, TypeError],
    ['a list attribute', { L: [] }, TypeError],
  ])('both throw on %s', (_label, value, type) => {
    expect(() => jsonSerializer.deserialize(value)).toThrow(type);
    expect(() => mapSerializer.deserialize(value)).toThrow(type);
  });

  it('toItem turns a serializer failure into INVALID_SESSION_DATA', () => {
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    for (const serializer of ['json', 'map'] as const) {
      const repository = new SessionRepository({ client, serializer });
      expect(() => repository.toItem('a', circular)).toThrow(
        expect.objectContaining({ code: 'INVALID_SESSION_DATA' }),
      );
      expect(() => repository.toItem('a', { n: 10n })).toThrow(
        expect.objectContaining({ code: 'INVALID_SESSION_DATA' }),
      );
    }
  });

  it('the map serializer refuses a number it cannot store exactly; json keeps it', () => {
    const big = { n: 2 ** 60 };
    expect(() => new SessionRepository({ client, serializer: 'map' }).toItem('a', big)).toThrow(
      expect.objectContaining({ code: 'INVALID_SESSION_DATA' }),
    );
    const json = new SessionRepository({ client });
    expect(json.parseItem(json.toItem('a', big))).toEqual(big);
  });

  it('toItem rejects data that is not an object', () => {
    const repository = new SessionRepository({ client });
    for (const bad of [null, [1, 2], 'text', 5]) {
      expect(() => repository.toItem('a', bad as never)).toThrow(
        expect.objectContaining({ code: 'INVALID_SESSION_DATA' }),
      );
    }
  });
});

describe('itemSize', () => {
  it('counts names and strings in UTF-8 bytes', () => {
    expect(itemSize({ id: { S: 'abc' } })).toBe(5);
    expect(itemSize({ s: { S: 'é' } })).toBe(3);
    expect(itemSize({ s: { S: '世界' } })).toBe(7);
    expect(itemSize({ s: { S: '🎉' } })).toBe(5);
    expect(itemSize({ ü: { S: '' } })).toBe(2);
  });

  it('counts numbers by significant digits, at most 21 bytes', () => {
    expect(itemSize({ n: { N: '7' } })).toBe(1 + 2);
    expect(itemSize({ n: { N: '1234' } })).toBe(1 + 3);
    expect(itemSize({ n: { N: '9'.repeat(38) } })).toBe(1 + 20);
    expect(itemSize({ n: { N: '9'.repeat(60) } })).toBe(1 + 21);
  });

  it('counts booleans, nulls and binaries', () => {
    expect(itemSize({ b: { BOOL: true }, z: { NULL: true } })).toBe(4);
    expect(itemSize({ b: { B: new Uint8Array(10) } })).toBe(11);
  });

  it('adds 3 bytes per map or list and 1 per element, nested included', () => {
    expect(itemSize({ m: { M: {} } })).toBe(1 + 3);
    expect(itemSize({ m: { M: { a: { S: 'xy' } } } })).toBe(1 + 3 + (1 + 2) + 1);
    expect(itemSize({ l: { L: [{ S: 'a' }, { S: 'bc' }] } })).toBe(1 + 3 + (1 + 1) + (2 + 1));
    expect(itemSize({ m: { M: { n: { M: { k: { S: 'é' } } } } } })).toBe(
      1 + 3 + (1 + (3 + (1 + 2) + 1)) + 1,
    );
  });

  it('makes toItem reject by bytes, not characters', () => {
    expect(MAX_ITEM_BYTES).toBe(409_600);
    const repository = new SessionRepository({ client });
    // 200 000 two-byte characters: 400 000 bytes, under the limit
    expect(() => repository.toItem('a', { s: 'é'.repeat(200_000) })).not.toThrow();
    // 210 000 two-byte characters: 420 000 bytes, over it
    expect(() => repository.toItem('a', { s: 'é'.repeat(210_000) })).toThrow(
      expect.objectContaining({ code: 'SESSION_TOO_LARGE' }),
    );
  });
});

describe('index attributes via toItem', () => {
  const repositoryWith = (indexAttributes: IndexAttribute[]) =>
    new SessionRepository({ client, indexAttributes });

  it('copies a nested path to a top-level attribute of the given type', () => {
    const item = repositoryWith([
      { name: 'userId', path: 'user.id', type: 'S' },
      { name: 'orgNumber', path: 'user.org.number', type: 'N' },
      { name: 'tenant', type: 'S' },
      { name: 'level', type: 'N' },
      { name: 'avatar', path: 'user.avatar', type: 'B' },
    ]).toItem('abc', {
      user: { id: 'u-1', org: { number: 42 }, avatar: Buffer.from('hi').toString('base64') },
      tenant: 7,
      level: ' 3 ',
    });
    expect(item).toMatchObject({
      id: { S: 'sess:abc' },
      userId: { S: 'u-1' },
      orgNumber: { N: '42' },
      tenant: { S: '7' },
      level: { N: '3' },
    });
    expect(Buffer.from(item.avatar?.B ?? new Uint8Array()).toString()).toBe('hi');
  });

  it('fails with MISSING_INDEX_ATTRIBUTE naming every missing required attribute', () => {
    const repository = repositoryWith([
      { name: 'userId', path: 'user.id', type: 'S' },
      { name: 'orgId', path: 'user.org.id', type: 'S' },
      { name: 'level', type: 'N', required: true },
    ]);
    for (const data of [
      {},
      { user: 'not an object' },
      { user: { id: '' } },
      { user: { id: {} } },
    ]) {
      expect(() => repository.toItem('abc', { ...data, level: 1 })).toThrow(
        expect.objectContaining({
          code: 'MISSING_INDEX_ATTRIBUTE',
          message: 'the session lacks the index attribute(s) userId, orgId',
        }),
      );
    }
    expect(() =>
      repository.toItem('abc', { user: { id: 'u', org: { id: 'o' } }, level: 'high' }),
    ).toThrow(
      expect.objectContaining({
        code: 'MISSING_INDEX_ATTRIBUTE',
        message: expect.stringContaining('level'),
      }),
    );
  });

  it('skips a missing attribute marked required: false', () => {
    const repository = repositoryWith([
      { name: 'userId', path: 'user.id', type: 'S', required: false },
    ]);
    const item = repository.toItem('abc', { n: 1 });
    expect(Object.keys(item).sort()).toEqual(['expires', 'id', 'sess']);
    expect(repository.toItem('abc', { user: { id: 'u' } }).userId).toEqual({ S: 'u' });
  });
});

describe('sessionIdProblem', () => {
  it('accepts an ordinary id', () => {
    expect(sessionIdProblem('sess:', 'qX3-_abc.DEF')).toBeUndefined();
    expect(sessionIdProblem('', 'é世🎉')).toBeUndefined();
  });

  it('rejects non-strings, empty ids and control characters', () => {
    expect(sessionIdProblem('sess:', 42)).toBe('a session id must be a string, not number');
    expect(sessionIdProblem('sess:', undefined)).toBe(
      'a session id must be a string, not undefined',
    );
    expect(sessionIdProblem('sess:', '')).toBe('a session id must not be empty');
    for (const id of ['a\u0000b', 'a\nb', 'tab\t', '\u001f', 'del\u007f']) {
      expect(sessionIdProblem('sess:', id)).toBe(
        'a session id must not contain control characters',
      );
    }
  });

  it('limits prefix + id to 2048 UTF-8 bytes', () => {
    expect(MAX_KEY_BYTES).toBe(2048);
    expect(sessionIdProblem('sess:', 'x'.repeat(2043))).toBeUndefined();
    expect(sessionIdProblem('sess:', 'x'.repeat(2044))).toBe(
      'a session key (prefix + id) must not exceed 2048 bytes',
    );
    // 1022 characters, but 2044 bytes: 2049 with the prefix
    expect(sessionIdProblem('sess:', 'é'.repeat(1022))).toMatch(/must not exceed 2048 bytes/);
    expect(sessionIdProblem('', 'é'.repeat(1024))).toBeUndefined();
  });

  it('accepts ids that contain the last character of the prefix, whatever it is', () => {
    for (const prefix of ['sess:', 'myapp_', 'app-', 'a/', 'a.', 'app#', 'sess', '']) {
      expect(sessionIdProblem(prefix, `x${prefix.at(-1) ?? ':'}y`)).toBeUndefined();
      expect(sessionIdProblem(prefix, 'koa:sess:4b2c')).toBeUndefined();
    }
  });

  it('rejects ids with a lone surrogate, which UTF-8 cannot hold', () => {
    expect(sessionIdProblem('sess:', 'victim\ud800')).toMatch(/lone surrogate/);
    expect(sessionIdProblem('sess:', '\udc00victim')).toMatch(/lone surrogate/);
    expect(sessionIdProblem('sess:', 'pair\ud83d\ude00')).toBeUndefined();
  });
});
