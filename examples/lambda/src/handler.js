/**
 * The Lambda function: `handler` is what to configure as its entry point (`src/handler.handler`),
 * behind an API Gateway HTTP API (payload format 2.0) or REST API (proxy integration, 1.0).
 *
 * Environment: `SESSIONS_TABLE` (default `sessions`), `SESSION_SECRET`, and `AWS_REGION`, which
 * Lambda sets by itself. `DYNAMODB_ENDPOINT` points it at a local DynamoDB instead (local runs
 * and tests only).
 *
 * Everything at module scope runs once per execution environment, at its cold start; every
 * invocation after that only runs `handler`. So the client (with its open connections) and the
 * store are built here, once, and reused by every request the environment serves.
 */
import { createDynamoDBClient } from '@dynamodb-session/core';
import { DynamoDBStore } from '@dynamodb-session/express';
import serverless from 'serverless-http';
import { createApp } from './app.js';

/**
 * The DynamoDB client of this execution environment, built at cold start by
 * `createDynamoDBClient()`: `cacheMiddleware: true` (less CPU per call), keep-alive agents (a
 * warm environment reuses its TLS connection instead of paying a handshake per invocation; a
 * connection closed while the environment was frozen fails its first use, and the retry
 * recovers it), and a bound on each attempt that fails it (`throwOnRequestTimeout`): without
 * one, an unanswered call waits for the Lambda timeout.
 */
export const client = createDynamoDBClient({
  // Set by Lambda. Credentials come from the function's role, through the environment.
  region: process.env.AWS_REGION,
  ...(process.env.DYNAMODB_ENDPOINT && { endpoint: process.env.DYNAMODB_ENDPOINT }),
  // Two attempts (the SDK's default is three): enough to recover a dropped connection, without
  // piling retries onto a request someone is waiting for.
  maxAttempts: 2,
  connectionTimeoutMs: 1_000,
  requestTimeoutMs: 2_000,
});

/**
 * The session store, on the client above. Building it makes no DynamoDB call: no table check,
 * no `createTable()` at cold start. The table comes from your infrastructure code (SAM, CDK,
 * Terraform...); if it is missing, requests fail with a 500 whose code is TABLE_NOT_FOUND.
 */
export const store = new DynamoDBStore({
  client,
  table: process.env.SESSIONS_TABLE ?? 'sessions',
  // Upper bound of one session call, retries included: shorter than the function's timeout,
  // so a slow DynamoDB gives a clean 500 (code TIMEOUT) rather than a Lambda timeout.
  requestTimeoutMs: 3_000,
});

/** The Lambda entry point: an API Gateway event in, an API Gateway response out. */
export const handler = serverless(createApp(store));
