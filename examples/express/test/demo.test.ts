import { useDemoServer } from '@dynamodb-session/test-support';
import { describe, expect, it } from 'vitest';

const demo = useDemoServer(new URL('../src/server.js', import.meta.url));
const cookieJarClient = demo.browser;

describe('the express demo (embedded dynalite)', () => {
  it('counts visits per cookie, logs in and logs out', async () => {
    const browser = cookieJarClient();
    const counts: number[] = [];
    for (let i = 0; i < 3; i++)
      counts.push(((await (await browser('/')).json()) as { views: number }).views);
    expect(counts).toEqual([1, 2, 3]);

    const stranger = cookieJarClient();
    expect(await (await stranger('/')).json()).toEqual({ views: 1, user: null });

    const login = await browser('/login', {
      method: 'POST',
      body: new URLSearchParams({ user: 'ann' }),
    });
    expect(login.status).toBe(303);
    expect(await (await browser('/')).json()).toEqual({ views: 1, user: 'ann' });
    expect(await (await browser('/')).json()).toEqual({ views: 2, user: 'ann' });

    const logout = await browser('/logout', { method: 'POST' });
    expect(logout.status).toBe(303);
    expect(await (await browser('/')).json()).toEqual({ views: 1, user: null });
  });

  it('serves an HTML page to a browser', async () => {
    const response = await fetch(`${demo.url()}/`, { headers: { accept: 'text/html' } });
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expect(await response.text()).toContain('<h1>Visits: 1</h1>');
  });
});
