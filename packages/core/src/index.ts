export { type NodeCallback, settle } from './callback-bridge';
export { type CreateDynamoDBClientOptions, createDynamoDBClient } from './create-dynamodb-client';
export type { CompressionOptions, EncryptionKey, EncryptionOptions } from './data-envelope';
export {
  isConditionFailure,
  isSessionStoreError,
  SessionStoreError,
  type SessionStoreErrorCode,
  toSessionStoreError,
} from './errors';
export {
  cookieExpiry,
  cookieOrExpireField,
  expiryFromMaxAge,
  expiryInSessionData,
  isExpired,
  ONE_DAY_MS,
  resolveExpiryMs,
  type SessionDataExpiry,
  type SessionExpiry,
  setExpiryInSessionData,
  toTtlSeconds,
} from './expiry';
export type { IndexAttribute } from './index-attributes';
export { itemSize, MAX_ITEM_BYTES } from './item-size';
export {
  parseSessionRepositoryOptions,
  type ResolvedSessionRepositoryOptions,
  type SessionRepositoryOptions,
  sessionRepositoryOptionsSchema,
} from './options';
export { fingerprintSession } from './recent-sessions';
export {
  jsonSerializer,
  mapSerializer,
  type SerializerName,
  type SessionSerializer,
} from './serializers';
export { isSessionData, type SessionData } from './session-data';
export { hashSessionId, MAX_KEY_BYTES, sessionIdProblem } from './session-key';
export type { PessimisticLockingOptions } from './session-lock';
export { DEBUG_NAMESPACE, loggedSessionId, type SessionLogger } from './session-logger';
export type { ReapOptions, ReapProgress, ReapResult } from './session-reaper';
export {
  type RefreshOutcome,
  repositoryFrom,
  type SaveOutcome,
  type SessionErrorListener,
  type SessionItem,
  SessionRepository,
} from './session-repository';
export type {
  RepositoryOrOptions,
  SessionCallOptions,
  SessionRepositoryLike,
} from './session-repository-like';
export {
  type CreateTableOptions,
  type CreateTableResult,
  createSessionTable,
  describeSessionTable,
  type SessionTableConfig,
  type SessionTableDescription,
  type TimeToLiveState,
} from './session-table';
export type { StoreMetricsSnapshot } from './store-metrics';
export type { BulkOptions } from './table-context';
