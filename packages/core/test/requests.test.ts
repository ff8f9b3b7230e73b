import {
  BatchExecuteStatementCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  ResourceNotFoundException,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DESTROYED_SESSION_KEPT_MS, SessionRepository } from '../src/index';

const client = new DynamoDBClient({ region: 'us-east-1' });
const dynamo = mockClient(client);
const NOW = Date.parse('2030-06-01T12:00:00.250Z');

beforeEach(() => {
  dynamo.reset();
  vi.useFakeTimers({ now: NOW, toFake: ['Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('the requests a repository sends', () => {
  it('reads with the prefixed key and a strongly consistent GetItem by default', async () => {
    dynamo.on(GetItemCommand).resolves({});
    const repository = new SessionRepository({ client, table: 'app-sessions' });
    expect(await repository.get('abc')).toBeNull();
    expect(dynamo).toHaveReceivedCommandExactlyOnceWith(GetItemCommand, {
      TableName: 'app-sessions',
      Key: { id: { S: 'sess:abc' } },
      ConsistentRead: true,
    });
  });

  it('honours hashKey, prefix and consistentRead: false', async () => {
    dynamo.on(GetItemCommand).resolves({});
    const repository = new SessionRepository({
      client,
      hashKey: 'pk',
      prefix: 'app1#',
      consistentRead: false,
    });
    await repository.get('abc');
    expect(dynamo).toHaveReceivedCommandWith(GetItemCommand, {
      TableName: 'sessions',
      Key: { pk: { S: 'app1#abc' } },
      ConsistentRead: false,
    });
  });

  it('writes the connect-dynamodb item layout with whole-second expiry rounded up', async () => {
    dynamo.on(PutItemCommand).resolves({});
    const repository = new SessionRepository({ client });
    await repository.set('abc', { n: 1 }, new Date(NOW + 60_000));
    expect(dynamo).toHaveReceivedCommandExactlyOnceWith(PutItemCommand, {
      TableName: 'sessions',
      Item: {
        id: { S: 'sess:abc' },
        expires: { N: String(Math.ceil((NOW + 60_000) / 1000)) },
        sess: { S: '{"n":1}' },
      },
    });
  });

  it('uses the default lifetime, custom attribute names and the map serializer', async () => {
    dynamo.on(PutItemCommand).resolves({});
    const repository = new SessionRepository({
      client,
      expiresAttribute: 'ttl',
      dataAttribute: 'data',
      defaultLifetimeMs: 3_600_000,
      serializer: 'map',
      indexAttributes: [{ name: 'userId', path: 'user.id', type: 'S' }],
    });
    await repository.set('abc', { user: { id: 'u1' }, at: new Date(NOW) });
    expect(dynamo).toHaveReceivedCommandWith(PutItemCommand, {
      Item: {
        id: { S: 'sess:abc' },
        ttl: { N: String(Math.ceil((NOW + 3_600_000) / 1000)) },
        data: {
          M: {
            user: { M: { id: { S: 'u1' } } },
            at: { S: new Date(NOW).toISOString() },
          },
        },
        userId: { S: 'u1' },
      },
    });
  });

  it('touches with a conditional UpdateItem that only sets the expiry', async () => {
    dynamo.on(UpdateItemCommand).resolves({});
    const repository = new SessionRepository({ client });
    expect(await repository.touch('abc', NOW + 10_000)).toBe(true);
    expect(dynamo).toHaveReceivedCommandExactlyOnceWith(UpdateItemCommand, {
      TableName: 'sessions',
      Key: { id: { S: 'sess:abc' } },
      UpdateExpression: 'SET #n0 = :v0',
      ConditionExpression: 'attribute_exists(#n1) AND #n0 > :v1',
      ExpressionAttributeNames: { '#n0': 'expires', '#n1': 'sess' },
      ExpressionAttributeValues: {
        ':v0': { N: String(Math.ceil((NOW + 10_000) / 1000)) },
        ':v1': { N: String(Math.floor(NOW / 1000) + 1) }, // whole seconds, the same test for whole-second TTLs
      },
    });
  });

  it('resolves false when touch finds no live session', async () => {
    dynamo
      .on(UpdateItemCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));
    const repository = new SessionRepository({ client });
    expect(await repository.touch('abc')).toBe(false);
  });

  it('destroys with a PutItem of a tombstone (key and expiry, no data) on the prefixed key', async () => {
    dynamo.on(PutItemCommand).resolves({});
    const repository = new SessionRepository({ client, prefix: '' });
    await repository.destroy('abc');
    expect(dynamo).toHaveReceivedCommandExactlyOnceWith(PutItemCommand, {
      TableName: 'sessions',
      Item: {
        id: { S: 'abc' },
        expires: { N: String(Math.ceil((NOW + DESTROYED_SESSION_KEPT_MS) / 1000)) },
      },
    });
    expect(dynamo).not.toHaveReceivedCommand(DeleteItemCommand);
  });

  it('reaps with segmented, projected, prefix-filtered Scans and full batches of conditional deletes', async () => {
    dynamo
      .on(ScanCommand, { Segment: 0 })
      .resolvesOnce({
        Items: [{ id: { S: 'sess:a' }, expires: { N: '1' } }],
        LastEvaluatedKey: { id: { S: 'sess:a' } },
      })
      .resolvesOnce({ Items: [{ id: { S: 'sess:b' }, expires: { N: '2' } }] });
    dynamo.on(ScanCommand, { Segment: 1 }).resolves({ Items: [] });
    dynamo.on(BatchExecuteStatementCommand).resolves({
      Responses: [{ TableName: 'sessions' }],
    });
    const repository = new SessionRepository({ client });
    const result = await repository.reap({ segments: 2 });
    expect(result).toEqual({
      found: 2,
      deleted: 2,
      kept: 0,
      scanRequests: 3,
      deleteRequests: 1,
      interrupted: false,
    });
    expect(dynamo).toHaveReceivedCommandWith(ScanCommand, {
      TableName: 'sessions',
      Segment: 0,
      TotalSegments: 2,
      ConsistentRead: true,
      ProjectionExpression: '#n0',
      FilterExpression: 'begins_with(#n0, :v0) AND #n1 <= :v1',
      ExpressionAttributeNames: { '#n0': 'id', '#n1': 'expires' },
      ExpressionAttributeValues: {
        ':v0': { S: 'sess:' },
        ':v1': { N: String(Math.floor(NOW / 1000)) },
      },
    });
    expect(dynamo).toHaveReceivedCommandWith(ScanCommand, {
      Segment: 0,
      ExclusiveStartKey: { id: { S: 'sess:a' } },
    });
    const statement = 'DELETE FROM "sessions" WHERE "id" = ? AND "expires" <= ?';
    const cutoff = { N: String(Math.floor(NOW / 1000)) };
    expect(dynamo).toHaveReceivedCommandExactlyOnceWith(BatchExecuteStatementCommand, {
      Statements: expect.arrayContaining([
        { Statement: statement, Parameters: [{ S: 'sess:a' }, cutoff] },
        { Statement: statement, Parameters: [{ S: 'sess:b' }, cutoff] },
      ]),
    });
  });

  it('keeps sessions renewed before their delete and retries throttled statements', async () => {
    dynamo.on(ScanCommand).resolves({
      Items: ['a', 'b', 'c'].map((id) => ({ id: { S: `sess:${id}` }, expires: { N: '1' } })),
    });
    dynamo
      .on(BatchExecuteStatementCommand)
      .resolvesOnce({
        Responses: [
          {},
          { Error: { Code: 'ConditionalCheckFailed', Message: 'renewed' } },
          { Error: { Code: 'ThrottlingError', Message: 'slow down' } },
        ],
      })
      .resolvesOnce({ Responses: [{}] });
    const repository = new SessionRepository({ client });
    const result = await repository.reap({ segments: 1 });
    expect(result).toMatchObject({ found: 3, deleted: 2, kept: 1, deleteRequests: 2 });
    expect(dynamo).toHaveReceivedNthCommandWith(BatchExecuteStatementCommand, 2, {
      Statements: [expect.objectContaining({ Parameters: [{ S: 'sess:c' }, expect.anything()] })],
    });
  });

  it('falls back to conditional DeleteItems when IAM denies PartiQL deletes, for the whole call or per statement', async () => {
    const expired = ['a', 'b'].map((id) => ({ id: { S: `sess:${id}` }, expires: { N: '1' } }));
    const denials = [
      () =>
        dynamo.on(BatchExecuteStatementCommand).rejects(
          Object.assign(new Error('not authorized to perform: dynamodb:PartiQLDelete'), {
            name: 'AccessDeniedException',
          }),
        ),
      () =>
        dynamo.on(BatchExecuteStatementCommand).resolves({
          Responses: expired.map(() => ({ Error: { Code: 'AccessDenied', Message: 'denied' } })),
        }),
    ];
    for (const deny of denials) {
      dynamo.reset();
      dynamo
        .on(ScanCommand)
        .resolves({ Items: [...expired, { id: { S: 'sess:c' }, expires: { N: '1' } }] });
      deny();
      dynamo.on(DeleteItemCommand).resolves({});
      const repository = new SessionRepository({ client });
      const result = await repository.reap({ segments: 1 });
      expect(result).toMatchObject({ found: 3, deleted: 3, kept: 0 });
      expect(dynamo).toHaveReceivedCommandTimes(BatchExecuteStatementCommand, 1);
      expect(dynamo).toHaveReceivedCommandTimes(DeleteItemCommand, 3);
      expect(dynamo).toHaveReceivedCommandWith(DeleteItemCommand, {
        Key: { id: { S: 'sess:a' } },
        ConditionExpression: expect.stringContaining('<='),
      });
    }
  });

  it('sends nothing for a malformed id, or for a session too large to store', async () => {
    const repository = new SessionRepository({ client });
    expect(await repository.get('')).toBeNull();
    await expect(repository.set('a\nb', {})).rejects.toMatchObject({ code: 'INVALID_SESSION_ID' });
    await expect(repository.set('ok', { big: 'x'.repeat(500_000) })).rejects.toMatchObject({
      code: 'SESSION_TOO_LARGE',
    });
    expect(dynamo.calls()).toHaveLength(0);
  });
});

describe('errors', () => {
  it('rejects with a coded SessionStoreError whose cause is the AWS error', async () => {
    const missing = new ResourceNotFoundException({ message: 'no table', $metadata: {} });
    dynamo.on(GetItemCommand).rejects(missing);
    const repository = new SessionRepository({ client });
    const error = await repository.get('abc').catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'SessionStoreError', code: 'TABLE_NOT_FOUND' });
    expect((error as Error).cause).toBe(missing);
    expect((error as Error).message).toMatch(
      /GetItem on sessions failed: ResourceNotFoundException/,
    );
  });

  it('classifies throttling', async () => {
    dynamo
      .on(PutItemCommand)
      .rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));
    const repository = new SessionRepository({ client });
    await expect(repository.set('abc', {})).rejects.toMatchObject({ code: 'THROTTLED' });
  });
});

