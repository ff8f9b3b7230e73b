import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testServers } from '@dynamodb-session/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The built executable in a bare environment (no AWS variables, an empty HOME, no instance
 * metadata), as a new user runs it: what it says when something is missing.
 */
const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const bin = fileURLToPath(new URL(`../${manifest.bin['dynamodb-session']}`, import.meta.url));
const home = mkdtempSync(join(tmpdir(), 'cli-home-'));
const bareEnv = {
  PATH: process.env.PATH,
  HOME: home,
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_CONFIG_FILE: join(home, 'config'),
  AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
};
const localKeys = { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' };

function runBin(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runNode([bin, ...args], env);
}

function runNode(
  args: string[],
  env: Record<string, string | undefined>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, args, {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { ...bareEnv, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const dynalite = testServers().find(({ name }) => name === 'dynalite');
if (!dynalite) throw new Error('the global setup started no dynalite');

describe('what the CLI says when something is missing', () => {
  let notDynamoDB: Server;
  let notDynamoDBUrl = '';

  beforeAll(async () => {
    notDynamoDB = createServer((request, response) => {
      const json = request.headers['x-test-json'] !== undefined;
      response.writeHead(404, { 'content-type': json ? 'application/json' : 'text/html' });
      response.end(json ? '{"message":"no route"}' : '<h1>Not Found</h1>');
    });
    await new Promise<void>((resolve) => notDynamoDB.listen(0, '127.0.0.1', resolve));
    notDynamoDBUrl = `http://127.0.0.1:${(notDynamoDB.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    notDynamoDB.close();
  });

  it('no credentials: says so and that a local server accepts any keys (text and --json)', async () => {
    const args = ['count', '--endpoint', dynalite.endpoint];
    const text = await runBin(args);
    expect(text.code).toBe(1);
    expect(text.stdout).toBe('');
    expect(text.stderr).toBe(
      'dynamodb-session: error: no AWS credentials: the AWS SDK found none in the environment or its config files\n' +
        'hint: a local server (DynamoDB Local, dynalite) accepts any keys, e.g.:\n' +
        `hint:   AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local dynamodb-session ... --endpoint ${dynalite.endpoint}\n`,
    );
    const json = await runBin([...args, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stderr)).toEqual({
      error: {
        code: 'NO_CREDENTIALS',
        message: expect.stringContaining('no AWS credentials'),
        hints: expect.arrayContaining([expect.stringContaining('AWS_ACCESS_KEY_ID=local')]),
      },
    });
    // with any keys the same call reaches the server, which answers (no such table): the hint is true
    const withKeys = await runBin([...args, '--table', 'no-such-table', '--json'], localKeys);
    expect(JSON.parse(withKeys.stderr)).toMatchObject({ error: { code: 'TABLE_NOT_FOUND' } });
  });

  it('no credentials and no endpoint: names the variables and the local-server way', async () => {
    const result = await runBin(['count', '--region', 'eu-west-1', '--json']);
    expect(result.code).toBe(1);
    const { error } = JSON.parse(result.stderr);
    expect(error.code).toBe('NO_CREDENTIALS');
    expect(error.hints.join(' ')).toContain('AWS_PROFILE');
    expect(error.hints.join(' ')).toContain('--endpoint http://localhost:8000');
  });

  it('an HTTP server that is not DynamoDB: says what answered and what was expected', async () => {
    const text = await runBin(['status', '--endpoint', notDynamoDBUrl], localKeys);
    expect(text.code).toBe(1);
    expect(text.stderr).toBe(
      `dynamodb-session: error: ${notDynamoDBUrl} answered HTTP 404 (text/html), but not as ` +
        'DynamoDB does (no x-amzn-RequestId, error SyntaxError)\n' +
        'hint: expected DynamoDB Local, dynalite or DynamoDB itself (https://dynamodb.<region>.amazonaws.com):\n' +
        'hint: check the host and port of --endpoint (or DYNAMODB_ENDPOINT)\n',
    );
    expect(text.stderr).not.toContain('UnknownError');
    const json = await runBin(['count', '--endpoint', notDynamoDBUrl, '--json'], localKeys);
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'NOT_DYNAMODB' } });
  });

  it.runIf(process.versions.node.startsWith('20.'))(
    "prints no AWS SDK Node-version warning, which the SDK prints in an app's process",
    async () => {
      const app = await runNode(
        [
          '--input-type=module',
          '-e',
          "import { DynamoDBClient } from '@aws-sdk/client-dynamodb'; new DynamoDBClient({ region: 'x' }); await new Promise((r) => setTimeout(r, 50));",
        ],
        {},
      );
      expect(app.stderr).toContain('NodeVersionSupportWarning');
      const flags = ['--endpoint', dynalite.endpoint, '--table', 'no-such-table'];
      const cli = await runBin(['count', ...flags], localKeys);
      expect(cli.code).toBe(1);
      expect(cli.stderr).toMatch(/^dynamodb-session: error: Scan on no-such-table failed/);
      expect(cli.stderr).not.toContain('NodeVersionSupportWarning');
    },
  );
});
