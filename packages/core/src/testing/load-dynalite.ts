/// <reference path="./dynalite.d.ts" />
import type { Server } from 'node:http';
import { SessionStoreError } from '../errors';

/** Starts a dynalite server (not yet listening). */
export type DynaliteFactory = (options: {
  createTableMs: number;
  deleteTableMs: number;
  updateTableMs: number;
}) => Server;

/**
 * Loads dynalite, an optional peer dependency: only `startLocalDynamoDB` needs it. When it is
 * not installed, fails with code `UNSUPPORTED` and says how to install it, or what to use
 * instead. `load` is the import itself (replaceable in tests).
 */
export async function loadDynalite(
  load: () => Promise<{ default: unknown }> = () => import('dynalite'),
): Promise<DynaliteFactory> {
  let loaded: { default: unknown };
  try {
    loaded = await load();
  } catch (error) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    const notFound = code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND';
    if (!notFound || !String(message).includes('dynalite')) throw error;
    throw new SessionStoreError(
      'UNSUPPORTED',
      'startLocalDynamoDB() runs dynalite, an optional peer dependency of @dynamodb-session/core ' +
        'that is not installed: `npm install --save-dev dynalite@4`. Or point it at a running ' +
        'DynamoDB Local with the `endpoint` option or DYNAMODB_ENDPOINT.',
      { cause: error },
    );
  }
  return loaded.default as DynaliteFactory;
}