describe('reading stored items', () => {
  const repository = new SessionRepository({ client });

  it('reads items written by connect-dynamodb, fractional expires included', () => {
    const item = {
      id: { S: 'sess:abc' },
      expires: { N: String(NOW / 1000 + 3600.5) },
      type: { S: 'connect-session' },
      sess: { S: JSON.stringify({ cookie: { originalMaxAge: 3600500 }, user: 'ann' }) },
    };
    expect(repository.parseItem(item)).toEqual({
      cookie: { originalMaxAge: 3600500 },
      user: 'ann',
    });
  });

  it('treats expired items as missing', () => {
    const item = {
      id: { S: 'sess:a' },
      expires: { N: String(NOW / 1000 - 0.5) },
      sess: { S: '{}' },
    };
    expect(repository.parseItem(item)).toBeNull();
  });

  it('treats a corrupt item as missing and reports it to onError listeners', () => {
    const seen: string[] = [];
    const unsubscribe = repository.onError((error) => seen.push(error.code));
    const future = String(NOW / 1000 + 60);
    expect(
      repository.parseItem({ id: { S: 'sess:a' }, expires: { N: future }, sess: { S: '{oops' } }),
    ).toBeNull();
    expect(
      repository.parseItem({ id: { S: 'sess:a' }, expires: { N: future }, sess: { S: '[1,2]' } }),
    ).toBeNull();
    expect(
      repository.parseItem({ id: { S: 'sess:a' }, expires: { N: future }, sess: { N: '5' } }),
    ).toBeNull();
    unsubscribe();
    expect(seen).toEqual(['CORRUPT_SESSION', 'CORRUPT_SESSION', 'CORRUPT_SESSION']);
  });

  it('reads an item without data (a tombstone) as missing without reporting it', () => {
    const seen: string[] = [];
    repository.onError((error) => seen.push(error.code));
    const future = String(NOW / 1000 + 60);
    expect(repository.parseItem({ id: { S: 'sess:a' }, expires: { N: future } })).toBeNull();
    expect(seen).toEqual([]);
  });
});
