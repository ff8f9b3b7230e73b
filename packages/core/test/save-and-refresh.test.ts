import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fingerprintSession, SessionRepository } from '../src/index';

const client = new DynamoDBClient({ region: 'us-east-1' });
const dynamo = mockClient(client);
const NOW = Date.parse('2030-06-01T12:00:00.250Z');
const inOneHour = NOW + 3_600_000;

function storedItem(data: object, expiresAt: number) {
  return {
    Item: {
      id: { S: 'sess:abc' },
      expires: { N: String(Math.ceil(expiresAt / 1000)) },
      sess: { S: JSON.stringify(data) },
    },
  };
}

beforeEach(() => {
  dynamo.reset();
  dynamo.on(PutItemCommand).resolves({});
  dynamo.on(UpdateItemCommand).resolves({});
  vi.useFakeTimers({ now: NOW, toFake: ['Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('save', () => {
  it('writes the whole session when this repository has not seen it', async () => {
    const repository = new SessionRepository({ client, touchAfterMs: 0 });
    expect(await repository.save('abc', { n: 1 }, inOneHour)).toBe('written');
    expect(dynamo).toHaveReceivedCommandTimes(PutItemCommand, 1);
  });

  it('writes the whole session when its data changed since it was read', async () => {
    dynamo.on(GetItemCommand).resolves(storedItem({ n: 1 }, inOneHour));
    const repository = new SessionRepository({ client, touchAfterMs: 0 });
    await repository.get('abc');
    expect(await repository.save('abc', { n: 2 }, inOneHour)).toBe('written');
    expect(dynamo).toHaveReceivedCommandTimes(PutItemCommand, 1);
  });

  it('only refreshes the expiry of unchanged data, ignoring the expiry fields in it', async () => {
    const cookie = { originalMaxAge: 3_600_000, expires: new Date(inOneHour).toISOString() };
    dynamo.on(GetItemCommand).resolves(storedItem({ n: 1, cookie }, inOneHour));
    const repository = new SessionRepository({ client, touchAfterMs: 0 });
    await repository.get('abc');
    vi.setSystemTime(NOW + 5_000);
    const later = NOW + 5_000 + 3_600_000;
    const rolled = { n: 1, cookie: { ...cookie, expires: new Date(later).toISOString() } };
    expect(await repository.save('abc', rolled, later)).toBe('refreshed');
    expect(dynamo).toHaveReceivedCommandTimes(PutItemCommand, 0);
    expect(dynamo).toHaveReceivedCommandWith(UpdateItemCommand, {
      ExpressionAttributeValues: expect.objectContaining({
        ':v0': { N: String(Math.ceil(later / 1000)) },
      }),
    });
  });

  it('compares with the data as stored, not as a read brought its expiry up to the TTL', async () => {
    const cookie = { originalMaxAge: 3_600_000, expires: new Date(NOW + 1_000).toISOString() };
    dynamo.on(GetItemCommand).resolves(storedItem({ n: 1, cookie }, inOneHour));
    const repository = new SessionRepository({ client, touchAfterMs: 0 });
    const read = await repository.get('abc');
    expect(read?.cookie).toEqual({
      ...cookie,
      expires: new Date(Math.ceil(inOneHour / 1000) * 1000).toISOString(),
    });
    const later = inOneHour + 60_000;
    const rolled = { n: 1, cookie: { ...cookie, expires: new Date(later) } };
    expect(await repository.save('abc', rolled, later)).toBe('refreshed');
    expect(dynamo).toHaveReceivedCommandTimes(PutItemCommand, 0);
    expect(await repository.save('abc', { ...rolled, n: 2 }, later)).toBe('written');
  });

  it('writes nothing for unchanged data whose expiry has not moved a whole second', async () => {
    dynamo.on(GetItemCommand).resolves(storedItem({ n: 1 }, inOneHour));
    const repository = new SessionRepository({ client, touchAfterMs: 0 });
    await repository.get('abc');
    expect(await repository.save('abc', { n: 1 }, inOneHour + 300)).toBe('skipped');
    expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(0);
    expect(dynamo.commandCalls(UpdateItemCommand)).toHaveLength(0);
  });

  it('does not bring back a session deleted since it was read', async () => {
    dynamo.on(GetItemCommand).resolves(storedItem({ n: 1 }, inOneHour));
    dynamo
      .on(UpdateItemCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'gone', $metadata: {} }));
    const repository = new SessionRepository({ client, touchAfterMs: 0 });
    await repository.get('abc');
    expect(await repository.save('abc', { n: 1 }, inOneHour + 60_000)).toBe('missing');
    expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(0);
  });

  it('does not bring back a destroyed session on an unchanged save, and a changed save is conditional on no tombstone', async () => {
    dynamo.on(GetItemCommand).resolves(storedItem({ n: 1 }, inOneHour));
    dynamo
      .on(UpdateItemCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'gone', $metadata: {} }));
    const repository = new SessionRepository({ client, touchAfterMs: 0 });
    await repository.get('abc');
    await repository.destroy('abc');
    const tombstones = dynamo.commandCalls(PutItemCommand).length;
    expect(await repository.save('abc', { n: 1 }, inOneHour)).toBe('missing');
    expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(tombstones);
    dynamo
      .on(PutItemCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'tombstone', $metadata: {} }));
    expect(await repository.save('abc', { n: 2 }, inOneHour)).toBe('missing');
    expect(dynamo).toHaveReceivedCommandWith(PutItemCommand, {
      ConditionExpression: 'attribute_exists(#n0) OR NOT #n1 > :v0',
      ExpressionAttributeNames: { '#n0': 'sess', '#n1': 'expires' },
    });
  });

  it('never brings back a session that a refresh or a read found gone, for any later unchanged save', async () => {
    dynamo
      .on(GetItemCommand)
      .resolvesOnce(storedItem({ n: 1 }, inOneHour))
      .resolves({});
    dynamo
      .on(UpdateItemCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'gone', $metadata: {} }));
    const repository = new SessionRepository({ client, touchAfterMs: 0 });
    await repository.get('abc');
    expect(await repository.save('abc', { n: 1 }, inOneHour + 60_000)).toBe('missing');
    expect(await repository.save('abc', { n: 1 }, inOneHour + 61_000)).toBe('missing');
    expect(await repository.get('abc')).toBeNull();
    expect(await repository.save('abc', { n: 1 }, inOneHour + 62_000)).toBe('missing');
    expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(0);
  });

  it('refreshes when the new expiry is earlier than the stored one', async () => {
    dynamo.on(GetItemCommand).resolves(storedItem({ n: 1 }, NOW + 86_400_000));
    const repository = new SessionRepository({ client, touchAfterMs: 60_000 });
    await repository.get('abc');
    expect(await repository.save('abc', { n: 1 }, NOW + 60_000)).toBe('refreshed');
    expect(dynamo).toHaveReceivedCommandWith(UpdateItemCommand, {
      ExpressionAttributeValues: expect.objectContaining({
        ':v0': { N: String(Math.ceil((NOW + 60_000) / 1000)) },
      }),
    });
  });

  it('remembers nothing with trackedSessions: 0', async () => {
    dynamo.on(GetItemCommand).resolves(storedItem({ n: 1 }, inOneHour));
    const repository = new SessionRepository({ client, trackedSessions: 0 });
    await repository.get('abc');
    expect(await repository.save('abc', { n: 1 }, inOneHour)).toBe('written');
  });

  it('forgets the least recently used session beyond trackedSessions', async () => {
    dynamo.on(GetItemCommand).resolves(storedItem({ n: 1 }, inOneHour));
    const repository = new SessionRepository({ client, trackedSessions: 2 });
    await repository.get('a');
    await repository.get('b');
    await repository.get('c');
    expect(await repository.save('a', { n: 1 }, inOneHour)).toBe('written');
    expect(await repository.save('c', { n: 1 }, inOneHour)).toBe('skipped');
  });

  it('writes a save that follows its own write without a read (another process may have written since)', async () => {
    const repository = new SessionRepository({ client, touchAfterMs: 60_000 });
    await repository.set('abc', { n: 1 }, inOneHour);
    expect(await repository.save('abc', { n: 1 }, inOneHour)).toBe('written');
    expect(dynamo).toHaveReceivedCommandTimes(PutItemCommand, 2);
    expect(dynamo).toHaveReceivedCommandTimes(GetItemCommand, 0);
  });
});

