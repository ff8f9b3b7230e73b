// Fast tests of the app's sessions: an in-memory repository instead of DynamoDB, no server.
const { afterEach, describe, expect, it, jest: jestObject } = require('@jest/globals');
const request = require('supertest');
const { SessionStoreError } = require('@dynamodb-session/core');
const { createMemoryRepository } = require('@dynamodb-session/core/testing');
const { DynamoDBStore } = require('@dynamodb-session/express');
const { createApp } = require('../src/app');

/**
 * The app on a store whose sessions live in memory, on a clock the test moves.
 * @param {{ maxAgeMs?: number }} [options]
 */
function appInMemory(options = {}) {
  const clock = { now: Date.now() };
  const repository = createMemoryRepository({ now: () => clock.now });
  const app = createApp({ store: new DynamoDBStore({ repository }), ...options });
  return { app, repository, clock };
}

afterEach(() => {
  jestObject.useRealTimers();
});

describe('sessions of the app, in memory', () => {
  it('counts visits per browser', async () => {
    const { app } = appInMemory();
    const ann = request.agent(app);
    const bob = request.agent(app);
    await ann.get('/').expect(200, { views: 1, user: null });
    await ann.get('/').expect(200, { views: 2, user: null });
    await bob.get('/').expect(200, { views: 1, user: null });
    await ann.get('/').expect(200, { views: 3, user: null });
  });

  it('logs in under a new session id, and logs out on the server too', async () => {
    const { app, repository } = appInMemory();
    const browser = request.agent(app);
    const anonymous = sessionCookie(await browser.get('/').expect(200));
    const login = await browser.post('/login').send({ user: 'ann' }).expect(200, { user: 'ann' });
    expect(sessionCookie(login)).not.toBe(anonymous);
    expect(await repository.length()).toBe(1);
    await browser.get('/me').expect(200, { user: 'ann' });

    const stolen = sessionCookie(await browser.get('/me').expect(200));
    await browser.post('/logout').expect(200, { ok: true });
    expect(await repository.length()).toBe(0);
    await request(app).get('/me').set('Cookie', stolen).expect(401);
  });

  it('forgets a session once its cookie has expired, without waiting for it', async () => {
    const { app, clock } = appInMemory({ maxAgeMs: 60_000 });
    const browser = request.agent(app);
    await browser.post('/login').send({ user: 'ann' }).expect(200);
    clock.now += 59_000;
    await browser.get('/me').expect(200, { user: 'ann' });
    // the last request rolled the cookie's expiry (on real time): move past a whole maxAge
    clock.now += 61_000;
    await browser.get('/me').expect(401);
  });

  it('keeps a session alive while it is used (fake Date, real timers)', async () => {
    jestObject.useFakeTimers({ now: Date.now(), doNotFake: [...fakeOnlyDate] });
    const repository = createMemoryRepository();
    const app = createApp({ store: new DynamoDBStore({ repository }), maxAgeMs: 60_000 });
    const browser = request.agent(app);
    await browser.post('/login').send({ user: 'ann' }).expect(200);
    for (let minute = 0; minute < 5; minute++) {
      jestObject.setSystemTime(Date.now() + 40_000);
      await browser.get('/me').expect(200, { user: 'ann' });
    }
    jestObject.setSystemTime(Date.now() + 61_000);
    await browser.get('/me').expect(401);
  });

  it('reads an unchanged session without writing it back', async () => {
    const { app, repository } = appInMemory();
    const browser = request.agent(app);
    await browser.post('/login').send({ user: 'ann' }).expect(200);
    const before = repository.metrics().requests;
    for (let i = 0; i < 5; i++) await browser.get('/me').expect(200);
    const after = repository.metrics().requests;
    expect(after.GetItem).toBe((before.GetItem ?? 0) + 5);
    expect(after.PutItem).toBe(before.PutItem);
    expect(after.UpdateItem).toBe(before.UpdateItem);
  });

  it('answers 500 with the error code when the session store fails, and recovers', async () => {
    const { app, repository } = appInMemory();
    const browser = request.agent(app);
    await browser.get('/').expect(200, { views: 1, user: null });
    jestObject
      .spyOn(repository, 'get')
      .mockRejectedValueOnce(new SessionStoreError('THROTTLED', 'DynamoDB throttled the read'));
    await browser.get('/').expect(500, { error: 'THROTTLED' });
    await browser.get('/').expect(200, { views: 2, user: null });
  });
});

/**
 * The session cookie a response set, as a `Cookie` header for another request.
 * @param {request.Response} response
 */
function sessionCookie(response) {
  const [cookie = ''] = /** @type {string[] | undefined} */ (response.get('Set-Cookie')) ?? [];
  return cookie.split(';')[0] ?? '';
}

/** Everything jest can fake except `Date`: HTTP needs real timers. */
const fakeOnlyDate = /** @type {const} */ ([
  'hrtime',
  'nextTick',
  'performance',
  'queueMicrotask',
  'requestAnimationFrame',
  'cancelAnimationFrame',
  'requestIdleCallback',
  'cancelIdleCallback',
  'setImmediate',
  'clearImmediate',
  'setInterval',
  'clearInterval',
  'setTimeout',
  'clearTimeout',
]);
