import { SessionStoreError } from '../errors';
import type { SessionRepositoryOptions } from '../options';
import type { SessionData } from '../session-data';
import { SessionRepository } from '../session-repository';
import { MemoryDriver } from './memory-driver';
import { MemorySessionStorage } from './memory-session-storage';

/** Options of a {@link MemorySessionRepository}: the DynamoDB repository's, and a clock. */
export interface MemorySessionRepositoryOptions extends SessionRepositoryOptions {
  /**
   * The clock, in epoch milliseconds, read on every call: move it to test expiry without
   * sleeping. Default `Date.now()`, read each time, so fake timers move it too.
   */
  now?: () => number;
  /**
   * Where the sessions live. Share one between repositories with different prefixes, as stores
   * share a table. Default: a new, empty storage.
   */
  storage?: MemorySessionStorage;
}

/**
 * Sessions in memory, for an app's own tests: the one {@link SessionRepository} over a memory
 * driver, with a clock of your own. No DynamoDB, no network; everything else is the same code
 * (the contract suite runs against both): options validated by the same schema, items encoded
 * and read back as DynamoDB would hold them (Dates come back as ISO strings), the same
 * conditions, `metrics()` counting the DynamoDB requests the same calls send. Options about the
 * connection (`client`, `region`, `endpoint`...) are accepted and unused; table management
 * (`createTable`...) is DynamoDB's alone.
 */
export class MemorySessionRepository<
  Data extends object = SessionData,
> extends SessionRepository<Data> {
  /** The items, in DynamoDB's layout; pass it to another repository to share it. */
  readonly storage: MemorySessionStorage;

  constructor(options: MemorySessionRepositoryOptions = {}) {
    const { now, storage = new MemorySessionStorage(), ...repositoryOptions } = options;
    if (now !== undefined && typeof now !== 'function') {
      throw new SessionStoreError('INVALID_OPTIONS', 'option "now" must be a function');
    }
    if (!(storage instanceof MemorySessionStorage)) {
      throw new SessionStoreError(
        'INVALID_OPTIONS',
        'option "storage" must be a MemorySessionStorage',
      );
    }
    const {
      client: _client,
      clientConfig: _config,
      region: _region,
      endpoint: _endpoint,
      ...layout
    } = repositoryOptions;
    super(layout, {
      driver: (metrics) =>
        new MemoryDriver(
          storage,
          {
            hashKey: layout.hashKey ?? 'id',
            expiresAttribute: layout.expiresAttribute ?? 'expires',
          },
          metrics,
        ),
      now: now ?? (() => Date.now()),
    });
    this.storage = storage;
  }

  /** Table management is DynamoDB's alone: rejects with `UNSUPPORTED`. */
  override createTable(): Promise<never> {
    return Promise.reject(unsupported('createTable'));
  }

  /** Table management is DynamoDB's alone: rejects with `UNSUPPORTED`. */
  override tableStatus(): Promise<never> {
    return Promise.reject(unsupported('tableStatus'));
  }

  /** Table management is DynamoDB's alone: rejects with `UNSUPPORTED`. */
  override describeTable(): Promise<never> {
    return Promise.reject(unsupported('describeTable'));
  }
}

function unsupported(call: string): SessionStoreError {
  return new SessionStoreError(
    'UNSUPPORTED',
    `${call}() needs DynamoDB; the memory repository has no table`,
  );
}

/** A {@link MemorySessionRepository}: `createMemoryRepository({ now: () => clock })`. */
export function createMemoryRepository<Data extends object = SessionData>(
  options?: MemorySessionRepositoryOptions,
): MemorySessionRepository<Data> {
  return new MemorySessionRepository<Data>(options);
}
