import type { SessionStoreError } from '@dynamodb-session/core';

/** What the CLI says about a failed DynamoDB call: a code, a message and what to do. */
export interface Diagnosis {
  /** The core's code, or one of the CLI's own: `NO_CREDENTIALS`, `NOT_DYNAMODB`. */
  code: string;
  message: string;
  /** What to do about it, one line each. */
  hints: string[];
}

/** Where the failed command was pointed: for the hints. */
export interface Target {
  table: string;
  /** `--endpoint` or `DYNAMODB_ENDPOINT`, when set. */
  endpoint?: string;
}

/**
 * Explains the failures a new user meets first: no credentials (the core reports them as
 * `ACCESS_DENIED`), a missing table, and an endpoint that answers HTTP but is not DynamoDB.
 * Other errors keep the core's code and message.
 */
export function diagnose(error: SessionStoreError, target: Target): Diagnosis {
  const cause = error.cause as AwsError | undefined;
  const where = target.endpoint ? ` --endpoint ${target.endpoint}` : '';
  if (cause?.name === 'CredentialsProviderError') {
    return {
      code: 'NO_CREDENTIALS',
      message: 'no AWS credentials: the AWS SDK found none in the environment or its config files',
      hints: target.endpoint
        ? [
            'a local server (DynamoDB Local, dynalite) accepts any keys, e.g.:',
            `  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local dynamodb-session ...${where}`,
          ]
        : [
            'set AWS_PROFILE (after `aws configure` or `aws sso login`), or AWS_ACCESS_KEY_ID and',
            'AWS_SECRET_ACCESS_KEY; for a local server add --endpoint http://localhost:8000 and any',
            'keys (AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local)',
          ],
    };
  }
  const status = cause?.$metadata?.httpStatusCode;
  if (status !== undefined && cause?.$metadata?.requestId === undefined) {
    const type = cause && contentType(cause);
    return {
      code: 'NOT_DYNAMODB',
      message:
        `${target.endpoint ?? 'the endpoint'} answered HTTP ${status}` +
        `${type ? ` (${type})` : ''}, but not as DynamoDB does (no x-amzn-RequestId, ` +
        `error ${cause?.name ?? 'unknown'})`,
      hints: [
        'expected DynamoDB Local, dynalite or DynamoDB itself (https://dynamodb.<region>.amazonaws.com):',
        'check the host and port of --endpoint (or DYNAMODB_ENDPOINT)',
      ],
    };
  }
  if (error.code === 'TABLE_NOT_FOUND') {
    return {
      code: error.code,
      message: `${error.message}: table ${target.table} does not exist${target.endpoint ? ` at ${target.endpoint}` : ''}`,
      hints: [
        `create it with: dynamodb-session create-table --table ${target.table}${where}`,
        'or pick another table with --table (or DYNAMODB_SESSION_TABLE)',
      ],
    };
  }
  return { code: error.code, message: error.message, hints: [] };
}

/** The parts of an AWS SDK error read here. */
interface AwsError {
  name?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string };
  $response?: { headers?: Record<string, string | undefined> };
}

function contentType(error: AwsError): string | undefined {
  const value = error.$response?.headers?.['content-type'];
  return value?.split(';')[0];
}
