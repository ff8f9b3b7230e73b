import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { localClient, testServers } from '@dynamodb-session/test-support';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { describeSessionTable, SessionRepository, SessionStoreError } from '../src/index';
import { startLocalDynamoDB } from '../src/testing/index';
import { loadDynalite } from '../src/testing/load-dynalite';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('startLocalDynamoDB', () => {
  it('starts dynalite with a sessions table that a repository uses as it is', async () => {
    vi.stubEnv('DYNAMODB_ENDPOINT', undefined);
    const local = await startLocalDynamoDB({
      repositoryOptions: { hashKey: 'sid', prefix: 'app:' },
    });
    try {
      expect(local.server).toBe('dynalite');
      expect(local.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(local.tableName).toMatch(/^sessions-[0-9a-f-]{36}$/);
      const description = await describeSessionTable({
        client: local.client,
        table: local.tableName,
        hashKey: 'sid',
        expiresAttribute: 'expires',
      });
      expect(description).toMatchObject({
        status: 'ACTIVE',
        partitionKey: { name: 'sid', type: 'S' },
      });

      const repository = new SessionRepository(local.repositoryOptions);
      await repository.set('a', { n: 1 });
      expect(await repository.get('a')).toEqual({ n: 1 });
      expect(repository.options).toMatchObject({ table: local.tableName, prefix: 'app:' });
    } finally {
      await local.stop();
    }
    const after = localClient(local.endpoint);
    await expect(after.send(new ListTablesCommand({}))).rejects.toThrow();
    after.destroy();
    await expect(local.stop()).resolves.toBeUndefined();
  });

  it('gives parallel callers their own server and table', async () => {
    vi.stubEnv('DYNAMODB_ENDPOINT', undefined);
    const [first, second] = await Promise.all([startLocalDynamoDB(), startLocalDynamoDB()]);
    try {
      expect(first.endpoint).not.toBe(second.endpoint);
      expect(first.tableName).not.toBe(second.tableName);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  });

  for (const server of testServers()) {
    it(`uses a running server (${server.name}) from DYNAMODB_ENDPOINT or the endpoint option, and drops only its table`, async () => {
      vi.stubEnv('DYNAMODB_ENDPOINT', server.endpoint);
      const fromEnv = await startLocalDynamoDB({ tableName: `local-helper-${Date.now()}` });
      const fromOption = await startLocalDynamoDB({ endpoint: server.endpoint });
      const observer = localClient(server.endpoint);
      try {
        expect(fromEnv).toMatchObject({ server: 'endpoint', endpoint: server.endpoint });
        const tables = async () =>
          (await observer.send(new ListTablesCommand({}))).TableNames ?? [];
        expect(await tables()).toEqual(
          expect.arrayContaining([fromEnv.tableName, fromOption.tableName]),
        );
        await fromEnv.stop();
        expect(await tables()).not.toContain(fromEnv.tableName);
        expect(await tables()).toContain(fromOption.tableName);
      } finally {
        await Promise.all([fromEnv.stop(), fromOption.stop()]);
        observer.destroy();
      }
    });
  }

  it('fails with a SessionStoreError when the server at the endpoint does not answer', async () => {
    await expect(
      startLocalDynamoDB({ endpoint: 'http://127.0.0.1:9', tableName: 'unreachable' }),
    ).rejects.toMatchObject({ name: 'SessionStoreError', code: 'NETWORK' });
  });
});

describe('loading dynalite, an optional peer dependency', () => {
  it('names the package to install when it is missing', async () => {
    const missing = Object.assign(new Error("Cannot find module 'dynalite'"), {
      code: 'MODULE_NOT_FOUND',
    });
    const error = await loadDynalite(() => Promise.reject(missing)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionStoreError);
    expect(error).toMatchObject({ code: 'UNSUPPORTED', cause: missing });
    expect((error as Error).message).toMatch(/npm install --save-dev dynalite@4/);
    expect((error as Error).message).toMatch(/DYNAMODB_ENDPOINT/);
  });

  it('lets other failures through unchanged', async () => {
    const broken = new TypeError('dynalite failed to initialise');
    await expect(loadDynalite(() => Promise.reject(broken))).rejects.toBe(broken);
  });

  it('loads the installed dynalite', async () => {
    expect(typeof (await loadDynalite())).toBe('function');
  });
});
