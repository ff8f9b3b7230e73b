import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SessionRepository } from '@dynamodb-session/core';
import { LOCAL_CLIENT_CONFIG } from '@dynamodb-session/test-support';
import { CannedHandler, type SessionFixture, sessionId, sessionOfSize } from './fixtures';
import { PREFIX } from './local-table';
import { markdownTable } from './markdown';
import { type Spread, spread, verdict } from './stats';
import { OPERATIONS, type OperationName, storeOperations } from './store-implementations';

/** The clients compared for CPU per call. */
export const CPU_VARIANTS = [
  'raw SDK, default client',
  'raw SDK, cacheMiddleware',
  'dynamodb-session',
  'connect-dynamodb',
] as const;
export type CpuVariant = (typeof CPU_VARIANTS)[number];

/** Settings of the CPU benchmark. */
export interface CpuSettings {
  /** Calls of each operation per round. */
  operations: number;
  rounds: number;
  /** Iterations of the `toItem()` / `parseItem()` loops. */
  ownWorkIterations: number;
  log: (line: string) => void;
}

/** Microseconds of CPU (user + system) per call, by variant and operation. */
export interface CpuResult {
  perCall: Record<CpuVariant, Record<OperationName | 'mean', Spread>>;
  /** The store's own work for a 1 KB session, µs per call. */
  ownWork: Record<'toItem' | 'parseItem', Spread>;
  /**
   * µs of a framework's write through the public API on the fake client with `cacheMiddleware`:
   * `get()`, then `save()` of the data changed (the read's fingerprint, the comparison, the write).
   */
  frameworkWrite: Spread;
  /**
   * µs per operation through the public API on a fake client that answers at once (no SDK),
   * by fake client kind and implementation (`dynamodb-session` or `raw SDK` commands).
   */
  perOperation: Record<FakeClientKind, Record<'dynamodb-session' | 'raw SDK', OperationSpreads>>;
  ownWorkIterations: number;
  operations: number;
  rounds: number;
}

/** Target: the client CPU per operation of dynamodb-session ≤ 0.85× a raw default SDK call. */
export const CPU_RATIO_TARGET = 0.85;
/** Target: the store's own work per operation ≤ 5 µs for a 1 KB session, fingerprint included. */
export const OWN_WORK_TARGET_US = 5;

/**
 * The fake clients of the own-work benchmark: `cacheMiddleware` says `true` in its config, as a
 * client the store builds or one from `createDynamoDBClient()` does (no per-call signal), or
 * nothing, as a plain client (the repository then passes an abort signal with every call).
 */
export const FAKE_CLIENT_KINDS = ['cacheMiddleware client', 'plain client'] as const;
export type FakeClientKind = (typeof FAKE_CLIENT_KINDS)[number];
type OperationSpreads = Record<OperationName | 'mean', Spread>;

/**
 * Measures `process.cpuUsage()` over many serial calls of each operation, on clients whose
 * request handler answers a canned response without network ({@link CannedHandler}), so only
 * the client side (the SDK's middleware stack, serialization, signing, parsing, and the
 * store's own work) is counted. Variants alternate order each round.
 */
