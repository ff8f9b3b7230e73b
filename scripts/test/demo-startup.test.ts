import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root } from './workspace-packages';

/** What a demo printed, and how it ended. */
interface Ended {
  code: number | null;
  output: string;
}

/** Starts `node <args>` in `cwd` with `env` on top of a bare environment (no AWS variables). */
function start(
  args: string[],
  cwd: string,
  env: Record<string, string>,
): { child: ChildProcess; output(): string; ended: Promise<Ended> } {
  const home = mkdtempSync(join(tmpdir(), 'demo-home-'));
  const child = spawn(process.execPath, args, {
    cwd,
    env: {
      PATH: process.env.PATH,
      HOME: home,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const ended = new Promise<Ended>((resolve) => {
    child.on('close', (code) => resolve({ code, output }));
  });
  return { child, output: () => output, ended };
}

function listening(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

describe.each(['express', 'koa', 'fastify'])('the %s demo says what to do', (name) => {
  const directory = join(root, 'examples', name);
  let taken: Server;
  let takenPort = 0;

  beforeAll(async () => {
    taken = createServer((_request, response) => response.end('busy'));
    takenPort = await listening(taken);
  });
  afterAll(() => {
    taken.close();
  });

  it('when its port is taken: names the port and PORT, exits 1, no stack', async () => {
    const { code, output } = await start(['src/server.js'], directory, {
      PORT: String(takenPort),
      DEMO_COMMAND: `npm run demo -- ${name}`,
    }).ended;
    expect(code).toBe(1);
    expect(output).toContain(
      `demo: port ${takenPort} on 127.0.0.1 is taken by another program: stop what runs there, ` +
        `or pick another port:\n  PORT=${takenPort + 1} npm run demo -- ${name}\n`,
    );
    expect(output).not.toMatch(/TypeError|EADDRINUSE|\n {4}at /);
  });

  it('when an external endpoint has no credentials: says what to set, exits 1, no stack', async () => {
    const endpoint = `http://127.0.0.1:${takenPort}`;
    const { code, output } = await start(['src/server.js'], directory, {
      PORT: '0',
      DYNAMODB_ENDPOINT: endpoint,
    }).ended;
    expect(code).toBe(1);
    expect(output).toContain(
      'demo: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: a local server accepts any values, e.g.\n' +
        `  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local DYNAMODB_ENDPOINT=${endpoint} node src/server.js\n`,
    );
    expect(output).not.toMatch(/\n {4}at /);
  });
});

describe.each([
  ['crud', 'src/walkthrough.js'],
  ['lambda', 'src/local.js'],
])('the %s demo, pointed at an endpoint without credentials', (name, script) => {
  it('says what to set, exits 1, no stack', async () => {
    const endpoint = 'http://127.0.0.1:9';
    const { code, output } = await start([script], join(root, 'examples', name), {
      DYNAMODB_ENDPOINT: endpoint,
      DEMO_COMMAND: `npm run demo -- ${name}`,
    }).ended;
    expect(code).toBe(1);
    expect(output).toContain(
      'demo: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: a local server accepts any values, e.g.\n' +
        `  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local DYNAMODB_ENDPOINT=${endpoint} npm run demo -- ${name}\n`,
    );
    expect(output).not.toMatch(/\n {4}at /);
  });
});

describe('npm run demo', () => {
  it('ends with its server on SIGTERM to npm, which runs it through sh: nothing keeps answering', async () => {
    const npm = spawn('npm', ['run', 'demo'], {
      cwd: root,
      env: { ...process.env, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    npm.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    npm.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const url = await new Promise<string>((resolve, reject) => {
      const poll = setInterval(() => {
        const found = /listening on (http:\/\/\S+)/.exec(output)?.[1];
        if (found) {
          clearInterval(poll);
          resolve(found);
        }
      }, 50);
      npm.on('exit', () => {
        clearInterval(poll);
        reject(new Error(`npm run demo ended:\n${output}`));
      });
    });
    expect((await fetch(url, { headers: { accept: 'application/json' } })).status).toBe(200);

    npm.kill('SIGTERM');
    let answering = true;
    for (let attempt = 0; attempt < 40 && answering; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      answering = await fetch(url).then(
        () => true,
        () => false,
      );
    }
    expect(answering).toBe(false);
  }, 180_000);
});
