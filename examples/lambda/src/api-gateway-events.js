/**
 * Sample API Gateway events, in the shapes Lambda receives them (AWS's "payload format" 1.0
 * and 2.0), to invoke the handler without AWS: from `local.js` and from the tests.
 */

const API_ID = 'abc123example';
const DOMAIN = `${API_ID}.execute-api.us-east-1.amazonaws.com`;
const SOURCE_IP = '198.51.100.7';
const USER_AGENT = 'local-runner';
let requestCount = 0;

/**
 * What a sample request carries: method, path, the cookies the browser would send
 * (`name=value` each) and a form-encoded body.
 * @typedef {{ method?: string, path?: string, cookies?: string[], form?: Record<string, string> }} SampleRequest
 */

/**
 * An API Gateway HTTP API event (payload format 2.0). Cookies arrive in their own `cookies`
 * array, not in a header.
 * @param {SampleRequest} request
 * @returns {import('aws-lambda').APIGatewayProxyEventV2}
 */
export function httpApiEvent({ method = 'GET', path = '/', cookies = [], form }) {
  const now = new Date();
  const body = form && new URLSearchParams(form).toString();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    ...(cookies.length > 0 && { cookies }),
    headers: {
      host: DOMAIN,
      'user-agent': USER_AGENT,
      'x-forwarded-for': SOURCE_IP,
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
      ...(body !== undefined && { 'content-type': 'application/x-www-form-urlencoded' }),
    },
    requestContext: {
      accountId: '123456789012',
      apiId: API_ID,
      domainName: DOMAIN,
      domainPrefix: API_ID,
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: SOURCE_IP, userAgent: USER_AGENT },
      requestId: `local-${++requestCount}`,
      routeKey: '$default',
      stage: '$default',
      time: requestTime(now),
      timeEpoch: now.getTime(),
    },
    ...(body !== undefined && { body }),
    isBase64Encoded: false,
  };
}

/**
 * An API Gateway REST API proxy event (payload format 1.0), on a stage `prod` with a
 * `/{proxy+}` resource. Cookies arrive in the `Cookie` header.
 * @param {SampleRequest} request
 * @returns {import('aws-lambda').APIGatewayProxyEvent}
 */
export function restApiEvent({ method = 'GET', path = '/', cookies = [], form }) {
  const body = form && new URLSearchParams(form).toString();
  /** @type {Record<string, string>} */
  const headers = {
    Host: DOMAIN,
    'User-Agent': USER_AGENT,
    'X-Forwarded-For': SOURCE_IP,
    'X-Forwarded-Port': '443',
    'X-Forwarded-Proto': 'https',
    ...(cookies.length > 0 && { Cookie: cookies.join('; ') }),
    ...(body !== undefined && { 'Content-Type': 'application/x-www-form-urlencoded' }),
  };
  return {
    resource: '/{proxy+}',
    path,
    httpMethod: method,
    headers,
    multiValueHeaders: Object.fromEntries(
      Object.entries(headers).map(([name, value]) => [name, [value]]),
    ),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: { proxy: path.slice(1) },
    stageVariables: null,
    requestContext: {
      accountId: '123456789012',
      apiId: API_ID,
      authorizer: null,
      domainName: DOMAIN,
      httpMethod: method,
      identity: restApiIdentity(),
      path: `/prod${path}`,
      protocol: 'HTTP/1.1',
      requestId: `local-${++requestCount}`,
      requestTimeEpoch: Date.now(),
      resourceId: 'proxy1',
      resourcePath: '/{proxy+}',
      stage: 'prod',
    },
    body: body ?? null,
    isBase64Encoded: false,
  };
}

/**
 * A request time as HTTP APIs write it: `12/Mar/2020:19:03:58 +0000`.
 * @param {Date} date
 */
function requestTime(date) {
  const [, day, month, year, time] = date.toUTCString().split(' ');
  return `${day}/${month}/${year}:${time} +0000`;
}

/**
 * The caller's identity in a REST API event: the source IP and user agent, nothing else for an
 * unauthenticated call.
 * @returns {import('aws-lambda').APIGatewayEventIdentity}
 */
function restApiIdentity() {
  return {
    accessKey: null,
    accountId: null,
    apiKey: null,
    apiKeyId: null,
    caller: null,
    clientCert: null,
    cognitoAuthenticationProvider: null,
    cognitoAuthenticationType: null,
    cognitoIdentityId: null,
    cognitoIdentityPoolId: null,
    principalOrgId: null,
    sourceIp: SOURCE_IP,
    user: null,
    userAgent: USER_AGENT,
    userArn: null,
  };
}