export async function runCpuBenchmark(settings: CpuSettings): Promise<CpuResult> {
  const session = sessionOfSize(1024, 1);
  const ttl = Math.ceil(Date.parse(session.cookie.expires) / 1000);
  const item = {
    id: { S: `${PREFIX}${sessionId(1)}` },
    expires: { N: String(ttl) },
    sess: { S: JSON.stringify(session) },
  };
  const handler = new CannedHandler({
    GetItem: { Item: item },
    UpdateItem: { Attributes: { expires: { N: String(ttl) } } },
  });
  const table = 'bench-cpu';
  const config = { ...LOCAL_CLIENT_CONFIG, requestHandler: handler };
  const build = (variant: CpuVariant) => {
    if (variant === 'dynamodb-session') {
      return storeOperations(variant, undefined as never, table, config);
    }
    const client = new DynamoDBClient(
      variant === 'raw SDK, cacheMiddleware' ? { ...config, cacheMiddleware: true } : config,
    );
    return storeOperations(variant === 'connect-dynamodb' ? variant : 'raw SDK', client, table);
  };
  const stores = Object.fromEntries(CPU_VARIANTS.map((variant) => [variant, build(variant)]));
  const samples = new Map<string, number[]>();
  const id = sessionId(1);
  for (let round = -1; round < settings.rounds; round++) {
    const order = [
      ...CPU_VARIANTS.slice(Math.max(0, round)),
      ...CPU_VARIANTS.slice(0, Math.max(0, round)),
    ];
    for (const variant of order) {
      const store = stores[variant];
      if (!store) continue;
      for (const operation of OPERATIONS) {
        const count = round < 0 ? Math.min(2000, settings.operations) : settings.operations;
        globalThis.gc?.();
        const before = process.cpuUsage();
        for (let index = 0; index < count; index++) {
          await store[operation](id, session as SessionFixture);
        }
        const used = process.cpuUsage(before);
        if (round < 0) continue;
        const key = `${variant}|${operation}`;
        samples.set(key, [...(samples.get(key) ?? []), (used.user + used.system) / count]);
      }
    }
    if (round >= 0) settings.log(`cpu: round ${round + 1} of ${settings.rounds}`);
  }
  const perCall = {} as CpuResult['perCall'];
  for (const variant of CPU_VARIANTS) {
    const byOperation = {} as Record<OperationName | 'mean', Spread>;
    const means: number[] = [];
    for (const operation of OPERATIONS) {
      const values = samples.get(`${variant}|${operation}`) ?? [];
      byOperation[operation] = spread(values);
    }
    for (let round = 0; round < settings.rounds; round++) {
      means.push(
        OPERATIONS.reduce(
          (sum, operation) => sum + (samples.get(`${variant}|${operation}`)?.[round] ?? 0),
          0,
        ) / OPERATIONS.length,
      );
    }
    byOperation.mean = spread(means);
    perCall[variant] = byOperation;
  }
  const repository = new SessionRepository({ table, client: new DynamoDBClient(config) });
  const expiry = new Date(session.cookie.expires);
  const stored = repository.toItem(id, session, expiry);
  const ownWork = {
    toItem: spread(
      timeLoop(settings.rounds, settings.ownWorkIterations, () =>
        repository.toItem(id, session, expiry),
      ),
    ),
    parseItem: spread(
      timeLoop(settings.rounds, settings.ownWorkIterations, () => repository.parseItem(stored)),
    ),
  };
  const perOperation = await measurePerOperation(settings, item, ttl);
  const frameworkWrite = await measureFrameworkWrite(settings, item);
  return {
    perCall,
    ownWork,
    frameworkWrite,
    perOperation,
    operations: settings.operations,
    rounds: settings.rounds,
    ownWorkIterations: settings.ownWorkIterations,
  };
}

/**
 * The store's own work per operation: `get`, `set`, `touch` and `destroy` of a 1 KB session
 * through the public API (`SessionRepository` via `storeOperations`) on a fake client whose
 * `send` resolves a canned output at once, beside the same calls as raw SDK commands on the same
 * fake client (command objects, `JSON.stringify` / `JSON.parse` of the session). No SDK
 * middleware, serialization or signing runs: what is left is the store's own work (key, item,
 * expiry, size check, fingerprint, timeout bound, metrics).
 */
