/**
 * Runs the Lambda handler on this machine, without AWS: `node src/local.js`.
 *
 * It plays API Gateway: sends the handler a few sample events, in one process as one warm
 * execution environment would receive them, and carries the Set-Cookie of each response into
 * the next request, as a browser does. It prints every response.
 *
 * By default on an embedded dynalite. `DYNAMODB_ENDPOINT` (e.g. a DynamoDB Local) or
 * `AWS_REGION` (a real table, with your AWS credentials) use that instead, like the other
 * examples; `SESSIONS_TABLE` names the table (default `sessions`), which is created if missing.
 */
import { startLocalDynamoDB } from '@dynamodb-session/core/testing';
import { httpApiEvent, restApiEvent } from './api-gateway-events.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const embedded =
  process.env.DYNAMODB_ENDPOINT || process.env.AWS_REGION
    ? undefined
    : await startLocalDynamoDB({ tableName: process.env.SESSIONS_TABLE ?? 'sessions' });
if (embedded) {
  // What the handler reads: here an endpoint and throwaway credentials for dynalite; in Lambda,
  // AWS_REGION and the role's credentials, set by the runtime.
  process.env.DYNAMODB_ENDPOINT = embedded.endpoint;
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
}
process.env.AWS_REGION ??= 'us-east-1';

// The cold start: loading the module builds the client and the store, once.
const { handler, client, store } = await import('./handler.js');
console.log(`cold start: client and store built, ${requestCount()} DynamoDB requests so far`);

// The deployment: in AWS the table comes from your infrastructure code, not from the function.
const table = await store.repository.createTable().catch(failedToReachTable);
console.log(
  `table "${store.repository.options.table}" ${embedded || table.created ? 'created' : 'found'} on ${
    process.env.DYNAMODB_ENDPOINT ?? `AWS ${process.env.AWS_REGION}`
  }${embedded ? ' (embedded dynalite)' : ''}\n`,
);

const invocations = [
  { format: 'HTTP API', toEvent: httpApiEvent, request: { method: 'GET', path: '/' } },
  { format: 'HTTP API', toEvent: httpApiEvent, request: { method: 'GET', path: '/' } },
  { format: 'HTTP API', toEvent: httpApiEvent, request: { method: 'GET', path: '/' } },
  {
    format: 'HTTP API',
    toEvent: httpApiEvent,
    request: { method: 'POST', path: '/login', form: { user: 'ann' } },
  },
  { format: 'REST API', toEvent: restApiEvent, request: { method: 'GET', path: '/' } },
  { format: 'HTTP API', toEvent: httpApiEvent, request: { method: 'POST', path: '/logout' } },
  { format: 'HTTP API', toEvent: httpApiEvent, request: { method: 'GET', path: '/' } },
];

/** The browser's cookies, by name. */
const jar = new Map();
for (const [index, { format, toEvent, request }] of invocations.entries()) {
  const cookies = [...jar].map(([name, value]) => `${name}=${value}`);
  const event = toEvent({ ...request, cookies });
  const response = /** @type {LambdaResponse} */ (await handler(event, {}));
  const setCookies = setCookieHeaders(response);
  for (const header of setCookies) keepCookie(jar, header);

  console.log(
    `${index + 1}. ${format} ${request.method} ${request.path}${'form' in request ? ` ${new URLSearchParams(request.form)}` : ''}${cookies.length > 0 ? ' (with cookie)' : ''}`,
  );
  console.log(`   → ${response.statusCode} ${response.body}`);
  for (const header of setCookies) console.log(`   Set-Cookie: ${header}`);
}

console.log(
  `\n${invocations.length} invocations served by the client and store of one cold start; DynamoDB requests: ${JSON.stringify(store.repository.metrics().requests)}`,
);
client.destroy();
await embedded?.stop();

/**
 * The parts of serverless-http's answer this runner reads. Set-Cookie headers set as a list (as
 * express-session does) come in `cookies` for an HTTP API, in `multiValueHeaders` for a REST
 * API; a single one set as a string (as `res.clearCookie` does) in `headers`.
 * @typedef {{
 *   statusCode: number,
 *   body: string,
 *   headers?: Record<string, string | number | boolean>,
 *   cookies?: string[],
 *   multiValueHeaders?: Record<string, (string | number | boolean)[]>,
 * }} LambdaResponse
 */

/** @param {LambdaResponse} response */
function setCookieHeaders(response) {
  const single = response.headers?.['set-cookie'];
  return [
    ...(response.cookies ?? []),
    ...(response.multiValueHeaders?.['set-cookie'] ?? []),
    ...(single === undefined ? [] : [single]),
  ].map(String);
}

/**
 * Stores the cookie of one Set-Cookie header in `jar`, or removes it when the header expires
 * it (as `res.clearCookie` does).
 * @param {Map<string, string>} jar
 * @param {string} header
 */
function keepCookie(jar, header) {
  const [pair = '', ...attributes] = header.split(';');
  const separator = pair.indexOf('=');
  const name = pair.slice(0, separator).trim();
  const expires = attributes.find((attribute) => /^\s*expires=/i.test(attribute));
  const expired = expires !== undefined && Date.parse(expires.split('=')[1] ?? '') <= Date.now();
  if (expired) jar.delete(name);
  else jar.set(name, pair.slice(separator + 1).trim());
}

/** Requests the store has sent to DynamoDB so far. */
function requestCount() {
  return Object.values(store.repository.metrics().requests).reduce((sum, n) => sum + n, 0);
}

/**
 * Explains why the table could not be reached or created (no credentials, nothing listening)
 * with what to set, and exits 1: a demo's first failure should say what to do.
 * @param {any} error
 * @returns {never}
 */
function failedToReachTable(error) {
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  const where = endpoint ?? `AWS ${process.env.AWS_REGION}`;
  console.error(`demo: cannot use the sessions table on ${where}: ${error?.message ?? error}`);
  if (error?.cause?.name === 'CredentialsProviderError') {
    console.error(
      endpoint
        ? 'demo: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: a local server accepts any values, e.g.\n' +
            `  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local DYNAMODB_ENDPOINT=${endpoint} ${process.env.DEMO_COMMAND ?? 'node src/local.js'}`
        : 'demo: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, for AWS; ' +
            'or unset AWS_REGION to use the embedded dynalite',
    );
  } else if (error?.code === 'NETWORK' || error?.code === 'TIMEOUT') {
    console.error(
      `demo: nothing answers at ${where}: start DynamoDB Local there, or unset DYNAMODB_ENDPOINT ` +
        'and AWS_REGION to use the embedded dynalite',
    );
  }
  process.exit(1);
}
