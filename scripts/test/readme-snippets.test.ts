import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root } from './workspace-packages';

/**
 * The README's code blocks marked `<!-- snippet: name -->`, run as written: each saved as a
 * user would save it (app.mjs / app.cjs in a project whose package.json says
 * "type": "commonjs", as `npm init -y` writes it), next to an example package whose
 * node_modules hold what the snippet imports. The AWS SDK finds its own dynalite through
 * AWS_ENDPOINT_URL_DYNAMODB, as the README says; a preload moves `listen(3000)` to a free port
 * on 127.0.0.1 and reports it.
 */
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const snippets = new Map(
  [...readme.matchAll(/<!-- snippet: (\S+) -->\s*```js\n([\s\S]*?)```/g)].map(
    ([, name = '', code = '']) => [name, code],
  ),
);

const SECRET = 'a-test-secret-of-at-least-32-characters';
const PRELOAD = `
const net = require('node:net');
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const callback = typeof args[args.length - 1] === 'function' ? args.pop() : undefined;
  this.once('listening', () => process.stderr.write('snippet listening on ' + this.address().port + '\\n'));
  return listen.call(this, { port: 0, host: '127.0.0.1' }, ...(callback ? [callback] : []));
};
`;

/** The example package whose dependencies a snippet imports. */
const HOME_OF: Record<string, string> = {
  'create-table': 'crud',
  direct: 'crud',
  express: 'express',
  'express-login': 'express',
  koa: 'koa',
  fastify: 'fastify',
};

const projects: string[] = [];
const children: ChildProcess[] = [];

/** A project folder next to an example (so its node_modules resolve), with one package.json. */
function project(example: string, type: 'commonjs' | 'module'): string {
  const directory = join(
    root,
    'examples',
    example,
    `.readme-snippet-${projects.length}-${process.pid}`,
  );
  mkdirSync(directory, { recursive: true });
  writeFileSync(join(directory, 'package.json'), JSON.stringify({ name: 'app', type }));
  writeFileSync(join(directory, 'loopback.cjs'), PRELOAD);
  projects.push(directory);
  return directory;
}

function snippet(name: string): string {
  const code = snippets.get(name);
  if (code === undefined) throw new Error(`README.md has no snippet ${name}`);
  return code;
}