async function measurePerOperation(
  settings: CpuSettings,
  item: Record<string, { S: string } | { N: string }>,
  ttl: number,
): Promise<CpuResult['perOperation']> {
  const outputs: Record<string, unknown> = {
    GetItemCommand: { Item: item },
    UpdateItemCommand: { Attributes: { expires: { N: String(ttl) } } },
  };
  const iterations = Math.max(1_000, Math.round(settings.ownWorkIterations / 10));
  const result = {} as CpuResult['perOperation'];
  for (const kind of FAKE_CLIENT_KINDS) {
    const fake = {
      config: kind === 'cacheMiddleware client' ? { cacheMiddleware: true } : {},
      send: (command: object) => Promise.resolve(outputs[command.constructor.name] ?? {}),
      destroy: () => {},
    };
    const byImplementation = {} as CpuResult['perOperation'][FakeClientKind];
    for (const implementation of ['dynamodb-session', 'raw SDK'] as const) {
      const store = storeOperations(implementation, fake as never, 'bench-own-work');
      const sessions = Array.from({ length: 64 }, (_, index) => sessionOfSize(1024, index));
      const ids = sessions.map((_, index) => sessionId(index));
      const samples = new Map<OperationName, number[]>();
      for (let round = -1; round < settings.rounds; round++) {
        for (const operation of OPERATIONS) {
          const count = round < 0 ? Math.min(iterations, 5_000) : iterations;
          const started = process.cpuUsage();
          for (let index = 0; index < count; index++) {
            const which = index & 63;
            await store[operation](ids[which] as string, sessions[which] as SessionFixture);
          }
          const micros = cpuMicros(started) / count;
          if (round >= 0) samples.set(operation, [...(samples.get(operation) ?? []), micros]);
        }
      }
      const spreads = {} as OperationSpreads;
      for (const operation of OPERATIONS) spreads[operation] = spread(samples.get(operation) ?? []);
      spreads.mean = spread(
        Array.from(
          { length: settings.rounds },
          (_, round) =>
            OPERATIONS.reduce((sum, operation) => sum + (samples.get(operation)?.[round] ?? 0), 0) /
            OPERATIONS.length,
        ),
      );
      byImplementation[implementation] = spreads;
    }
    result[kind] = byImplementation;
  }
  return result;
}

/**
 * `get()` then `save()` of the session with one field changed, through the public API on a fake
 * client with `cacheMiddleware` whose `send` answers at once: µs of CPU per pair.
 */
async function measureFrameworkWrite(
  settings: CpuSettings,
  item: Record<string, { S: string } | { N: string }>,
): Promise<Spread> {
  const fake = {
    config: { cacheMiddleware: true },
    send: (command: object) =>
      Promise.resolve(command.constructor.name === 'GetItemCommand' ? { Item: item } : {}),
    destroy: () => {},
  };
  const repository = new SessionRepository({ table: 'bench-own-work', client: fake as never });
  const id = sessionId(1);
  const iterations = Math.max(1_000, Math.round(settings.ownWorkIterations / 10));
  const samples: number[] = [];
  for (let round = -1; round < settings.rounds; round++) {
    const started = process.cpuUsage();
    for (let index = 0; index < iterations; index++) {
      const data = (await repository.get(id)) as SessionFixture;
      data.views = index;
      await repository.save(id, data, new Date(data.cookie.expires));
    }
    if (round >= 0) samples.push(cpuMicros(started) / iterations);
  }
  return spread(samples);
}

