/**
 * Shared helpers of the attack suite: id and prefix generators shaped like the frameworks', a
 * table with a userId index on each local server, hand-built data envelopes (including
 * decompression bombs), a capturing logger and the property-run budget.
 */
import { brotliDecompressSync } from 'node:zlib';
import {
  CreateTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import {
  dropTable,
  localClient,
  type TestServer,
  testServers,
  uniqueTableName,
  waitUntilActive,
} from '@dynamodb-session/test-support';
import { fc } from '@fast-check/vitest';
import { afterAll, beforeAll, it } from 'vitest';
import { type Item, SessionRepository, SessionStoreError } from '../../src/index';
import {
  createMemoryRepository,
  type MemorySessionRepositoryOptions,
  MemorySessionStorage,
} from '../../src/testing/index';

/** Runs per property: modest by default; `PROPERTY_RUNS=2000` for a long run. */
export const RUNS = Number(process.env.PROPERTY_RUNS ?? 0) || 0;
export function runs(base: number): number {
  return RUNS > 0 ? RUNS : base;
}
/** Runs of the slower properties against a server: a fifth of the long run, at least `base`. */
export function serverRuns(base: number): number {
  return RUNS > 0 ? Math.max(base, Math.floor(RUNS / 5)) : base;
}

/**
 * A test that shows a known bug of the core: \`it.fails\` (it passes while the bug is there and
 * fails once it is fixed: then turn it into \`it\`). \`SHOW_BUGS=1\` runs these as plain tests, to
 * print each bug's failure.
 */
export const bug = (process.env.SHOW_BUGS ? it : it.fails) as typeof it.fails;

/** Per-test timeout: generous for a long run. */
export const TIMEOUT = RUNS > 0 ? 900_000 : 30_000;

/** Fixed seed unless FC_SEED is set, so a failure printed by the CI replays. */
export const SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined;

// ---------------------------------------------------------------------------------------------
// Ids and prefixes

/** uid-safe(24): what express-session's default genid and @fastify/session produce. */
export const uidSafe24 = fc
  .uint8Array({ minLength: 24, maxLength: 24 })
  .map((bytes) => Buffer.from(bytes).toString('base64url'));

/** The same shape, biased towards the characters that need care ('-' and '_'). */
export const uidSafeWithSeparators = fc
  .array(fc.constantFrom('-', '_', 'A', 'z', '0', '9'), { minLength: 32, maxLength: 32 })
  .map((chars) => chars.join(''));

/** koa-session's default genid (a v4 uuid), bare or with its own `prefix` option. */
export const koaId = fc.oneof(
  fc.uuid({ version: 4 }),
  fc.uuid({ version: 4 }).map((uuid) => `koa:sess:${uuid}`),
  fc
    .tuple(fc.constantFrom('koa:', 'koa-sess-', 'koa/sess/', 'k.'), fc.uuid({ version: 4 }))
    .map(([prefix, uuid]) => prefix + uuid),
);

/** Ids any of the three frameworks generates. */
export const frameworkId = fc.oneof(uidSafe24, uidSafeWithSeparators, koaId);

/** Any string the repository must accept as an id (non-empty, no control, well-formed). */
export const arbitraryValidId = fc
  .string({
    unit: fc.oneof(
      fc.constantFrom('-', ':', '/', '.', '_', '\ufffd', '%'),
      fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }),
      fc
        .nat({ max: 0x10ffff })
        .filter((point) => point < 0xd800 || point > 0xdfff)
        .map((point) => String.fromCodePoint(point)),
    ),
    minLength: 1,
    maxLength: 40,
  })
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are excluded ids
  .filter((id) => !/[\u0000-\u001f\u007f]/.test(id));

export const anyId = fc.oneof(frameworkId, arbitraryValidId);

export const SEPARATORS = ['', '-', '_', ':', '/', '.', 'x'] as const;

/** A store prefix: empty, or a stem ending in a separator or a letter. */
export const prefixArb = fc.oneof(
  fc.constant(''),
  fc
    .tuple(fc.constantFrom('sess', 'app', 'a', 'koa:sess', 'x/y'), fc.constantFrom(...SEPARATORS))
    .map(([stem, separator]) => stem + separator),
);

// ---------------------------------------------------------------------------------------------
// Configurations

export const KEY_A = Buffer.alloc(32, 7).toString('base64');
export const KEY_B = Buffer.alloc(32, 9).toString('base64');
export const ENCRYPTION = { keys: [{ id: 'k1', key: KEY_A }] };

export interface Layout {
  serializer: 'json' | 'map';
  hashSessionIds: boolean;
  encryption: boolean;
  compression: undefined | 'gzip' | 'brotli';
}