describe('refresh', () => {
  it('skips while the stored expiry lags by no more than touchAfterMs', async () => {
    const repository = new SessionRepository({ client, touchAfterMs: 60_000 });
    await repository.set('abc', { n: 1 }, inOneHour);
    expect(await repository.refresh('abc', inOneHour + 59_000)).toBe('skipped');
    expect(await repository.refresh('abc', inOneHour + 61_000)).toBe('refreshed');
    expect(await repository.refresh('abc', inOneHour + 62_000)).toBe('skipped');
    expect(dynamo.commandCalls(UpdateItemCommand)).toHaveLength(1);
  });

  it('touches a session it has never seen', async () => {
    const repository = new SessionRepository({ client, touchAfterMs: 0 });
    expect(await repository.refresh('abc', inOneHour)).toBe('refreshed');
  });
});

describe('reading', () => {
  it('brings an expiry in the data that a refresh left behind up to the TTL', async () => {
    const stale = new Date(NOW + 60_000).toISOString();
    dynamo.on(GetItemCommand).resolves(storedItem({ cookie: { expires: stale } }, inOneHour));
    const repository = new SessionRepository({ client, touchAfterMs: 0 });
    const data = (await repository.get('abc')) as { cookie: { expires: string } };
    expect(data.cookie.expires).toBe(new Date(Math.ceil(inOneHour / 1000) * 1000).toISOString());
  });

  it('leaves koa-session _expire alone while it agrees with the TTL, and moves it when stale', async () => {
    dynamo
      .on(GetItemCommand)
      .resolvesOnce(storedItem({ _expire: inOneHour }, inOneHour))
      .resolvesOnce(storedItem({ _expire: NOW + 1_000 }, inOneHour));
    const repository = new SessionRepository({ client, touchAfterMs: 0 });
    expect(await repository.get('abc')).toEqual({ _expire: inOneHour });
    expect(await repository.get('abc')).toEqual({ _expire: Math.ceil(inOneHour / 1000) * 1000 });
  });

  it('fingerprints ignore only the expiry fields', () => {
    const base = { n: 1, cookie: { originalMaxAge: 5, expires: 'a', originalExpires: 'b' } };
    expect(fingerprintSession(base)).toBe(
      fingerprintSession({
        ...base,
        cookie: { ...base.cookie, expires: 'c', originalExpires: 'd' },
      }),
    );
    expect(fingerprintSession({ n: 1, _expire: 1 })).toBe(fingerprintSession({ n: 1, _expire: 2 }));
    expect(fingerprintSession(base)).not.toBe(
      fingerprintSession({ ...base, cookie: { ...base.cookie, originalMaxAge: 6 } }),
    );
    expect(fingerprintSession(base)).not.toBe(fingerprintSession({ ...base, n: 2 }));
  });
});
