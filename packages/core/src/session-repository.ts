import { randomUUID } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Item } from './conditions';
import { conflictError, lockTimeoutError, SessionStoreError } from './errors';
import { type SessionExpiry, sessionExpiryMs, toTtlSeconds } from './expiry';
import { LockQueue, type LockTurn } from './lock-queue';
import type { ResolvedSessionRepositoryOptions, SessionRepositoryOptions } from './options';
import { type RecentSession, refreshCanWait } from './recent-sessions';
import { RepositoryBase, type RepositoryStorage, type SessionItem } from './repository-base';
import { SessionConditions } from './session-conditions';
import type { SessionData } from './session-data';
import {
  cookieKeyOf,
  type ExpiryFields,
  fingerprintOf,
  withExpiryFields,
} from './session-fingerprint';
import { sessionIdProblem } from './session-key';
import {
  HeldSession,
  type LockedOperations,
  type RefreshOutcome,
  type SaveOptions,
  type SaveOutcome,
  type SessionLock,
} from './session-lock';
import { loggedSessionId } from './session-logger';

export { DESTROYED_SESSION_KEPT_MS } from './item-codec';

/** A data attribute in its plain form, with its fingerprint when it was taken already. */
interface PlainForm {
  value: AttributeValue;
  fingerprint?: string;
}

export type { RepositoryStorage, SessionErrorListener, SessionItem } from './repository-base';
export type { RefreshOutcome, SaveOptions, SaveOutcome } from './session-lock';

/**
 * Sessions in one DynamoDB table (or another storage driver): a promise-based, framework-free
 * repository. A missing, expired or unreadable session is `null`, never an error; every failure
 * of the storage rejects with a {@link SessionStoreError}. The constructor validates the options
 * and makes no network call.
 */
export class SessionRepository<Data extends object = SessionData> extends RepositoryBase<Data> {
  readonly #conditions: SessionConditions;
  /**
   * Whether the expiry fields a save puts back are the session's expiry and the serializer's
   * view of the data: the default `dataExpiry`, a built-in serializer (a custom one may store
   * what a cookie's `toJSON` leaves out). Otherwise a save compares the data as it is.
   */
  readonly #expiryFieldsKnown: boolean;
  readonly #queue: LockQueue | undefined;
  readonly #locked: LockedOperations<Data>;

