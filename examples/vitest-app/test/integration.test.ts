// The same app on a real (local) DynamoDB: dynalite in this process, or the server in
// DYNAMODB_ENDPOINT (e.g. DynamoDB Local in CI), with a table of its own for this file.
import { SessionRepository } from '@dynamodb-session/core';
import { type LocalDynamoDB, startLocalDynamoDB } from '@dynamodb-session/core/testing';
import { DynamoDBStore } from '@dynamodb-session/fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { browser } from './browser';

const secret = 'a test secret of 32 characters or more';
let local: LocalDynamoDB;
let store: DynamoDBStore;

beforeAll(async () => {
  local = await startLocalDynamoDB();
  store = new DynamoDBStore(local.repositoryOptions);
});

afterAll(async () => {
  store?.close();
  await local?.stop();
});

describe('sessions of the app, in a local DynamoDB', () => {
  it('keeps the session in the table across requests', async () => {
    const ann = browser(createApp({ store, secret }));
    expect(await ann('GET', '/count')).toEqual({ status: 200, body: { views: 1 } });
    await ann('POST', '/login', { user: 'ann' });
    expect(await ann('GET', '/count')).toEqual({ status: 200, body: { views: 1 } });
    expect(await ann('GET', '/me')).toEqual({ status: 200, body: { user: 'ann' } });

    const sessions = [];
    for await (const { data } of new SessionRepository(local.repositoryOptions).all()) {
      sessions.push(data);
    }
    expect(sessions).toContainEqual(expect.objectContaining({ user: 'ann', views: 1 }));
  });

  it('deletes the session item on logout', async () => {
    const bob = browser(createApp({ store, secret }));
    await bob('POST', '/login', { user: 'bob' });
    const before = await store.repository.length();
    expect(await bob('POST', '/logout')).toEqual({ status: 200, body: { ok: true } });
    expect(await store.repository.length()).toBe(before - 1);
    expect(await bob('GET', '/me')).toMatchObject({ status: 401 });
  });
});
