// The same app on a real (local) DynamoDB: dynalite in this process, or the server in
// DYNAMODB_ENDPOINT (e.g. DynamoDB Local in CI), with a table of its own for this file.
const { afterAll, beforeAll, describe, expect, it } = require('@jest/globals');
const request = require('supertest');
const { SessionRepository } = require('@dynamodb-session/core');
const { startLocalDynamoDB } = require('@dynamodb-session/core/testing');
const { DynamoDBStore } = require('@dynamodb-session/express');
const { createApp } = require('../src/app');

/** @type {import('@dynamodb-session/core/testing').LocalDynamoDB} */
let local;
/** @type {DynamoDBStore} */
let store;

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
    const browser = request.agent(createApp({ store }));
    await browser.get('/').expect(200, { views: 1, user: null });
    await browser.post('/login').send({ user: 'ann' }).expect(200);
    await browser.get('/').expect(200, { views: 1, user: 'ann' });
    await browser.get('/me').expect(200, { user: 'ann' });

    const sessions = [];
    for await (const { data } of new SessionRepository(local.repositoryOptions).all()) {
      sessions.push(data);
    }
    expect(sessions).toContainEqual(expect.objectContaining({ user: 'ann', views: 1 }));
  });

  it('deletes the session item on logout', async () => {
    const browser = request.agent(createApp({ store }));
    await browser.post('/login').send({ user: 'bob' }).expect(200);
    const before = await store.repository.length();
    await browser.post('/logout').expect(200, { ok: true });
    expect(await store.repository.length()).toBe(before - 1);
    await browser.get('/me').expect(401);
  });
});
