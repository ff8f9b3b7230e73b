/**
 * Adversarial tests of pessimistic locking through an explicit handle (`lock(id)`, the in-process
 * lock queue), of the fail-fast circuit after a timeout, and of calls given up on by the timer
 * (no per-call abort signal). Each runs on one local server (the first of the run), through a
 * small HTTP proxy where a test needs DynamoDB to hang.
 */
import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  createTestTable,
  dropTable,
  localClient,
  testServers,
} from '@dynamodb-session/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDBClient, SessionRepository } from '../../src/index';
import { rejection } from './support';

const inOneHour = () => Date.now() + 3_600_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let counter = 0;
const newId = () => `attack-lock-${Date.now()}-${counter++}`;
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

type Verdict = 'forward' | 'hang';

/**
 * An HTTP proxy in front of a local server that forwards each request, or lets it hang (never
 * answered, never forwarded), as `decide` says from its target and body.
 */
async function startProxy(upstream: string) {
  const target = new URL(upstream);
  const sockets = new Set<Socket>();
  let decide: (operation: string, body: string) => Verdict = () => 'forward';
  const seen: string[] = [];
  const server: Server = createServer((incoming: IncomingMessage, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      const operation = String(incoming.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      seen.push(operation);
      if (decide(operation, body.toString('utf8')) === 'hang') return;
      const forwarded = request(
        {
          host: target.hostname,
          port: target.port,
          method: incoming.method,
          path: incoming.url,
          headers: incoming.headers,
        },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 500, answer.headers);
          answer.pipe(outgoing);
        },
      );
      forwarded.on('error', () => outgoing.destroy());
      forwarded.end(body);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    seen,
    set(rule: (operation: string, body: string) => Verdict) {
      decide = rule;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const server = testServers()[0] as { name: string; endpoint: string };

describe(`attack: locks and fail-fast on ${server.name}`, () => {
  const client = localClient(server.endpoint);
  let table = '';
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  beforeAll(async () => {
    table = await createTestTable(client);
    proxy = await startProxy(server.endpoint);
  }, 60_000);
  afterAll(async () => {
    await proxy.close();
    await dropTable(client, table);
    client.destroy();
  });

  const locking = (options: { leaseMs?: number; waitMs?: number } = {}) =>
    new SessionRepository({
      client,
      table,
      pessimisticLocking: { leaseMs: 5_000, waitMs: 2_000, ...options },
    });
  /** A repository with a client of its own, through the proxy. */
  const proxied = (options: Record<string, unknown> = {}) =>
    new SessionRepository({
      endpoint: proxy.endpoint,
      region: 'us-east-1',
      table,
      clientConfig: { credentials },
      ...options,
    });
  const stored = (id: string) => locking({ waitMs: 0 }).get(id);

  describe('the lock handle', () => {
    it('a malformed id: lock() holds nothing and takes no turn; its save fails INVALID_SESSION_ID', async () => {
      const repository = locking();
      for (const id of ['', 'a\u0000b', '\ud800x', 'x'.repeat(3_000)]) {
        const first = await repository.lock(id);
        const second = await repository.lock(id); // no queue turn was taken: no wait
        expect(first.held).toBe(false);
        expect(first.data).toBeNull();
        expect(await rejection(first.save({ n: 1 }))).toMatchObject({
          code: 'INVALID_SESSION_ID',
        });
        await second.release();
        await first.destroy();
        expect(await first.refresh()).toBe('skipped');
      }
    });

    it('save twice, release after save, destroy then save: one write, the hold ends once, no resurrection', async () => {
      const id = newId();
      const repository = locking();
      await repository.set(id, { n: 0 }, inOneHour());
      const lock = await repository.lock(id);
      expect(await lock.save({ n: 1 }, inOneHour())).toBe('written');
      expect(lock.held).toBe(false);
      expect(await lock.save({ n: 1 }, inOneHour())).toBe('skipped');
      await lock.release();
      const next = await repository.lock(id); // no wait: the turn was left by the first save
      expect(next.data).toEqual({ n: 1 });
      await next.destroy();
      await expect(next.save({ n: 2 }, inOneHour())).rejects.toMatchObject({ code: 'CONFLICT' });
      // the failed write forgot the fingerprint: the data read counts as changed now
      await expect(next.save({ n: 1 }, inOneHour())).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(await stored(id)).toBeNull();
      const after = await repository.lock(id);
      expect(after.held).toBe(false);
      expect(after.data).toBeNull();
    });

    it('waitMs 0: a second request of the process fails LOCK_TIMEOUT at once, then gets the lock once the first ends', async () => {
      const id = newId();
      const repository = locking({ waitMs: 0 });
      await repository.set(id, { n: 0 }, inOneHour());
      const held = await repository.lock(id);
      const started = performance.now();
      await expect(repository.lock(id)).rejects.toMatchObject({ code: 'LOCK_TIMEOUT' });
      await expect(locking({ waitMs: 0 }).lock(id)).rejects.toMatchObject({
        code: 'LOCK_TIMEOUT',
      });
      expect(performance.now() - started).toBeLessThan(500);
      await held.release();
      const next = await repository.lock(id);
      expect(next.held).toBe(true);
      await next.release();
    });

    it('leaseMs 1: the next request takes the lock at once, and the old holder cannot write', async () => {
      const id = newId();
      const repository = locking({ leaseMs: 1 });
      await repository.set(id, { n: 0 }, inOneHour());
      const old = await repository.lock(id);
      await sleep(5);
      const next = await repository.lock(id);
      expect(next.held).toBe(true);
      await expect(old.save({ n: 99 }, inOneHour())).rejects.toMatchObject({ code: 'CONFLICT' });
      await sleep(5);
      expect(await next.save({ n: 1 }, inOneHour())).not.toBe('missing');
      expect(await stored(id)).toMatchObject({ n: expect.any(Number) });
    });

    // Fixed (found by this suite): a holder told CONFLICT because its lease ran out and another
    // request wrote meanwhile could save again through the same handle: the second save went
    // out without a lock and overwrote the newer data with what was built on the stale read
    // (frameworks do this: an explicit `req.session.save()` that fails with CONFLICT, then the
    // end-of-request save). The handle now refuses every save after its locked save lost the lock.
    it('a handle whose locked save failed with CONFLICT (lease lost) does not overwrite the next request on a second save', async () => {
      const id = newId();
      const repository = locking({ leaseMs: 200 });
      await repository.set(id, { n: 0 }, inOneHour());
      const slow = await repository.lock(id);
      await sleep(300);
      const next = await repository.lock(id);
      expect(next.data).toEqual({ n: 0 });
      await next.save({ n: 1 }, inOneHour());
      await expect(slow.save({ n: 99 }, inOneHour())).rejects.toMatchObject({ code: 'CONFLICT' });
      await slow.save({ n: 99 }, inOneHour()).catch(() => {});
      expect(await stored(id)).toEqual({ n: 1 });
    });
  });

  describe('fail-fast circuit', () => {
    it('a lock() while the circuit is open fails at once with TIMEOUT, also for a request waiting its turn', async () => {
      const id = newId();
      await locking().set(id, { n: 0 }, inOneHour());
      const repository = proxied({
        requestTimeoutMs: 300,
        pessimisticLocking: { leaseMs: 5_000, waitMs: 3_000 },
      });
      try {
        const holder = await repository.lock(id);
        const waiting = repository.lock(id).then(
          () => 'locked',
          (error: { code?: string }) => error.code,
        );
        proxy.set((operation) => (operation === 'GetItem' ? 'hang' : 'forward'));
        await expect(repository.get(newId())).rejects.toMatchObject({ code: 'TIMEOUT' });
        const started = performance.now();
        // the holder's write fails fast: its table lock stays until the lease ends
        await expect(holder.save({ n: 1 }, inOneHour())).rejects.toMatchObject({
          code: 'TIMEOUT',
        });
        expect(await waiting).toBe('TIMEOUT');
        await expect(repository.lock(id)).rejects.toMatchObject({ code: 'TIMEOUT' });
        expect(performance.now() - started).toBeLessThan(250);
        proxy.set(() => 'forward');
        await sleep(350);
        // the circuit probes again; the lock the holder could not release holds until its lease
        await expect(locking({ waitMs: 200 }).lock(id)).rejects.toMatchObject({
          code: 'LOCK_TIMEOUT',
        });
        expect(await repository.get(id)).toEqual({ n: 0 });
      } finally {
        proxy.set(() => 'forward');
        repository.close();
      }
    });

    it('never fails forever: the first answer after the open second closes the circuit', async () => {
      const repository = proxied({ requestTimeoutMs: 200 });
      try {
        proxy.set(() => 'hang');
        for (let round = 0; round < 3; round++) {
          await expect(repository.get(newId())).rejects.toMatchObject({ code: 'TIMEOUT' });
          await sleep(210);
        }
        proxy.set(() => 'forward');
        await expect(repository.get(newId())).resolves.toBeNull();
        await expect(repository.get(newId())).resolves.toBeNull();
      } finally {
        proxy.set(() => 'forward');
        repository.close();
      }
    });
  });

  describe('calls given up on by the timer', () => {
    // Fixed (found by this suite): a write the repository reported as TIMEOUT was not abandoned:
    // the SDK retried the TimeoutError of its attempt (no abort signal stops it), and the retry
    // landed after a later write that succeeded, putting back the older data. The same held for
    // set() and destroy()'s tombstone. A middleware on the client now fails the later attempts
    // of a call the repository gave up on, before they are sent.
    it('a save reported as TIMEOUT does not land after a later save that succeeded', async () => {
      const id = newId();
      await locking().set(id, { n: 0 }, inOneHour());
      const repository = proxied({ requestTimeoutMs: 300 });
      try {
        let staleAttempts = 0;
        proxy.set((operation, body) => {
          if (operation !== 'PutItem' || !body.includes('stale')) return 'forward';
          staleAttempts += 1;
          return staleAttempts <= 2 ? 'hang' : 'forward';
        });
        await expect(
          repository.save(id, { n: 1, note: 'stale' }, inOneHour()),
        ).rejects.toMatchObject({ code: 'TIMEOUT' });
        await sleep(320); // the open second (min(1000, 300) ms) has passed
        expect(await repository.save(id, { n: 2, note: 'fresh' }, inOneHour())).toBe('written');
        await sleep(1_500);
        expect(await stored(id)).toEqual({ n: 2, note: 'fresh' });
        expect(staleAttempts).toBe(1);
      } finally {
        proxy.set(() => 'forward');
        repository.close();
      }
    }, 15_000);

    // Fixed (same cause): a lock() reported as TIMEOUT was retried by the SDK, and the retry took
    // the lock for a token nobody holds: the session stayed locked until that lease ended.
    it('abandons calls on an app client that cached its handlers before the repository came', async () => {
      const id = newId();
      const appClient = createDynamoDBClient({
        endpoint: proxy.endpoint,
        region: 'us-east-1',
        credentials,
        requestTimeoutMs: 300,
      });
      await appClient.send(
        new PutItemCommand({ TableName: table, Item: { id: { S: `sess:${id}` }, n: { N: '0' } } }),
      );
      const repository = new SessionRepository({ client: appClient, table, requestTimeoutMs: 300 });
      try {
        let staleAttempts = 0;
        proxy.set((operation, body) => {
          if (operation !== 'PutItem' || !body.includes('stale')) return 'forward';
          staleAttempts += 1;
          return 'hang';
        });
        await expect(repository.save(id, { note: 'stale' }, inOneHour())).rejects.toMatchObject({
          code: 'TIMEOUT',
        });
        await sleep(1_000);
        expect(staleAttempts).toBe(1);
      } finally {
        proxy.set(() => 'forward');
        appClient.destroy();
      }
    }, 15_000);

    it('abandons calls sent through resolved handlers (cacheClientMiddleware on a plain client)', async () => {
      const id = newId();
      const appClient = new DynamoDBClient({
        endpoint: proxy.endpoint,
        region: 'us-east-1',
        credentials,
        requestHandler: { requestTimeout: 300, throwOnRequestTimeout: true },
      });
      const repository = new SessionRepository({
        client: appClient,
        table,
        requestTimeoutMs: 300,
        cacheClientMiddleware: true,
      });
      try {
        await repository.set(id, { n: 0 }, inOneHour());
        let staleAttempts = 0;
        proxy.set((operation, body) => {
          if (operation !== 'PutItem' || !body.includes('stale')) return 'forward';
          staleAttempts += 1;
          return 'hang';
        });
        await expect(repository.save(id, { note: 'stale' }, inOneHour())).rejects.toMatchObject({
          code: 'TIMEOUT',
        });
        await sleep(1_000);
        expect(staleAttempts).toBe(1);
      } finally {
        proxy.set(() => 'forward');
        appClient.destroy();
      }
    }, 15_000);

    it('a lock() reported as TIMEOUT does not take the lock later for nobody', async () => {
      const id = newId();
      await locking().set(id, { n: 0 }, inOneHour());
      const repository = proxied({
        requestTimeoutMs: 300,
        pessimisticLocking: { leaseMs: 4_000, waitMs: 1_000 },
      });
      try {
        let attempts = 0;
        proxy.set((operation) => {
          if (operation !== 'UpdateItem') return 'forward';
          attempts += 1;
          return attempts <= 2 ? 'hang' : 'forward';
        });
        await expect(repository.lock(id)).rejects.toMatchObject({ code: 'TIMEOUT' });
        await sleep(1_500);
        proxy.set(() => 'forward');
        const next = await locking({ waitMs: 300 })
          .lock(id)
          .then(
            (lock) => lock.held,
            (error: { code?: string }) => error.code,
          );
        expect({ attempts, next }).toEqual({ attempts: 1, next: true });
      } finally {
        proxy.set(() => 'forward');
        repository.close();
      }
    }, 15_000);
  });
});
