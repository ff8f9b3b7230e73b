import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { type CookieJarFetch, cookieJarFetch } from './adapter-contract';

/** An example app started as its own process, as `npm run demo` starts it. */
export interface DemoServer {
  /** Base URL the demo printed, without a trailing slash. */
  url: string;
  /** Everything the demo printed so far. */
  output(): string;
  /** Stops the demo (SIGTERM). */
  stop(): void;
}

/**
 * Starts an example's `server.js` on a free port (PORT=0) with its embedded local DynamoDB
 * (no AWS_REGION or DYNAMODB_ENDPOINT), and resolves once it prints "listening on <url>".
 */
export async function startDemoServer(script: URL, timeoutMs = 20_000): Promise<DemoServer> {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0' };
  delete env.AWS_REGION;
  delete env.DYNAMODB_ENDPOINT;
  const child: ChildProcess = spawn(process.execPath, [fileURLToPath(script)], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo did not start:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1].replace(/\/$/, ''));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`demo exited with ${code}:\n${output}`));
    });
  });
  return { url, output: () => output, stop: () => child.kill('SIGTERM') };
}

/**
 * Starts the demo `script` before the file's tests and stops it after them; `url()` is its base
 * URL and `browser()` a new cookie-jar client for it (like curl with a cookie jar).
 */
export function useDemoServer(script: URL): { url(): string; browser(): CookieJarFetch } {
  let demo: DemoServer | undefined;
  beforeAll(async () => {
    demo = await startDemoServer(script);
  });
  afterAll(() => {
    demo?.stop();
  });
  const url = () => {
    if (!demo) throw new Error('the demo server has not started');
    return demo.url;
  };
  return { url, browser: () => cookieJarFetch(url()) };
}
