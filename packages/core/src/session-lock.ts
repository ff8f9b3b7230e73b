import { randomUUID } from 'node:crypto';
import { type AttributeValue, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { isConditionFailure, lockTimeoutError } from './errors';
import { type LockHold, LockHolders, type LockOwners } from './lock-holders';
import type { TableContext } from './table-context';

/** Opt-in pessimistic locking: one request at a time per session. */
export interface PessimisticLockingOptions {
  /** How long a lock holds without being released (a crashed holder frees it then). Default 10 000 ms. */
  leaseMs?: number;
  /** How long a read waits for another request's lock before failing with `LOCK_TIMEOUT`. Default 5 000 ms. */
  waitMs?: number;
  /** Item attribute holding the holder's token. Default `"lockOwner"`. */
  ownerAttribute?: string;
  /** Item attribute holding the lease's end, epoch ms. Default `"lockExpires"`. */
  expiresAttribute?: string;
}

type Item = Record<string, AttributeValue>;

/** A condition that only the lock's holder (or anyone once the lease ran out) satisfies. */
export interface HolderCondition {
  expression: string;
  names: Record<string, string>;
  values: Record<string, AttributeValue>;
}

/**
 * Leases on session items: `acquire` locks and reads an item in one conditional UpdateItem,
 * waiting (bounded) while another holder's lease runs; the holder's full writes carry
 * {@link heldCondition}, touches {@link holderCondition}, and both end the lease.
 */
export class SessionLocks {
  readonly #context: TableContext;
  readonly #leaseMs: number;
  readonly #waitMs: number;
  readonly owner: string;
  readonly expires: string;
  /** The requests of this process that hold or wait for a session's lock. */
  readonly holders: LockHolders;

  constructor(context: TableContext, options: Required<PessimisticLockingOptions>) {
    this.#context = context;
    this.#leaseMs = options.leaseMs;
    this.#waitMs = options.waitMs;
    this.owner = options.ownerAttribute;
    this.expires = options.expiresAttribute;
    this.holders = new LockHolders(this.#leaseMs, this.#waitMs);
  }

  /**
   * For a read of session `id` (its item under `key`): waits until no other request of this
   * process holds it, then locks and returns the item and the hold bound to `owners` (see
   * {@link LockHolders.lockedRead}).
   */
  lockAndRead(
    id: string,
    key: Item,
    owners: LockOwners,
  ): Promise<{ item?: Item; hold?: LockHold }> {
    return this.holders.lockedRead(id, (deadline) => this.acquire(key, deadline), owners);
  }

  /**
   * Locks the item under `key` and returns it with the lock's token, or `{}` when there is no
   * item (nothing to lock: the session is new). Rejects with `LOCK_TIMEOUT` at `deadline`
   * (default: `waitMs` from now).
   */
  async acquire(
    key: Item,
    deadline = Date.now() + this.#waitMs,
  ): Promise<{ item?: Item; token?: string }> {
    const { table, hashKey } = this.#context.options;
    const token = randomUUID();
    for (let attempt = 0; ; attempt++) {
      const now = Date.now();
      const command = new UpdateItemCommand({
        TableName: table,
        Key: key,
        UpdateExpression: 'SET #owner = :token, #lease = :lease',
        ConditionExpression:
          'attribute_exists(#key) AND (attribute_not_exists(#owner) OR #lease < :now)',
        ExpressionAttributeNames: { '#key': hashKey, '#owner': this.owner, '#lease': this.expires },
        ExpressionAttributeValues: {
          ':token': { S: token },
          ':lease': { N: String(now + this.#leaseMs) },
          ':now': { N: String(now) },
        },
        ReturnValues: 'ALL_NEW',
      });
      try {
        const output = await this.#context.call('UpdateItem', (send) =>
          this.#context.client.send(command, send),
        );
        return { item: output.Attributes, token };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
      if (!(await this.#exists(key))) return {};
      if (Date.now() >= deadline) {
        throw lockTimeoutError(String(key[hashKey]?.S), this.#waitMs);
      }
      const delay = Math.min(200, 20 * 2 ** attempt);
      await new Promise((resolve) => setTimeout(resolve, delay / 2 + Math.random() * (delay / 2)));
    }
  }

  /** Releases the lease `token` holds on `key`, if it still does. */
  async release(key: Item, token: string): Promise<void> {
    const command = new UpdateItemCommand({
      TableName: this.#context.options.table,
      Key: key,
      UpdateExpression: 'REMOVE #owner, #lease',
      ConditionExpression: '#owner = :token',
      ExpressionAttributeNames: { '#owner': this.owner, '#lease': this.expires },
      ExpressionAttributeValues: { ':token': { S: token } },
    });
    try {
      await this.#context.call('UpdateItem', (send) => this.#context.client.send(command, send));
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  /**
   * The condition of a full write by the holder of `token`: the item still carries that token,
   * so a write after the session was destroyed, or after the lease ran out and another request
   * took the lock, changes nothing.
   */
  heldCondition(token: string): HolderCondition {
    return {
      expression: '#owner = :token',
      names: { '#owner': this.owner },
      values: { ':token': { S: token } },
    };
  }

  /** The condition a write must carry: no lease, an expired lease, or the lease of `token`. */
  holderCondition(token: string | undefined): HolderCondition {
    return {
      expression: `(attribute_not_exists(#owner) OR #lease < :leaseNow${token ? ' OR #owner = :token' : ''})`,
      names: { '#owner': this.owner, '#lease': this.expires },
      values: {
        ':leaseNow': { N: String(Date.now()) },
        ...(token && { ':token': { S: token } }),
      },
    };
  }

  async #exists(key: Item): Promise<boolean> {
    const command = new GetItemCommand({
      TableName: this.#context.options.table,
      Key: key,
      ConsistentRead: true,
      ProjectionExpression: '#key',
      ExpressionAttributeNames: { '#key': this.#context.options.hashKey },
    });
    const output = await this.#context.call('GetItem', (send) =>
      this.#context.client.send(command, send),
    );
    return output.Item !== undefined;
  }
}
