import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type TestServer, testServers, useTestTable } from '@dynamodb-session/test-support';
import { describe, expect, it } from 'vitest';
import { loggedSessionId, SessionRepository } from '../src/index';

interface LogLine {
  message: string;
  details?: Record<string, unknown>;
}

const run = promisify(execFile);
const server = testServers()[0] as TestServer;
const secret = 'credit card 4111 1111 1111 1111';

/** A logger that keeps every line, as an application's pino or console would receive it. */
function recordingLogger() {
  const lines: LogLine[] = [];
  return {
    lines,
    debug: (message: string, details?: Record<string, unknown>) => lines.push({ message, details }),
  };
}

/**
 * Runs a script in a child Node process against the built package, with `env` added, and
 * returns what it wrote to stderr (where the `debug` package writes).
 */
async function stderrOf(script: string, env: Record<string, string>): Promise<string> {
  const { stderr } = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: {
      ...process.env,
      DEBUG: '',
      ...env,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  });
  return stderr;
}

describe(`diagnostic logging on ${server.name}`, () => {
  const tables = useTestTable(server);
  const { client } = tables;

  it('logs each DynamoDB call and what reads and saves decided, without ids, keys or data', async () => {
    const logger = recordingLogger();
    const repository = new SessionRepository({
      client,
      table: tables.table,
      logger,
      touchAfterMs: 60_000,
    });
    const id = 'visible-session-id-123';
    await repository.set(id, { note: secret }, Date.now() + 60_000);
    const data = await repository.get(id);
    expect(await repository.save(id, data ?? {}, Date.now() + 60_000)).toBe('skipped');
    await repository.destroy(id);
    expect(await repository.get(id)).toBeNull();

    const messages = logger.lines.map((line) => line.message);
    expect(messages).toEqual([
      'repository created',
      'dynamodb PutItem',
      'dynamodb GetItem',
      'get',
      'refresh',
      'save',
      'dynamodb PutItem',
      'destroy',
      'dynamodb GetItem',
      'get',
    ]);
    const session = loggedSessionId(id);
    expect(logger.lines[3]?.details).toEqual({ session, found: true });
    expect(logger.lines[5]?.details).toEqual({ session, unchanged: true, outcome: 'skipped' });
    expect(logger.lines[9]?.details).toEqual({ session, found: false });
    expect(logger.lines[1]?.details).toMatchObject({ table: tables.table, outcome: 'ok' });
    expect(logger.lines[1]?.details?.ms).toBeGreaterThanOrEqual(0);

    const everything = JSON.stringify(logger.lines);
    expect(everything).not.toContain(id);
    expect(everything).not.toContain(secret);
  });

  it('logs a failed call with its error code, and the error handed to onError', async () => {
    const logger = recordingLogger();
    const repository = new SessionRepository({ client, table: 'no-such-table', logger });
    await expect(repository.get('some-id')).rejects.toMatchObject({ code: 'TABLE_NOT_FOUND' });
    expect(logger.lines.slice(1)).toEqual([
      {
        message: 'dynamodb GetItem',
        details: expect.objectContaining({ outcome: 'TABLE_NOT_FOUND' }),
      },
      { message: 'error', details: expect.objectContaining({ code: 'TABLE_NOT_FOUND' }) },
    ]);
  });

  it('refuses a logger without a debug method, naming the option', () => {
    expect(() => new SessionRepository({ logger: {} as never })).toThrow(/option "logger"/);
  });

  describe('through the debug package, in a child process on the built package', () => {
    const script = (extra: string) => `
      import { SessionRepository } from '@dynamodb-session/core';
      const repository = new SessionRepository({
        table: process.env.TABLE,
        endpoint: process.env.ENDPOINT, region: 'local',
        clientConfig: { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } },
        ${extra}
      });
      await repository.set('child-session', { n: 1 });
      await repository.get('child-session');
      repository.close();`;
    const env = () => ({ TABLE: tables.table, ENDPOINT: server.endpoint });

    it('is silent by default', async () => {
      expect(await stderrOf(script(''), env())).toBe('');
    });

    it('writes under DEBUG=dynamodb-session', async () => {
      const stderr = await stderrOf(script(''), { ...env(), DEBUG: 'dynamodb-session' });
      expect(stderr).toContain('dynamodb-session dynamodb PutItem');
      expect(stderr).toContain('dynamodb-session get');
      expect(stderr).not.toContain('child-session');
    });

    it('stays silent with logger: false even under DEBUG', async () => {
      const stderr = await stderrOf(script('logger: false,'), {
        ...env(),
        DEBUG: 'dynamodb-session',
      });
      expect(stderr).toBe('');
    });
  });
});
