import { once } from 'node:events';

/** A writable stream as the CLI uses it: process.stdout / process.stderr, or a test's stream. */
export interface CliStream extends NodeJS.WritableStream {
  /** True when the stream is a terminal (progress bars are drawn only then). */
  isTTY?: boolean;
  /** Width of the terminal, when it is one. */
  columns?: number;
}

/** Where the CLI reads and writes: injected, so tests run it in-process. */
export interface CliIO {
  /** Results: text, one JSON document, or JSON lines. */
  stdout: CliStream;
  /** Errors, warnings and progress. */
  stderr: CliStream;
  /** Environment variables (`process.env` for the executable). */
  env: Record<string, string | undefined>;
  /** Aborts the running command (the executable wires it to SIGINT). */
  signal?: AbortSignal;
}

/** Writes the results of a command, as text or JSON, waiting when the reader is slow. */
export class Output {
  constructor(
    private readonly io: CliIO,
    /** Machine-readable output on stdout. */
    readonly json: boolean,
  ) {}

  /** Writes one line of text to stdout. */
  line(text = ''): Promise<void> {
    return write(this.io.stdout, `${text}\n`);
  }

  /** Writes `value` as one line of JSON to stdout. */
  document(value: unknown): Promise<void> {
    return this.line(toJson(value));
  }

  /** Writes a note to stderr (warnings, what a command is about to do). */
  note(text: string): Promise<void> {
    return write(this.io.stderr, `${text}\n`);
  }

  /**
   * Reports a failure on stderr: `error: ...` and a `hint: ...` line per hint, or
   * `{"error":{code,message,hints?}}` with --json.
   */
  error(message: string, code: string, hints: string[] = []): Promise<void> {
    const text = this.json
      ? toJson({ error: { code, message, ...(hints.length > 0 && { hints }) } })
      : [`dynamodb-session: error: ${message}`, ...hints.map((hint) => `hint: ${hint}`)].join('\n');
    return write(this.io.stderr, `${text}\n`);
  }
}

/** JSON text of session data or results; Sets become arrays, bytes base64, bigints strings. */
export function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, jsonReplacer, indent);
}

/** Writes `chunk` to `stream` and waits for `drain` when its buffer is full. */
export async function write(stream: CliStream, chunk: string): Promise<void> {
  if (!stream.write(chunk)) await once(stream, 'drain');
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Set) return [...value];
  if (value instanceof Map) return Object.fromEntries(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (typeof value === 'bigint') return value.toString();
  return value;
}
