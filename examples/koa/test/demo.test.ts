import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const serverScript = fileURLToPath(new URL('../src/server.js', import.meta.url));
let child: ChildProcess;
let baseUrl = '';

beforeAll(async () => {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0' };
  delete env.AWS_REGION;
  delete env.DYNAMODB_ENDPOINT;
  child = spawn(process.execPath, [serverScript], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo did not start:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1].replace(/\/$/, ''));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`demo exited with ${code}:\n${output}`)));
  });
});

afterAll(() => {
  child?.kill('SIGTERM');
});

/**
 * A client that keeps cookies between requests, like curl with a cookie jar: koa-session sets
 * two, the session key and its signature.
 */
function cookieJarClient() {
  const jar = new Map<string, string>();
  const send = async (path: string, init: RequestInit = {}) => {
    const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(baseUrl + path, {
      ...init,
      redirect: 'manual',
      headers: { accept: 'application/json', ...(cookie && { cookie }), ...init.headers },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const [name = '', value = ''] = pair.split('=');
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) jar.delete(name);
      else jar.set(name, value);
    }
    return response;
  };
  return Object.assign(send, { sessionKey: () => jar.get('koa.sess') });
}

describe('the koa demo (embedded dynalite)', () => {
  it('counts visits per cookie, logs in with a new session key and logs out', async () => {
    const browser = cookieJarClient();
    const counts: number[] = [];
    for (let i = 0; i < 3; i++)
      counts.push(((await (await browser('/')).json()) as { views: number }).views);
    expect(counts).toEqual([1, 2, 3]);
    const anonymousKey = browser.sessionKey();
    expect(anonymousKey).toMatch(/^[0-9a-f-]{36}$/);

    const stranger = cookieJarClient();
    expect(await (await stranger('/')).json()).toEqual({ views: 1, user: null });

    const login = await browser('/login', {
      method: 'POST',
      body: new URLSearchParams({ user: 'ann' }),
    });
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/');
    expect(browser.sessionKey()).not.toBe(anonymousKey);
    expect(await (await browser('/')).json()).toEqual({ views: 1, user: 'ann' });
    expect(await (await browser('/')).json()).toEqual({ views: 2, user: 'ann' });

    const logout = await browser('/logout', { method: 'POST' });
    expect(logout.status).toBe(303);
    expect(browser.sessionKey()).toBeUndefined();
    expect(await (await browser('/')).json()).toEqual({ views: 1, user: null });
  });

  it('forgets the logged-out session on the server, not only in the browser', async () => {
    const browser = cookieJarClient();
    await browser('/login', { method: 'POST', body: new URLSearchParams({ user: 'bob' }) });
    const stolen = cookieJarClient();
    const cookie = (await browser('/')).headers.getSetCookie().map((line) => line.split(';')[0]);
    expect(await (await browser('/')).json()).toEqual({ views: 2, user: 'bob' });
    await browser('/logout', { method: 'POST' });
    const replay = await stolen('/', { headers: { cookie: cookie.join('; ') } });
    expect(await replay.json()).toEqual({ views: 1, user: null });
  });

  it('serves an HTML page to a browser', async () => {
    const response = await fetch(`${baseUrl}/`, { headers: { accept: 'text/html' } });
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expect(await response.text()).toContain('<h1>Visits: 1</h1>');
  });
});