/** Saves `code` as `file` in a new project next to `example` and runs it with node. */
function runApp(
  example: string,
  file: string,
  code: string,
  endpoint: string,
  type: 'commonjs' | 'module' = 'commonjs',
): {
  child: ChildProcess;
  port: Promise<number>;
  ended: Promise<{ code: number | null; output: string }>;
} {
  const directory = project(example, type);
  writeFileSync(join(directory, file), code);
  const child = spawn(process.execPath, ['--require', './loopback.cjs', file], {
    cwd: directory,
    env: {
      PATH: process.env.PATH,
      HOME: directory,
      AWS_ENDPOINT_URL_DYNAMODB: endpoint,
      AWS_REGION: 'local',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      SESSION_SECRET: SECRET,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  const ended = new Promise<{ code: number | null; output: string }>((resolve) => {
    child.on('close', (code) => resolve({ code, output }));
  });
  const port = new Promise<number>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /snippet listening on (\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void ended.then(({ code }) => reject(new Error(`${file} ended (${code}):\n${output}`)));
  });
  port.catch(() => {}); // awaited only by the tests of apps that serve

  return { child, port, ended };
}

/** A cookie jar like a browser's on http://: a cookie marked Secure is not kept. */
function browser(port: number) {
  const jar = new Map<string, string>();
  return async (path: string, init: RequestInit = {}) => {
    const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(`http://127.0.0.1:${port}${path}`, {
      ...init,
      redirect: 'manual',
      headers: { ...(cookie && { cookie }), ...init.headers },
    });
    for (const line of response.headers.getSetCookie()) {
      if (/;\s*secure/i.test(line)) continue;
      const [pair = ''] = line.split(';');
      const index = pair.indexOf('=');
      jar.set(pair.slice(0, index).trim(), pair.slice(index + 1).trim());
    }
    return response;
  };
}

async function threeVisits(port: number): Promise<unknown[]> {
  const get = browser(port);
  const views: unknown[] = [];
  for (let visit = 0; visit < 3; visit++) views.push(await (await get('/')).json());
  return views;
}

/** An in-memory DynamoDB of this file's own, on 127.0.0.1. */
async function startDynalite(): Promise<{ server: Server; endpoint: string }> {
  const require = createRequire(join(root, 'examples', 'crud', 'package.json'));
  const dynalite = require('dynalite') as (options: object) => Server;
  const server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('the README snippets, pasted', () => {
  let withTable: { server: Server; endpoint: string };
  let withoutTable: { server: Server; endpoint: string };

  beforeAll(async () => {
    [withTable, withoutTable] = await Promise.all([startDynalite(), startDynalite()]);
    // the "create the table" snippet, run first, as the README orders it
    const created = await runApp(
      'crud',
      'create-table.mjs',
      snippet('create-table.mjs'),
      withTable.endpoint,
    ).ended;
    expect(created).toMatchObject({ code: 0 });
  }, 60_000);
  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    for (const directory of projects) rmSync(directory, { recursive: true, force: true });
    withTable?.server.close();
    withoutTable?.server.close();
  });

  it('marks every snippet the tests run', () => {
    expect([...snippets.keys()].sort()).toEqual(
      [
        'create-table.mjs',
        'direct.mjs',
        'express-login.mjs',
        'express.cjs',
        'express.mjs',
        'fastify.cjs',
        'fastify.mjs',
        'koa.cjs',
        'koa.mjs',
      ].sort(),
    );
  });

  it.each(['express.mjs', 'express.cjs', 'koa.mjs', 'koa.cjs', 'fastify.mjs', 'fastify.cjs'])(
    '%s counts visits over plain HTTP, in a "type": "commonjs" project',
    async (name) => {
      const framework = name.replace(/\..*/, '');
      const app = runApp(
        HOME_OF[framework] as string,
        `app.${name.split('.')[1]}`,
        snippet(name),
        withTable.endpoint,
      );
      const views = await threeVisits(await app.port);
      expect(views).toEqual([{ views: 1 }, { views: 2 }, { views: 3 }]);
      app.child.kill('SIGTERM');
    },
    30_000,
  );

  it('an ES module snippet as app.js: fails in a "type": "commonjs" project, as the README warns, and runs with "type": "module"', async () => {
    const commonjs = runApp('express', 'app.js', snippet('express.mjs'), withTable.endpoint);
    const failed = await commonjs.ended;
    expect(failed.code).not.toBe(0);
    expect(failed.output).toContain('SyntaxError: Cannot use import statement outside a module');

    const module = runApp(
      'express',
      'app.js',
      snippet('express.mjs'),
      withTable.endpoint,
      'module',
    );
    expect(await threeVisits(await module.port)).toEqual([
      { views: 1 },
      { views: 2 },
      { views: 3 },
    ]);
    module.child.kill('SIGTERM');
  }, 30_000);

  it('express-login.mjs below express.mjs: a login whose save fails answers 500, not 200', async () => {
    const code = `${snippet('express.mjs')}\n${snippet('express-login.mjs')}`;
    const login = (port: number) =>
      browser(port)('/login', { method: 'POST', body: new URLSearchParams({ user: 'ann' }) });

    const working = runApp('express', 'app.mjs', code, withTable.endpoint);
    const saved = await login(await working.port);
    expect(saved.status).toBe(303);
    expect(saved.headers.getSetCookie().join()).toContain('connect.sid=');
    working.child.kill('SIGTERM');

    const broken = runApp('express', 'app.mjs', code, withoutTable.endpoint);
    const failed = await login(await broken.port);
    expect(failed.status).toBe(500);
    expect(await failed.json()).toEqual({ error: 'could not save the session, please try again' });
    broken.child.kill('SIGTERM');
    expect((await broken.ended).output).toContain('TABLE_NOT_FOUND');
  }, 30_000);

  it('direct.mjs runs to its end', async () => {
    const direct = await runApp('crud', 'app.mjs', snippet('direct.mjs'), withTable.endpoint).ended;
    expect(direct).toMatchObject({ code: 0 });
  }, 30_000);
});
