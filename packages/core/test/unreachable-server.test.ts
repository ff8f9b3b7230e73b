import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionRepository } from '../src/index';

let silent: Server;
let silentPort = 0;
const sockets = new Set<Socket>();

beforeAll(async () => {
  silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentPort = (silent.address() as { port: number }).port;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

describe('a DynamoDB that does not answer', () => {
  it('rejects with TIMEOUT after requestTimeoutMs when the server accepts and never replies', async () => {
    process.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
    const repository = new SessionRepository({
      endpoint: `http://127.0.0.1:${silentPort}`,
      region: 'us-east-1',
      requestTimeoutMs: 300,
    });
    const started = Date.now();
    const error = await repository.get('abc').catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'SessionStoreError', code: 'TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(5_000);
    repository.close();
  });

  it('rejects with NETWORK when nothing listens', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    const repository = new SessionRepository({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
    });
    await expect(repository.set('abc', { a: 1 })).rejects.toMatchObject({ code: 'NETWORK' });
    repository.close();
  });
});

describe('a client without a region', () => {
  it('rejects with INVALID_OPTIONS saying the region is missing, not a bare DynamoDB error', async () => {
    const saved = {
      AWS_REGION: process.env.AWS_REGION,
      AWS_DEFAULT_REGION: process.env.AWS_DEFAULT_REGION,
    };
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    try {
      const repository = new SessionRepository({
        endpoint: `http://127.0.0.1:${silentPort}`,
        clientConfig: { credentials },
      });
      const error = await repository.get('abc').catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'INVALID_OPTIONS',
        message: expect.stringMatching(/Region is missing/),
      });
      repository.close();
    } finally {
      for (const [name, value] of Object.entries(saved))
        if (value !== undefined) process.env[name] = value;
    }
  });
});
