import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FailFast } from '../src/fail-fast';
import { SessionRepository } from '../src/index';

describe('FailFast', () => {
  function circuit() {
    let now = 1_000_000;
    const failFast = new FailFast({ openMs: 1_000, now: () => now });
    return { failFast, advance: (ms: number) => (now += ms) };
  }
  const failsFast = (failFast: FailFast) => {
    try {
      failFast.before('GetItem on sessions');
      return false;
    } catch (error) {
      expect(error).toMatchObject({ name: 'SessionStoreError', code: 'TIMEOUT' });
      expect((error as Error).message).toMatch(/GetItem on sessions failed fast/);
      return true;
    }
  };

  it('lets every call through until one times out', () => {
    const { failFast } = circuit();
    expect(failsFast(failFast)).toBe(false);
    failFast.onSuccess();
    expect(failsFast(failFast)).toBe(false);
    expect(failFast.open).toBe(false);
  });

  it('fails every call fast for openMs after a timeout, then lets calls probe again', () => {
    const { failFast, advance } = circuit();
    failFast.before();
    failFast.onTimeout();
    expect(failFast.open).toBe(true);
    expect(failsFast(failFast)).toBe(true);
    advance(999);
    expect(failsFast(failFast)).toBe(true);
    advance(1);
    expect(failFast.open).toBe(false);
    expect(failsFast(failFast)).toBe(false); // probes
    expect(failsFast(failFast)).toBe(false);
    failFast.onSuccess(); // a probe got an answer
    expect(failsFast(failFast)).toBe(false);
    advance(10_000);
    expect(failsFast(failFast)).toBe(false);
  });

  it('opens nothing for a call that started before another call got an answer', () => {
    const { failFast, advance } = circuit();
    const slowStart = failFast.before();
    advance(100);
    const quickStart = failFast.before();
    failFast.onSuccess(); // the endpoint answered after the slow call started
    advance(2_900);
    failFast.onTimeout(slowStart);
    expect(failsFast(failFast)).toBe(false);
    const lateStart = failFast.before();
    advance(3_000);
    failFast.onTimeout(lateStart); // nothing answered since this one started
    expect(failsFast(failFast)).toBe(true);
    expect(quickStart).toBe(slowStart + 100);
  });

  it('opens again when a probe times out, for openMs from that timeout', () => {
    const { failFast, advance } = circuit();
    failFast.onTimeout();
    advance(1_000);
    expect(failsFast(failFast)).toBe(false);
    advance(3_000);
    failFast.onTimeout();
    expect(failsFast(failFast)).toBe(true);
    advance(999);
    expect(failsFast(failFast)).toBe(true);
    advance(1);
    expect(failsFast(failFast)).toBe(false);
  });
});

describe('a repository on a DynamoDB endpoint that accepts connections and never answers', () => {
  let silent: Server;
  let endpoint = '';
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  const repositoryOptions = () => ({
    endpoint,
    region: 'us-east-1',
    clientConfig: { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } },
  });
  const timed = async (call: () => Promise<unknown>) => {
    const started = performance.now();
    const error = await call().then(
      () => undefined,
      (e: unknown) => e,
    );
    return { error, ms: performance.now() - started };
  };

  it('waits one requestTimeoutMs, then fails the calls that follow at once until a probe is due', async () => {
    const repository = new SessionRepository({ ...repositoryOptions(), requestTimeoutMs: 400 });
    try {
      const first = await timed(() => repository.get('a'));
      expect(first.error).toMatchObject({ code: 'TIMEOUT' });
      expect(first.ms).toBeGreaterThanOrEqual(390);
      const second = await timed(() => repository.set('b', { user: 'ann' }));
      expect(second.error).toMatchObject({ code: 'TIMEOUT' });
      expect((second.error as Error).message).toMatch(/failed fast/);
      expect(second.ms).toBeLessThan(100);
      await new Promise((resolve) => setTimeout(resolve, 420));
      const probe = await timed(() => repository.get('c'));
      expect(probe.error).toMatchObject({ code: 'TIMEOUT' });
      expect((probe.error as Error).message).not.toMatch(/failed fast/);
      expect(probe.ms).toBeGreaterThanOrEqual(390);
      const after = await timed(() => repository.destroy('d'));
      expect(after.error).toMatchObject({ code: 'TIMEOUT' });
      expect((after.error as Error).message).toMatch(/failed fast/);
      expect(after.ms).toBeLessThan(100);
    } finally {
      repository.close();
    }
  });

  it('defaults to a 3 s bound per call', async () => {
    const repository = new SessionRepository(repositoryOptions());
    expect(repository.options.requestTimeoutMs).toBe(3_000);
    repository.close();
  });
});
