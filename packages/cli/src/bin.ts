#!/usr/bin/env node
import { run } from './cli';

/**
 * The `dynamodb-session` executable. The first Ctrl-C aborts the running command through its
 * AbortSignal (purge then finishes the deletes already sent and reports); a second one quits
 * at once.
 */
// The AWS SDK's notice about Node versions is for the apps that ship the SDK; an operator's
// tool does not repeat it on every call (an explicit setting of the variable wins).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const controller = new AbortController();
process.on('SIGINT', () => {
  if (controller.signal.aborted) process.exit(130);
  controller.abort(new Error('interrupted by SIGINT'));
});
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
}

run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: controller.signal,
}).then(async (code) => {
  // Exit as soon as the outcome is reported: a DynamoDB call that timed out may still have the
  // SDK's retries and sockets running in the background, which would keep the process alive.
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
});

/** Resolves once everything written to `stream` so far has been handed to the system. */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.writableLength === 0 || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => stream.write('', () => resolve()));
}
