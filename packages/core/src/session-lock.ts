import { conflictError, SessionStoreError } from './errors';
import type { SessionExpiry } from './expiry';
import type { LockTurn } from './lock-queue';
import { fingerprintSession } from './recent-sessions';
import type { SessionData } from './session-data';
import { loggedSessionId } from './session-logger';

/** Opt-in pessimistic locking: one request at a time per session. */
export interface PessimisticLockingOptions {
  /** How long a lock holds without being released (a crashed holder frees it then). Default 10 000 ms. */
  leaseMs?: number;
  /** How long {@link SessionRepository.lock} waits for another request's lock before failing with `LOCK_TIMEOUT`. Default 5 000 ms. */
  waitMs?: number;
  /** Item attribute holding the holder's token. Default `"lockOwner"`. */
  ownerAttribute?: string;
  /** Item attribute holding the lease's end, epoch ms. Default `"lockExpires"`. */
  leaseAttribute?: string;
}

/** What a framework knows about the data it saves, for the repository's `save`. */
export interface SaveOptions {
  /**
   * The framework has tracked the data and knows it unchanged since the request loaded it, or
   * since its last save of it (@fastify/session's `isModified()`). When this process has read
   * or written the session before, and the data's `cookie` (which such tracking leaves out), but
   * for its expiry, is the one it last read or wrote, the save then only refreshes the expiry,
   * even if another request of this process wrote a change since, which a comparison with the
   * process's memory could not tell apart from this request's own change.
   */
  unchangedSinceRead?: boolean;
}

/** What {@link SessionLock.save} and the repository's `save` did. */
export type SaveOutcome = 'written' | RefreshOutcome;

/**
 * What a refresh did: `refreshed` (the expiry was written), `skipped` (the stored expiry was
 * recent enough, or the call came too late to matter), or `missing` (no live session; nothing
 * written).
 */
export type RefreshOutcome = 'refreshed' | 'skipped' | 'missing';

/**
 * A request's hold on one session, from {@link SessionRepository.lock}: the data it read and what
 * the holder may do. The first `save`, `refresh`, `destroy` or `release` ends the hold (a write
 * releases the table lock in the same request). After that, the handle's calls act as calls
 * without a lock: `refresh` and `release` do nothing, and a `save` of the data this handle
 * already wrote writes nothing (a framework's second, end-of-request save never undoes what the
 * next request wrote since). Once a locked save failed with `CONFLICT` (the lock was lost),
 * every later save of the handle fails with `CONFLICT` too, without writing.
 */
export interface SessionLock<Data extends object = SessionData> {
  /** The session id. */
  readonly id: string;
  /** The session as the locked read found it, or `null` (new, expired, destroyed, unreadable). */
  readonly data: Data | null;
  /**
   * Whether the handle still holds the table lock's token: no save, refresh, destroy or release
   * yet (after the lease, the table judges whether the token still holds).
   */
  readonly held: boolean;
  /** Writes `data` (or only the expiry, when unchanged) and ends the hold. */
  save(data: Data, expiry?: SessionExpiry | null): Promise<SaveOutcome>;
  /** Moves the expiry without rewriting the data and ends the hold. */
  refresh(expiry?: SessionExpiry | null): Promise<RefreshOutcome>;
  /** Destroys the session and ends the hold. */
  destroy(): Promise<void>;
  /** Ends the hold without writing. */
  release(): Promise<void>;
}

/** What a {@link HeldSession} asks of its repository. */
export interface LockedOperations<Data extends object> {
  /** A write by the holder of `token` (`undefined`: no lock held). */
  save(
    id: string,
    data: Data,
    expiry: SessionExpiry | null | undefined,
    token?: string,
  ): Promise<SaveOutcome>;
  refresh(
    id: string,
    expiry: SessionExpiry | null | undefined,
    token: string,
  ): Promise<RefreshOutcome>;
  release(id: string, token: string): Promise<void>;
  destroy(id: string): Promise<void>;
}

/** The {@link SessionLock} the repository hands out. */
export class HeldSession<Data extends object> implements SessionLock<Data> {
  readonly id: string;
  readonly data: Data | null;
  readonly #operations: LockedOperations<Data>;
  readonly #turn: LockTurn | undefined;
  #token: string | undefined;
  #written: string | undefined;
  #lost = false;

  constructor(
    id: string,
    data: Data | null,
    token: string | undefined,
    turn: LockTurn | undefined,
    operations: LockedOperations<Data>,
  ) {
    this.id = id;
    this.data = data;
    this.#token = token;
    this.#turn = turn;
    this.#operations = operations;
  }

  get held(): boolean {
    return this.#token !== undefined;
  }

  async save(data: Data, expiry?: SessionExpiry | null): Promise<SaveOutcome> {
    const token = this.#end();
    if (this.#lost) throw conflictError(loggedSessionId(this.id), true);
    const fingerprint = fingerprintSession(data as SessionData);
    if (token === undefined && fingerprint !== undefined && fingerprint === this.#written) {
      return 'skipped';
    }
    try {
      const outcome = await this.#operations.save(this.id, data, expiry, token);
      if (outcome === 'written' || token !== undefined) this.#written = fingerprint;
      return outcome;
    } catch (error) {
      const lockLost = error instanceof SessionStoreError && error.code === 'CONFLICT';
      if (token !== undefined && lockLost) this.#lost = true;
      throw error;
    } finally {
      this.#turn?.leave();
    }
  }

  async refresh(expiry?: SessionExpiry | null): Promise<RefreshOutcome> {
    const token = this.#end();
    if (token === undefined) return 'skipped';
    try {
      return await this.#operations.refresh(this.id, expiry, token);
    } finally {
      this.#turn?.leave();
    }
  }

  async destroy(): Promise<void> {
    this.#end();
    try {
      await this.#operations.destroy(this.id);
    } finally {
      this.#turn?.leave();
    }
  }

  async release(): Promise<void> {
    const token = this.#end();
    try {
      if (token !== undefined) await this.#operations.release(this.id, token);
    } finally {
      this.#turn?.leave();
    }
  }

  /** Ends the hold and returns the token it had, if it still had one. */
  #end(): string | undefined {
    const token = this.#token;
    this.#token = undefined;
    return token;
  }
}