/** The result as markdown tables with the targets. */
export function cpuMarkdown(result: CpuResult): string {
  const us = (value: Spread) =>
    `${value.median.toFixed(1)} [${value.min.toFixed(1)}–${value.max.toFixed(1)}]`;
  const baseline = result.perCall['raw SDK, default client'];
  const ratio = (variant: CpuVariant) => result.perCall[variant].mean.median / baseline.mean.median;
  const ours = ratio('dynamodb-session');
  const ownTotal = result.ownWork.toItem.median + result.ownWork.parseItem.median;
  const cached = result.perOperation['cacheMiddleware client']['dynamodb-session'];
  const worstOperation = OPERATIONS.map((operation) => ({
    operation,
    micros: cached[operation].median,
  })).sort((a, b) => b.micros - a.micros)[0] ?? { operation: 'get', micros: 0 };
  const plain = result.perOperation['plain client']['dynamodb-session'];
  const plainWorst = Math.max(...OPERATIONS.map((operation) => plain[operation].median));
  return [
    `CPU µs per call (user + system), median [min–max] of ${result.rounds} rounds of ${result.operations} serial calls of each operation; transport stubbed with a canned response.`,
    markdownTable(
      ['client', ...OPERATIONS, 'mean of the four', 'vs raw default SDK'],
      CPU_VARIANTS.map((variant) => [
        variant,
        ...OPERATIONS.map((operation) => us(result.perCall[variant][operation])),
        us(result.perCall[variant].mean),
        `${ratio(variant).toFixed(2)}×`,
      ]),
    ),
    'The store’s own work for a 1 KB session (CPU µs per call, user + system, in a tight loop; no SDK involved):',
    markdownTable(
      ['function', 'µs per call'],
      [
        ['repository.toItem() (serialize, key, expiry, size check)', us(result.ownWork.toItem)],
        ['repository.parseItem() (parse, expiry checks)', us(result.ownWork.parseItem)],
      ],
    ),
    `A framework's write of a 1 KB session, \`get()\` then \`save()\` of the data with one field changed, through the public API on the fake client with \`cacheMiddleware\` described below (the read's fingerprint, the comparison with it, the conditional write): ${us(result.frameworkWrite)} CPU µs per pair.`,
    `Own work per operation, 1 KB session, through the public API on a fake client that resolves a canned output at once (no SDK code runs): CPU µs per operation (user + system, of ${Math.max(1_000, Math.round(result.ownWorkIterations / 10))} serial awaited calls, ${result.rounds} rounds, median [min–max]). “raw SDK commands” builds the same commands by hand (with \`JSON.stringify\` / \`JSON.parse\` of the session) on the same fake client; “difference” is what the store adds to that.`,
    markdownTable(
      ['fake client', 'implementation', ...OPERATIONS, 'mean of the four'],
      FAKE_CLIENT_KINDS.flatMap((kind) => {
        const ours = result.perOperation[kind]['dynamodb-session'];
        const raw = result.perOperation[kind]['raw SDK'];
        return [
          [
            kind,
            'dynamodb-session',
            ...OPERATIONS.map((operation) => us(ours[operation])),
            us(ours.mean),
          ],
          [
            kind,
            'raw SDK commands',
            ...OPERATIONS.map((operation) => us(raw[operation])),
            us(raw.mean),
          ],
          [
            kind,
            'difference',
            ...OPERATIONS.map((operation) =>
              (ours[operation].median - raw[operation].median).toFixed(1),
            ),
            (ours.mean.median - raw.mean.median).toFixed(1),
          ],
        ];
      }),
    ),
    markdownTable(
      ['target', 'measured', 'result'],
      [
        [
          `own work per operation ≤ ${OWN_WORK_TARGET_US} µs (1 KB session, fingerprint included), cacheMiddleware client`,
          `slowest: ${worstOperation.operation} ${worstOperation.micros.toFixed(2)} µs`,
          verdict(worstOperation.micros <= OWN_WORK_TARGET_US),
        ],
        [
          `own work per operation ≤ ${OWN_WORK_TARGET_US} µs, plain client`,
          `slowest: ${plainWorst.toFixed(2)} µs`,
          verdict(plainWorst <= OWN_WORK_TARGET_US),
        ],
        [
          `client CPU per op ≤ ${CPU_RATIO_TARGET}× a raw default SDK call`,
          `${ours.toFixed(2)}×`,
          verdict(ours <= CPU_RATIO_TARGET),
        ],
        [
          `toItem + parseItem < ${OWN_WORK_TARGET_US} µs`,
          `${ownTotal.toFixed(2)} µs`,
          verdict(ownTotal < OWN_WORK_TARGET_US),
        ],
      ],
    ),
  ].join('\n\n');
}

function timeLoop(rounds: number, iterations: number, run: () => unknown): number[] {
  for (let index = 0; index < Math.min(iterations, 5000); index++) run();
  const results: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const started = process.cpuUsage();
    for (let index = 0; index < iterations; index++) run();
    results.push(cpuMicros(started) / iterations);
  }
  return results;
}

/**
 * CPU µs (user + system) of this process since `started`: unlike wall time, it does not count
 * the time the process waited for a core, which other processes on a shared machine take.
 */
function cpuMicros(started: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(started);
  return used.user + used.system;
}
