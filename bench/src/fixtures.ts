import { Readable } from 'node:stream';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HttpResponse } from '@smithy/core/transport';

/** An express-session session of about `bytes` bytes of JSON, expiring in a day. */
export function sessionOfSize(bytes = 1024, index = 0): SessionFixture {
  const expires = new Date(Date.now() + 86_400_000).toISOString();
  const session: SessionFixture = {
    cookie: {
      originalMaxAge: 86_400_000,
      expires,
      secure: false,
      httpOnly: true,
      path: '/',
      sameSite: 'lax',
    },
    userId: `user-${index}`,
    views: index % 17,
    csrfSecret: 'n0tR3allyAS3cr3tButAsL0ngAsOne',
    padding: '',
  };
  session.padding = 'p'.repeat(Math.max(0, bytes - JSON.stringify(session).length));
  return session;
}

/** The express-session-shaped session the benchmarks store. */
export interface SessionFixture {
  cookie: {
    originalMaxAge: number;
    expires: string;
    secure: boolean;
    httpOnly: boolean;
    path: string;
    sameSite: 'lax';
  };
  userId: string;
  views: number;
  csrfSecret: string;
  padding: string;
  [field: string]: unknown;
}

/** A session id as express-session makes them (32 characters of base64url). */
export function sessionId(index: number): string {
  return `${index.toString(36).padStart(8, '0')}${'s'.repeat(24)}`;
}

/**
 * A smithy `HttpHandler` that answers every DynamoDB call with a canned 200 response and no
 * network: the body is chosen by the operation in the `x-amz-target` header. Used to measure
 * the CPU a client spends on its own side of a call.
 */
export class CannedHandler {
  readonly #bodies: Record<string, Buffer>;
  /** Calls answered so far. */
  calls = 0;

  /** `bodies`: the JSON answer by operation name (e.g. `GetItem`); `{}` for the others. */
  constructor(bodies: Record<string, unknown>) {
    this.#bodies = Object.fromEntries(
      Object.entries(bodies).map(([operation, body]) => [
        operation,
        Buffer.from(JSON.stringify(body)),
      ]),
    );
  }

  /** The handler's metadata (HTTP/1.1). */
  readonly metadata = { handlerProtocol: 'http/1.1' };

  /** Answers `request` with the canned body of its operation. */
  handle(request: { headers: Record<string, string> }): Promise<{ response: HttpResponse }> {
    this.calls++;
    const target = request.headers['x-amz-target'] ?? '';
    const operation = target.slice(target.indexOf('.') + 1);
    const body = this.#bodies[operation] ?? EMPTY_BODY;
    return Promise.resolve({
      response: new HttpResponse({
        statusCode: 200,
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'content-length': String(body.length),
        },
        body: Readable.from([body]),
      }),
    });
  }

  updateHttpClientConfig(): void {}

  httpHandlerConfigs(): Record<string, never> {
    return {};
  }

  destroy(): void {}
}

const EMPTY_BODY = Buffer.from('{}');

/** Capacity units a client consumed, read from the outputs of its calls. */
export interface CapacityTotals {
  read: number;
  write: number;
}

const READ_OPERATIONS = new Set(['GetItem', 'Scan', 'Query', 'BatchGetItem']);

/**
 * Makes every call of `client` ask for `ReturnConsumedCapacity: 'TOTAL'` (an `initialize` step
 * middleware that adds it to the input) and adds up the `ConsumedCapacity` of the outputs.
 */
export function countCapacity(client: DynamoDBClient): CapacityTotals {
  const totals: CapacityTotals = { read: 0, write: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { ReturnConsumedCapacity?: string };
      input.ReturnConsumedCapacity = 'TOTAL';
      const result = await next(args);
      const consumed = (result.output as { ConsumedCapacity?: { CapacityUnits?: number } })
        .ConsumedCapacity;
      const units = consumed?.CapacityUnits ?? 0;
      const operation = (context.commandName ?? '').replace(/Command$/, '');
      if (READ_OPERATIONS.has(operation)) totals.read += units;
      else totals.write += units;
      return result;
    },
    { step: 'initialize', name: 'benchCapacityCounter', priority: 'high' },
  );
  return totals;
}