  constructor(options?: SessionRepositoryOptions, storage?: RepositoryStorage) {
    super(options, storage);
    this.#conditions = new SessionConditions(this.options);
    const { dataExpiry, serializer } = this.options;
    this.#expiryFieldsKnown = dataExpiry === undefined && typeof serializer === 'string';
    this.#queue = this.options.pessimisticLocking ? new LockQueue(this.now) : undefined;
    this.#locked = {
      save: (id, data, expiry, token) => this.#save(id, data, expiry, token),
      refresh: (id, expiry, token) => this.#refresh(id, expiry, token),
      release: (id, token) => this.#releaseLock(id, token),
      destroy: (id) => this.destroy(id),
    };
    this.log.write('repository created', () => ({
      table: this.options.table,
      prefix: this.options.prefix,
      ownsClient: this.options.client === undefined,
    }));
  }

  /** The item `set` would write for session `id`; throws when it is invalid or too large. */
  toItem(id: string, data: Data, expiry?: SessionExpiry | null): SessionItem {
    return this.codec.toItem(id, data, this.#expiresAt(expiry));
  }

  /** The session `id`, or `null` when it is missing, expired, unreadable or `id` is malformed. */
  async get(id: string): Promise<Data | null> {
    if (sessionIdProblem(this.options.prefix, id) !== undefined) return null;
    let item = await this.driver.get(this.codec.key(id));
    const legacy = item ? undefined : this.codec.legacyKey(id);
    if (legacy) item = await this.driver.get(legacy);
    const data = this.#read(id, item);
    this.log.write('get', () => ({ session: loggedSessionId(id), found: data !== null }));
    return data;
  }

  /**
   * Stores `data` as session `id` until `expiry` (default `defaultLifetimeMs` from now),
   * creating or replacing it, also where it was destroyed: for programs that manage sessions.
   * Frameworks' writes go through {@link save}, which never brings a destroyed session back.
   */
  async set(id: string, data: Data, expiry?: SessionExpiry | null): Promise<void> {
    this.#assertId(id);
    await this.#write(id, data, expiry, false);
  }

  /**
   * Stores `data` as session `id`, as a framework does at the end of a request, unless it was
   * destroyed since: then nothing is written (`missing`; `CONFLICT` with a locking option). Data
   * unchanged since this repository last read it only has its expiry refreshed; a save that
   * follows this repository's own write, without a read between, writes (another process may
   * have written since, and the save must win as the last write). The memory is per process:
   * of two concurrent requests of one process that read the same data, the one saving it
   * unchanged after the other wrote a change writes its copy over that change (across two
   * processes, the change stays), unless the framework, which tracks its request's data, says
   * so with `options.unchangedSinceRead`.
   */
  save(
    id: string,
    data: Data,
    expiry?: SessionExpiry | null,
    options?: SaveOptions,
  ): Promise<SaveOutcome> {
    return this.#save(id, data, expiry, undefined, options?.unchangedSinceRead === true);
  }

  /**
   * Moves the expiry of session `id` to `expiry` when the stored one lags by more than the
   * refresh window (`touchAfterMs`, at most a quarter of the lifetime); never recreates it.
   */
  async refresh(id: string, expiry?: SessionExpiry | null): Promise<RefreshOutcome> {
    if (sessionIdProblem(this.options.prefix, id) !== undefined) return 'missing';
    return this.#refresh(id, expiry, undefined);
  }

  /**
   * Moves the expiry of session `id` to `expiry` without rewriting its data. Resolves `false`,
   * and writes nothing, when there is no live session (missing, expired, destroyed, or an item
   * without data), or its item has no numeric TTL (this store always writes one; a `save`
   * gives it one). A session in the last second of its TTL counts as expired.
   */
  async touch(id: string, expiry?: SessionExpiry | null): Promise<boolean> {
    if (sessionIdProblem(this.options.prefix, id) !== undefined) return false;
    return this.#touch(id, expiry, undefined);
  }

  /**
   * Destroys session `id`, whether or not it exists. It leaves a tombstone (the key and an
   * expiry, no data) for {@link DESTROYED_SESSION_KEPT_MS}: a request that loaded the session
   * earlier cannot bring it back with `save` or `touch`, in any process.
   */
  async destroy(id: string): Promise<void> {
    if (sessionIdProblem(this.options.prefix, id) !== undefined) return;
    this.recent.markGone(id);
    const key = this.codec.key(id);
    await this.driver.put(this.codec.tombstone(key, this.now()));
    const legacy = this.codec.legacyKey(id);
    if (legacy) await this.driver.delete(legacy);
    this.log.write('destroy', () => ({ session: loggedSessionId(id) }));
  }

  /**
   * With `pessimisticLocking`: waits (at most `waitMs`) until no other request holds session
   * `id`, locks it for `leaseMs` and returns the hold: the data read and what the holder may do.
   * A missing session is not locked (`data: null`; its `save` creates it).
   */
  async lock(id: string): Promise<SessionLock<Data>> {
    const locking = this.options.pessimisticLocking;
    if (!locking || !this.#queue) {
      throw new SessionStoreError('INVALID_OPTIONS', 'lock() needs the pessimisticLocking option');
    }
    if (sessionIdProblem(this.options.prefix, id) !== undefined) {
      return new HeldSession<Data>(id, null, undefined, undefined, this.#locked);
    }
    const deadline = Date.now() + locking.waitMs;
    const turn = await this.#queue.enter(id, locking.waitMs, loggedSessionId(id));
    try {
      return await this.#acquire(id, turn, deadline);
    } catch (error) {
      turn.leave();
      throw error;
    }
  }

  async #save(
    id: string,
    data: Data,
    expiry: SessionExpiry | null | undefined,
    token: string | undefined,
    unchangedSinceRead = false,
  ): Promise<SaveOutcome> {
    this.#assertId(id);
    const recent = this.recent.recall(id);
    const [unchanged, plain] =
      recent === undefined
        ? [false, undefined]
        : unchangedSinceRead && sameCookie(data as SessionData, recent)
          ? [true, undefined]
          : this.#compare(data, recent);
    let outcome: SaveOutcome = 'missing';
    if (unchanged) outcome = await this.#refresh(id, expiry, token);
    else if (await this.#write(id, data, expiry, true, token, plain)) outcome = 'written';
    this.log.write('save', () => ({ session: loggedSessionId(id), unchanged, outcome }));
    return outcome;
  }

  #assertId(id: string): void {
    const problem = sessionIdProblem(this.options.prefix, id);
    if (problem !== undefined) throw new SessionStoreError('INVALID_SESSION_ID', problem);
  }

  /**
   * Whether `data` is what `recent` remembers as stored but for its expiry fields, and the plain
   * form of `data` when working that out gave it. Data that cannot be serialized is changed.
   */
  #compare(data: Data, recent: RecentSession): [boolean, PlainForm | undefined] {
    const { optimisticLocking, versionField } = this.options;
    if (recent.fingerprint === undefined) return [false, undefined];
    if (optimisticLocking && (data as SessionData)[versionField] !== recent.version) {
      return [false, undefined];
    }
    const comparable =
      recent.storedExpiry && this.#expiryFieldsKnown
        ? withExpiryFields(data as SessionData, recent.storedExpiry)
        : data;
    let value: AttributeValue;
    try {
      value = this.codec.plain(comparable);
    } catch {
      return [false, undefined];
    }
    const fingerprint = fingerprintOf(value);
    const plain = comparable === data ? { value, fingerprint } : undefined;
    return [fingerprint === recent.fingerprint, plain];
  }

  /**
   * Writes the item of a valid `id` (its data attribute from `plain` when the caller has it);
   * `false` when `onlyLive` and the session was destroyed meanwhile.
   */
  async #write(
    id: string,
    data: Data,
    expiry: SessionExpiry | null | undefined,
    onlyLive: boolean,
    token?: string,
    plain?: PlainForm,
  ): Promise<boolean> {
    let item: Item;
    try {
      plain ??= { value: this.codec.plain(data) };
      item = this.codec.toItem(id, data, this.#expiresAt(expiry), plain.value);
    } catch (error) {
      if (token !== undefined) await this.#releaseLock(id, token).catch(() => {});
      throw error;
    }
    const condition = this.#conditions.write(data, this.now(), token, onlyLive);
    if (!(await this.driver.put(item, condition))) {
      this.recent.forget(id);
      const { optimisticLocking, pessimisticLocking } = this.options;
      if (!optimisticLocking && !pessimisticLocking) return false;
      throw conflictError(loggedSessionId(id), pessimisticLocking !== undefined);
    }
    if (this.options.optimisticLocking) {
      const version = Number(item[this.options.versionAttribute]?.N);
      (data as SessionData)[this.options.versionField] = version;
    }
    const legacy = this.codec.legacyKey(id);
    if (legacy) await this.driver.delete(legacy);
    this.#remember(id, item, undefined, undefined, data as SessionData);
    return true;
  }

  async #refresh(
    id: string,
    expiry: SessionExpiry | null | undefined,
    token: string | undefined,
  ): Promise<RefreshOutcome> {
    const now = this.now();
    const expiresAt = sessionExpiryMs(expiry, this.options.defaultLifetimeMs, now);
    let outcome: RefreshOutcome = 'skipped';
    if (refreshCanWait(this.recent.recall(id), expiresAt, now, this.options.touchAfterMs)) {
      if (token !== undefined) await this.#releaseLock(id, token);
    } else {
      outcome = (await this.#touch(id, expiresAt, token)) ? 'refreshed' : 'missing';
    }
    this.log.write('refresh', () => ({ session: loggedSessionId(id), outcome }));
    return outcome;
  }

  async #touch(
    id: string,
    expiry: SessionExpiry | null | undefined,
    token: string | undefined,
  ): Promise<boolean> {
    const now = this.now();
    const ttl = toTtlSeconds(this.#expiresAt(expiry));
    const change = {
      set: { [this.options.expiresAttribute]: { N: String(ttl) } },
      remove: token === undefined ? [] : this.#lockAttributes(),
    };
    const condition = this.#conditions.touch(now, token);
    const legacy = this.codec.legacyKey(id);
    const touched =
      (await this.driver.update(this.codec.key(id), change, condition)) ??
      (legacy && (await this.driver.update(legacy, change, condition)));
    if (!touched) {
      this.recent.markGone(id);
      return false;
    }
    const recent = this.recent.recall(id);
    if (recent) this.recent.remember(id, { ...recent, ttlSeconds: ttl });
    return true;
  }

  async #acquire(id: string, turn: LockTurn, deadline: number): Promise<SessionLock<Data>> {
    const { leaseMs, waitMs, ownerAttribute, leaseAttribute } = this.options
      .pessimisticLocking as NonNullable<ResolvedSessionRepositoryOptions['pessimisticLocking']>;
    const key = this.codec.key(id);
    const token = randomUUID();
    const unlocked = (data: Data | null) => {
      turn.leave();
      return new HeldSession<Data>(id, data, undefined, undefined, this.#locked);
    };
    for (let attempt = 0; ; attempt++) {
      const now = this.now();
      const lease = {
        [ownerAttribute]: { S: token },
        [leaseAttribute]: { N: String(now + leaseMs) },
      };
      const locked = await this.driver.update(
        key,
        { set: lease },
        this.#conditions.lock(now),
        true,
      );
      if (locked) {
        const data = this.#read(id, locked);
        if (data === null) {
          await this.#releaseLock(id, token);
          return unlocked(null);
        }
        turn.startLease(leaseMs);
        return new HeldSession<Data>(id, data, token, turn, this.#locked);
      }
      const stored = await this.driver.get(key);
      if (!stored || this.codec.parse(stored, now).data === null) {
        const legacy = this.codec.legacyKey(id);
        return unlocked(legacy ? this.#read(id, await this.driver.get(legacy)) : null);
      }
      if (Date.now() >= deadline) throw lockTimeoutError(loggedSessionId(id), waitMs);
      const delay = Math.min(200, 20 * 2 ** attempt);
      await new Promise((resolve) => setTimeout(resolve, delay / 2 + Math.random() * (delay / 2)));
    }
  }

  async #releaseLock(id: string, token: string): Promise<void> {
    const condition = this.#conditions.lockedFor(token, this.now());
    await this.driver.update(this.codec.key(id), { remove: this.#lockAttributes() }, condition);
  }

  #lockAttributes(): string[] {
    const locking = this.options.pessimisticLocking;
    return locking ? [locking.ownerAttribute, locking.leaseAttribute] : [];
  }

  #read(id: string, item: Item | undefined): Data | null {
    const parsed = item ? this.parseStored(item, this.now()) : undefined;
    if (!item || !parsed?.data || !parsed.plain) {
      this.recent.markGone(id);
      return null;
    }
    this.#remember(
      id,
      item,
      { value: parsed.plain },
      parsed.storedExpiry,
      parsed.data as SessionData,
    );
    return parsed.data as Data;
  }

  /**
   * Remembers what `item` stores for session `id`: its TTL, version and expiry fields, and the
   * fingerprint of its data when it was read (`plain`); not after a write of this repository.
   */
  #remember(
    id: string,
    item: Item,
    plain: PlainForm | undefined,
    storedExpiry: ExpiryFields | undefined,
    data: SessionData,
  ): void {
    const ttlSeconds = this.codec.ttlOf(item);
    if (!this.recent.enabled || ttlSeconds === undefined) return;
    const { optimisticLocking, versionAttribute } = this.options;
    this.recent.remember(id, {
      fingerprint: plain && (plain.fingerprint ?? fingerprintOf(plain.value)),
      ttlSeconds,
      storedExpiry,
      version: optimisticLocking ? Number(item[versionAttribute]?.N ?? 0) : undefined,
      cookieKey: cookieKeyOf(data),
    });
  }

  #expiresAt(expiry: SessionExpiry | null | undefined): number {
    return sessionExpiryMs(expiry, this.options.defaultLifetimeMs, this.now());
  }
}

/** Whether `data`'s cookie, but for its expiry, is the one `recent` read or wrote. */
function sameCookie(data: SessionData, recent: RecentSession): boolean {
  const key = cookieKeyOf(data);
  return key !== undefined && key === recent.cookieKey;
}
