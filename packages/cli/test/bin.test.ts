import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  createTestTable,
  dropTable,
  localClient,
  testServers,
  uniqueTableName,
} from '@dynamodb-session/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, LOCAL_ENV, loadSessions, secondsFromNow } from './helpers';

/** The built executable, as package.json's `bin` names it. Run after `npm run build`. */
const packageRoot = fileURLToPath(new URL('..', import.meta.url));
const manifest = JSON.parse(readFileSync(`${packageRoot}package.json`, 'utf8'));
const bin = fileURLToPath(new URL(`../${manifest.bin['dynamodb-session']}`, import.meta.url));

/** Spawns `node dist/bin.js ...args`; `exited` resolves its exit code and output. */
function spawnBin(args: string[]): {
  child: ChildProcess;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>;
} {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, ...LOCAL_ENV, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{
    code: number | null;
    signal: string | null;
    stdout: string;
    stderr: string;
  }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, stderr: () => stderr, exited };
}

describe('the built executable', () => {
  const server = testServers().find(({ name }) => name === 'dynalite');
  const client = server && localClient(server.endpoint);
  const table = uniqueTableName('cli-bin');

  beforeAll(async () => {
    if (!existsSync(bin)) {
      throw new Error(`${bin} is missing: run \`npm run build\` in packages/cli`);
    }
    if (client) await createTestTable(client, { table });
  });
  afterAll(async () => {
    if (client) {
      await dropTable(client, table);
      client.destroy();
    }
  });

  it('starts with a shebang, is executable and prints its help', async () => {
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    const { code, stdout, stderr } = await spawnBin(['--help']).exited;
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: dynamodb-session <command> \[options\]\n/);
  });

  it('exits 2 on bad usage and 1 for a missing session', async () => {
    const usage = await spawnBin(['list', '--limit', 'none']).exited;
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('option --limit must be an integer');
    if (!server) throw new Error('dynalite is not running');
    const flags = ['--endpoint', server.endpoint, '--table', table];
    const missing = await spawnBin(['show', 'nobody', ...flags]).exited;
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      'dynamodb-session: error: session "nobody" not found (missing or expired)\n',
    );
  });

  it('exits as soon as it has reported a timeout of a DynamoDB that never answers', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    try {
      const started = performance.now();
      let reportedAt = 0;
      const show = spawnBin(['show', 'someone', '--endpoint', endpoint, '--table', table]);
      show.child.stderr?.on('data', () => {
        reportedAt ||= performance.now();
      });
      const { code, stderr } = await show.exited;
      const exitedAt = performance.now();
      expect(code).toBe(1);
      expect(stderr).toMatch(/^dynamodb-session: error: .*no answer within 3000 ms/);
      // the default requestTimeoutMs (3 s) plus the start of node, then an exit without waiting
      // for the SDK's retries of the abandoned call
      expect(reportedAt - started).toBeLessThan(6_000);
      expect(exitedAt - reportedAt).toBeLessThan(1_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  }, 20_000);

  it('stops a purge on SIGINT, reports what it did and exits 130', async () => {
    if (!server || !client) throw new Error('dynalite is not running');
    const flags = ['--endpoint', server.endpoint, '--table', table];
    const initial = 150;
    await loadSessions(client, table, { count: initial, expires: secondsFromNow(-60) });
    const purge = spawnBin([
      'purge',
      ...flags,
      '--max-rps',
      '50',
      '--concurrency',
      '1',
      '--progress-interval',
      '0.001',
    ]);
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (/deleted [1-9]/.test(purge.stderr())) {
          clearInterval(poll);
          resolve();
        }
      }, 5);
    });
    purge.child.kill('SIGINT');
    const { code, stdout, stderr } = await purge.exited;
    expect(code).toBe(130);
    expect(stderr).toContain('Interrupted: waiting for the deletes already sent to finish...');
    expect(stdout).toMatch(/^Purge of table \S+ \(prefix "sess:"\) interrupted after \d+\.\d s:\n/);
    expect(stdout).toContain('Run purge again to delete the expired sessions that remain.\n');
    const deleted = Number(/ {2}deleted: +(\d+)\n/.exec(stdout)?.[1]);
    expect(deleted).toBeGreaterThan(0);
    expect(deleted).toBeLessThan(initial);

    const rest = await cli(['purge', ...flags, '--json', '--no-progress']);
    expect(rest.json()).toMatchObject({ found: initial - deleted, deleted: initial - deleted });
  });
});
