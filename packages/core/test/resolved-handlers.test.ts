/**
 * The resolved handlers of `cacheClientMiddleware`, on a real `DynamoDBClient` whose last
 * middleware answers instead of sending anything (no server).
 */
import {
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ResolvedHandlers } from '../src/resolved-handlers';

/** A client whose calls never leave the process: each answers `{ Item: { n: { N: <count> } } }`. */
function answeringClient() {
  const client = new DynamoDBClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  let answered = 0;
  client.middlewareStack.add(
    () => async () => {
      answered += 1;
      return {
        output: { $metadata: {}, Item: { n: { N: String(answered) } } },
        response: {},
      } as never;
    },
    { step: 'finalizeRequest', priority: 'low', name: 'answer' },
  );
  return client;
}
const get = () => new GetItemCommand({ TableName: 't', Key: { id: { S: 'a' } } });
const put = () => new PutItemCommand({ TableName: 't', Item: { id: { S: 'a' } } });

afterEach(() => {
  vi.restoreAllMocks();
});

describe('ResolvedHandlers', () => {
  it('resolves the stack once per command class and answers what the stack answers', async () => {
    const client = answeringClient();
    const handlers = ResolvedHandlers.of(client);
    const resolveGet = vi.spyOn(GetItemCommand.prototype, 'resolveMiddleware');
    const resolvePut = vi.spyOn(PutItemCommand.prototype, 'resolveMiddleware');
    expect(await handlers?.send(get())).toMatchObject({ Item: { n: { N: '1' } } });
    expect(await handlers?.send(get())).toMatchObject({ Item: { n: { N: '2' } } });
    await handlers?.send(put());
    await handlers?.send(put());
    expect([resolveGet.mock.calls.length, resolvePut.mock.calls.length]).toEqual([1, 1]);
    expect(resolveGet.mock.calls[0]?.[0]).toBe(client.middlewareStack);
    expect(resolveGet.mock.calls[0]?.[1]).toBe(client.config);
  });

  it('resolves again after each way of changing the stack', async () => {
    const client = answeringClient();
    const handlers = ResolvedHandlers.of(client) as ResolvedHandlers;
    const resolve = vi.spyOn(GetItemCommand.prototype, 'resolveMiddleware');
    const seen: string[] = [];
    const marker = (name: string) => () => (next: (args: unknown) => Promise<unknown>) => {
      return (args: unknown) => {
        seen.push(name);
        return next(args);
      };
    };
    await handlers.send(get());
    client.middlewareStack.add(marker('add')() as never, { step: 'initialize', name: 'm1' });
    await handlers.send(get());
    client.middlewareStack.addRelativeTo(marker('relative')() as never, {
      relation: 'after',
      toMiddleware: 'm1',
      name: 'm2',
    });
    await handlers.send(get());
    client.middlewareStack.remove('m2');
    await handlers.send(get());
    client.middlewareStack.use({
      applyToStack: (stack) =>
        stack.add(marker('plugin')() as never, { step: 'initialize', name: 'm3', tags: ['T'] }),
    });
    await handlers.send(get());
    client.middlewareStack.removeByTag('T');
    await handlers.send(get());
    expect(resolve.mock.calls.length).toBe(6);
    expect(seen).toEqual(['add', 'add', 'relative', 'add', 'add', 'plugin', 'add']);
  });

  it('passes a failure of the stack on as it is', async () => {
    const client = answeringClient();
    client.middlewareStack.add(
      () => async () => {
        throw new ResourceNotFoundException({ message: 'no table', $metadata: {} });
      },
      { step: 'initialize', name: 'fail' },
    );
    await expect(ResolvedHandlers.of(client)?.send(get())).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('is one per client, and none for a stand-in without a middleware stack', () => {
    const client = answeringClient();
    expect(ResolvedHandlers.of(client)).toBe(ResolvedHandlers.of(client));
    expect(ResolvedHandlers.of(answeringClient())).not.toBe(ResolvedHandlers.of(client));
    expect(ResolvedHandlers.of({ send: async () => ({}) } as never)).toBeUndefined();
    expect(
      ResolvedHandlers.of({ middlewareStack: { add: () => {} }, send: async () => ({}) } as never),
    ).toBeUndefined();
  });
});
