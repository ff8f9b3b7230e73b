// Fast tests of the app's sessions: an in-memory repository instead of DynamoDB, and
// `app.inject()` instead of a listening server.
import { SessionStoreError } from '@dynamodb-session/core';
import { createMemoryRepository } from '@dynamodb-session/core/testing';
import { DynamoDBStore } from '@dynamodb-session/fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../src/app.js';
import { browser } from './browser';

const secret = 'a test secret of 32 characters or more';

/** The app on a store whose sessions live in memory, on a clock the test moves. */
function appInMemory(options: { maxAgeMs?: number } = {}) {
  const clock = { now: Date.now() };
  const repository = createMemoryRepository({ now: () => clock.now });
  const app = createApp({ store: new DynamoDBStore({ repository }), secret, ...options });
  return { app, repository, clock };
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('sessions of the app, in memory', () => {
  it('counts visits per browser', async () => {
    const { app } = appInMemory();
    const ann = browser(app);
    const bob = browser(app);
    expect(await ann('GET', '/count')).toEqual({ status: 200, body: { views: 1 } });
    expect(await ann('GET', '/count')).toEqual({ status: 200, body: { views: 2 } });
    expect(await bob('GET', '/count')).toEqual({ status: 200, body: { views: 1 } });
    expect(await ann('GET', '/peek')).toEqual({ status: 200, body: { views: 2 } });
  });

  it('logs in under a new session id, and logs out on the server too', async () => {
    const { app, repository } = appInMemory();
    const ann = browser(app);
    await ann('GET', '/count');
    const anonymous = ann.sessionId();
    expect(await ann('POST', '/login', { user: 'ann' })).toEqual({
      status: 200,
      body: { user: 'ann' },
    });
    expect(ann.sessionId()).not.toBe(anonymous);
    expect(await repository.length()).toBe(1);

    const stolen = { sessionId: ann.sessionId() as string };
    expect(await ann('POST', '/logout')).toEqual({ status: 200, body: { ok: true } });
    expect(await repository.length()).toBe(0);
    const replay = await app.inject({ method: 'GET', url: '/me', cookies: stolen });
    expect(replay.statusCode).toBe(401);
  });

  it('forgets a session once its cookie has expired, without waiting for it', async () => {
    const { app, clock } = appInMemory({ maxAgeMs: 60_000 });
    const ann = browser(app);
    await ann('POST', '/login', { user: 'ann' });
    clock.now += 59_000;
    expect(await ann('GET', '/me')).toEqual({ status: 200, body: { user: 'ann' } });
    // the last request rolled the cookie's expiry (on real time): move past a whole maxAge
    clock.now += 61_000;
    expect(await ann('GET', '/me')).toMatchObject({ status: 401 });
  });

  it('keeps a session alive while it is used (fake Date, real timers)', async () => {
    vi.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
    const repository = createMemoryRepository();
    const app = createApp({ store: new DynamoDBStore({ repository }), secret, maxAgeMs: 60_000 });
    const ann = browser(app);
    await ann('POST', '/login', { user: 'ann' });
    for (let step = 0; step < 5; step++) {
      vi.setSystemTime(Date.now() + 40_000);
      expect(await ann('GET', '/me')).toEqual({ status: 200, body: { user: 'ann' } });
    }
    vi.setSystemTime(Date.now() + 61_000);
    expect(await ann('GET', '/me')).toMatchObject({ status: 401 });
  });

  it('reads an unchanged session without writing it back', async () => {
    const { app, repository } = appInMemory();
    const ann = browser(app);
    await ann('POST', '/login', { user: 'ann' });
    const before = repository.metrics().requests;
    for (let i = 0; i < 5; i++) await ann('GET', '/me');
    const after = repository.metrics().requests;
    expect(after.GetItem).toBe((before.GetItem ?? 0) + 5);
    expect(after.PutItem).toBe(before.PutItem);
    expect(after.UpdateItem).toBe(before.UpdateItem);
  });

  it('answers 500 with the error code when the session store fails, and recovers', async () => {
    const { app, repository } = appInMemory();
    const ann = browser(app);
    await ann('GET', '/count');
    vi.spyOn(repository, 'get').mockRejectedValueOnce(
      new SessionStoreError('THROTTLED', 'DynamoDB throttled the read'),
    );
    expect(await ann('GET', '/peek')).toEqual({ status: 500, body: { error: 'THROTTLED' } });
    expect(await ann('GET', '/peek')).toEqual({ status: 200, body: { views: 1 } });
  });
});
