import { connect } from 'node:net';

/** An HTTP answer read off the socket, or `hung` when none came in time. */
export interface RawAnswer {
  status: number;
  headers: [string, string][];
  body: string;
  /** True when no complete answer came within the time limit. */
  hung: boolean;
}

/**
 * Sends `method path` to `baseUrl` with the bytes of `cookie` as the `Cookie` header, exactly as
 * given: control characters, invalid UTF-8 and all, which `fetch` refuses to send. Reads the
 * answer to the end of the connection (`Connection: close`).
 */
export function rawRequest(
  baseUrl: string,
  path: string,
  cookie: Buffer | string,
  { method = 'GET', timeoutMs = 10_000 }: { method?: string; timeoutMs?: number } = {},
): Promise<RawAnswer> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ status: 0, headers: [], body: '', hung: true });
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseAnswer(Buffer.concat(chunks)));
    });
    socket.write(
      Buffer.concat([
        Buffer.from(`${method} ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nCookie: `),
        Buffer.from(cookie),
        Buffer.from(
          '\r\nAccept: application/json\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
        ),
      ]),
    );
  });
}

/** The `name=value` pairs of the `Set-Cookie` headers of an answer, as a `Cookie` header. */
export function cookiesOf(answer: RawAnswer): string {
  return answer.headers
    .filter(([name]) => name === 'set-cookie')
    .map(([, value]) => value.split(';')[0])
    .join('; ');
}

function parseAnswer(raw: Buffer): RawAnswer {
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return { status: 0, headers: [], body: text, hung: false };
  const [statusLine = '', ...lines] = text.slice(0, end).split('\r\n');
  const headers = lines.map((line): [string, string] => {
    const colon = line.indexOf(':');
    return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
  });
  let body = raw.subarray(end + 4);
  if (headers.some(([name, value]) => name === 'transfer-encoding' && value === 'chunked')) {
    body = dechunk(body);
  }
  return {
    status: Number(statusLine.split(' ')[1]),
    headers,
    body: body.toString('utf8'),
    hung: false,
  };
}

function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset < body.length) {
    const lineEnd = body.indexOf('\r\n', offset);
    if (lineEnd < 0) break;
    const size = Number.parseInt(body.subarray(offset, lineEnd).toString('latin1'), 16);
    if (!size) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/**
 * Sends GET `paths` one after the other on one keep-alive connection, each once the previous
 * answer is complete and `pauseMs` have passed, and resolves each as `"<status> <body>"`, or
 * `"connection closed"` for those that got no answer because the server closed the connection.
 */
export function keepAliveRequests(
  baseUrl: string,
  paths: string[],
  cookie: string,
  { pauseMs = 100, timeoutMs = 10_000 }: { pauseMs?: number; timeoutMs?: number } = {},
): Promise<string[]> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    const answers: string[] = [];
    let buffer = Buffer.alloc(0);
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      while (answers.length < paths.length) answers.push('connection closed');
      resolve(answers);
    };
    const timer = setTimeout(finish, timeoutMs);
    const sendNext = () => {
      const path = paths[answers.length];
      if (path === undefined) return finish();
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nCookie: ${cookie}\r\n` +
          'Accept: application/json\r\nConnection: keep-alive\r\n\r\n',
      );
    };
    socket.on('error', () => {});
    socket.on('close', finish);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffer.subarray(0, end).toString('latin1');
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      if (buffer.length < end + 4 + length) return;
      const status = head.split(' ')[1];
      answers.push(`${status} ${buffer.subarray(end + 4, end + 4 + length).toString('utf8')}`);
      buffer = buffer.subarray(end + 4 + length);
      setTimeout(sendNext, pauseMs);
    });
    socket.once('connect', sendNext);
  });
}