/** Layouts the options schema accepts (compression and encryption need the json serializer). */
export const layoutArb: fc.Arbitrary<Layout> = fc
  .record({
    serializer: fc.constantFrom('json' as const, 'map' as const),
    hashSessionIds: fc.boolean(),
    encryption: fc.boolean(),
    compression: fc.constantFrom(undefined, 'gzip' as const, 'brotli' as const),
  })
  .map((layout) =>
    layout.serializer === 'map' ? { ...layout, encryption: false, compression: undefined } : layout,
  );

/** The repository options of a layout. */
export function layoutOptions(layout: Layout) {
  return {
    serializer: layout.serializer,
    hashSessionIds: layout.hashSessionIds,
    ...(layout.encryption && { encryption: ENCRYPTION }),
    ...(layout.compression && {
      compression: { algorithm: layout.compression, thresholdBytes: 0 },
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// Tables on the local servers

export const USER_INDEX = 'userId-index';

/** A sessions table keyed by `id` with a GSI on userId (S), on the server behind `client`. */
export async function createIndexedTable(
  client: DynamoDBClient,
  label = 'attack',
): Promise<string> {
  const table = uniqueTableName(label);
  await client.send(
    new CreateTableCommand({
      TableName: table,
      AttributeDefinitions: [
        { AttributeName: 'id', AttributeType: 'S' },
        { AttributeName: 'userId', AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: USER_INDEX,
          KeySchema: [{ AttributeName: 'userId', KeyType: 'HASH' }],
          // as createSessionTable makes it: the filter of destroyByAttribute needs the expiry
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['expires'] },
        },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await waitUntilActive(client, table);
  return table;
}

export async function putRaw(client: DynamoDBClient, table: string, item: Item): Promise<void> {
  await client.send(new PutItemCommand({ TableName: table, Item: item }));
}

// ---------------------------------------------------------------------------------------------
// Envelopes

export const MAGIC = Buffer.from('DSE1');
export const FLAG_GZIP = 1;
export const FLAG_BROTLI = 2;
export const FLAG_ENCRYPTED = 4;

/** A sealed-session envelope with `flags` around `payload`. */
export function envelope(flags: number, payload: Uint8Array): Uint8Array {
  return Buffer.concat([MAGIC, Buffer.from([flags]), payload]);
}

/** Brotli of 1 GiB of zeros (809 bytes). */
export const BROTLI_GIB_OF_ZEROS = Buffer.from(
  'z///fwAkAOKxQHLv//n//w+ABEAcFoDu/T////8BkACIwwLQvf/n//8/ABIAcVgAuvf//P//B0ACIA4LQPf+n////wBIAMRhAeje//P//x8ACYA4LADd+3/+//8DIAEQhwWge//P//9/ACQA4rAAdO//+f//D4AEQBwWgO79P////wGQAIjDAtC9/+f//z8AEgBxWAC69//8//8HQAIgDgtA9/6f////AEgAxGEB6N7/8///HwAJgDgsAN37f/7//wMgARCHBaB7/8///38AJADisAB07//5//8PgARAHBaA7v0/////AZAAiMMC0L3/5///PwASAHFYALr3//z//wdAAiAOC0D3/p////8ASADEYQHo3v/z//8fAAmAOCwA3ft//v//AyABEIcFoHv/z///fwAkAOKwAHTv//n//w+ABEAcFoDu/T////8BkACIwwLQvf/n//8/ABIAcVgAuvf//P//B0ACIA4LQPf+n////wBIAMRhAeje//P//x8ACYA4LADd+3/+//8DIAEQhwWge//P//9/ACQA4rAAdO//+f//D4AEQBwWgO79P////wGQAIjDAtC9/+f//z8AEgBxWAC69//8//8HQAIgDgtA9/6f////AEgAxGEB6N7/8///HwAJgDgsAN37f/7//wMgARCHBaB7/8///38AJADisAB07//5//8PgARAHBaA7v0/////AZAAiMMC0L3/5///PwASAHFYALr3//z//wdAAiAOC0D3/p////8ASADEYQHo3v/z//8fAAmAOCwA3ft//v//AyABEIcFoHv/z///fwAkAOKwAHTv//n//w+ABEAcFoDu/T////8BkACIwwLQvf/n//8/ABIAcVgAuvf//P//B0ACIA4LQPf+n////wBIAMRhAeje//P//x8ACYA4LADd+3/+//8DIAEQhwWge//P//9/ACQA4rAAdO//+f//D4AEQBwWgO79P////wGQAIjDAtC9/+f//z8AEgBxWAC69//8//8HQAIgDgtA9/6f////AEgAxGEB6N7/8///HwAJgDgsAN37f/7//wMgARCHBaB7/z8=',
  'base64',
);

/** Gzip of 256 MiB of zeros (261 KB, it fits an item), stored brotli-compressed here. */
export const GZIP_256_MIB_OF_ZEROS = brotliDecompressSync(
  Buffer.from(
    'W0X7A95IjGMoH2ktYlkjVDoEccxfF0VT0TgaaOPdzgcYSS0yHo3WNrCwnVdQZRUUjlNOW4SBY0QS4e0HwfARa0AAcfu/PQBwduQACEXHtUAA1Ia/8VmuZA33AKC2b4oEAK7/NjsF9wCgqNOKAWqfgjWB2pH0DO4BwL1aEufJ8j7EObgHAJv/xJAjf5oDu5cAjOjb2euf/0k4SLYKTcta/wg=',
    'base64',
  ),
);

// ---------------------------------------------------------------------------------------------
// Errors and logs

/** Everything a logger was handed, and every error reported to onError. */
export function captureDiagnostics() {
  const lines: unknown[] = [];
  const reported: SessionStoreError[] = [];
  return {
    logger: {
      debug(message: string, details?: Record<string, unknown>) {
        lines.push({ message, details });
      },
    },
    onError: (error: SessionStoreError) => {
      reported.push(error);
    },
    lines,
    reported,
    text(): string {
      return JSON.stringify({
        lines,
        reported: reported.map((error) => ({ code: error.code, message: error.message })),
      });
    },
  };
}

/** The rejection of `promise` (fails when it resolves). */
export async function rejection(promise: Promise<unknown> | (() => unknown)): Promise<unknown> {
  try {
    if (typeof promise === 'function') await promise();
    else await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, but the call succeeded');
}

export function isStoreError(error: unknown, code?: string): error is SessionStoreError {
  return error instanceof SessionStoreError && (code === undefined || error.code === code);
}

let counter = 0;
/** A unique, readable id for a focused test. */
export function uniqueId(label = 'attack'): string {
  counter += 1;
  return `${label}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

// ---------------------------------------------------------------------------------------------
// Backends: the memory repository and each local server, behind one interface

/** Where a test's repositories keep their items, and raw access to that storage. */
export interface Backend {
  readonly name: string;
  /** A repository over this backend's table (or memory storage) with `options`. */
  repo(options?: Omit<MemorySessionRepositoryOptions, 'storage' | 'client'>): SessionRepository;
  /** Writes `item` as is, bypassing the repository (another writer, or an attacker). */
  put(item: Item): Promise<void>;
  /** The item stored under table key `key`, as is. */
  raw(key: string): Promise<Item | undefined>;
  /** Every key in the table (or storage). */
  allKeys(): Promise<string[]>;
}

/** The names of the local servers of this run. */
export function testServerNames(): string[] {
  return testServers().map((server) => server.name);
}

/** `'memory'`, and the name of every local server of this run. */
export function backendNames(): string[] {
  return ['memory', ...testServers().map((server) => server.name)];
}

/**
 * The backend `name` for the calling describe block: a fresh memory storage, or a client and a
 * table with the userId index of its own on that server (created in beforeAll). With `fresh`,
 * `reset()` gives it a new empty storage or table (for the empty prefix, which sees them all).
 */
export function useBackend(name: string): Backend & { reset(): Promise<void> } {
  if (name === 'memory') {
    let storage = new MemorySessionStorage();
    return {
      name,
      repo: (options = {}) => createMemoryRepository({ ...options, storage }),
      put: async (item) => storage.put(item.id?.S ?? '', item),
      raw: async (key) => storage.get(key),
      allKeys: async () => storage.keys(),
      reset: async () => {
        storage = new MemorySessionStorage();
      },
    };
  }
  const server = testServers().find((candidate) => candidate.name === name) as TestServer;
  const client = localClient(server.endpoint);
  let table = '';
  const tables: string[] = [];
  beforeAll(async () => {
    table = await createIndexedTable(client);
    tables.push(table);
  }, 60_000);
  afterAll(async () => {
    for (const created of tables) await dropTable(client, created);
    client.destroy();
  });
  return {
    name,
    repo: (options = {}) => {
      const { now: _now, ...rest } = options;
      return new SessionRepository({ ...rest, client, table });
    },
    put: (item) => putRaw(client, table, item),
    raw: async (key) =>
      (
        await client.send(
          new GetItemCommand({ TableName: table, Key: { id: { S: key } }, ConsistentRead: true }),
        )
      ).Item,
    allKeys: async () => {
      const keys: string[] = [];
      let start: Item | undefined;
      do {
        const page = await client.send(
          new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }),
        );
        for (const item of page.Items ?? []) keys.push(item.id?.S ?? '');
        start = page.LastEvaluatedKey;
      } while (start);
      return keys;
    },
    reset: async () => {
      table = await createIndexedTable(client);
      tables.push(table);
    },
  };
}
