import { Writable } from 'node:stream';
import { BatchWriteItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LOCAL_CLIENT_CONFIG } from '@dynamodb-session/test-support';
import { type CliStream, run } from '../src/cli';

/** Credentials and region that the local servers accept, as the CLI reads them. */
export const LOCAL_ENV = {
  AWS_ACCESS_KEY_ID: LOCAL_CLIENT_CONFIG.credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: LOCAL_CLIENT_CONFIG.credentials.secretAccessKey,
  AWS_REGION: LOCAL_CLIENT_CONFIG.region,
};

/** What one in-process run printed and returned. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as one JSON document. */
  json<T = Record<string, unknown>>(): T;
  /** stdout parsed as JSON lines. */
  lines<T = Record<string, unknown>>(): T[];
}

/** How to run the CLI in-process. */
export interface RunOptions {
  env?: Record<string, string | undefined>;
  signal?: AbortSignal;
  /** Make stderr look like a terminal. */
  tty?: boolean;
  /** Called with every chunk written to stderr. */
  onStderr?: (chunk: string) => void;
}

/** Runs `dynamodb-session ...args` in-process through `run()` and collects its output. */
export async function cli(args: string[], options: RunOptions = {}): Promise<CliResult> {
  const stdout = collector();
  const stderr = collector(options.onStderr);
  if (options.tty) Object.assign(stderr.stream, { isTTY: true, columns: 200 });
  const code = await run(args, {
    stdout: stdout.stream,
    stderr: stderr.stream,
    env: { ...LOCAL_ENV, ...options.env },
    signal: options.signal,
  });
  const out = stdout.text();
  return {
    code,
    stdout: out,
    stderr: stderr.text(),
    json: () => JSON.parse(out),
    lines: () =>
      out
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line)),
  };
}

/**
 * Writes `count` sessions in connect-dynamodb's layout (25 per BatchWriteItem) expiring at
 * `expires` (epoch seconds); resolves their ids (without the prefix).
 */
export async function loadSessions(
  client: DynamoDBClient,
  table: string,
  options: {
    count: number;
    expires: number;
    prefix?: string;
    label?: string;
    data?: (index: number) => Record<string, unknown>;
    extra?: (index: number) => Record<string, { S: string } | { N: string }>;
  },
): Promise<string[]> {
  const prefix = options.prefix ?? 'sess:';
  const ids = Array.from(
    { length: options.count },
    (_, index) => `${options.label ?? 's'}-${index}-${Math.random().toString(36).slice(2, 10)}`,
  );
  for (let start = 0; start < ids.length; start += 25) {
    const chunk = ids.slice(start, start + 25);
    await client.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [table]: chunk.map((id, offset) => ({
            PutRequest: {
              Item: {
                id: { S: `${prefix}${id}` },
                expires: { N: String(options.expires) },
                sess: {
                  S: JSON.stringify(options.data?.(start + offset) ?? { n: start + offset }),
                },
                ...options.extra?.(start + offset),
              },
            },
          })),
        },
      }),
    );
  }
  return ids;
}

/** Epoch seconds `offset` seconds from now. */
export const secondsFromNow = (offset: number) => Math.floor(Date.now() / 1000) + offset;

function collector(onChunk?: (chunk: string) => void): { stream: CliStream; text(): string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      const text = chunk.toString();
      chunks.push(text);
      onChunk?.(text);
      callback();
    },
  });
  return { stream, text: () => chunks.join('') };
}
