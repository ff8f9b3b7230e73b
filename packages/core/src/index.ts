export type { BulkOptions } from './bulk-options';
export { type NodeCallback, settle } from './callback-bridge';
export {
  and,
  beginsWith,
  type Comparison,
  type Condition,
  compare,
  exists,
  type Item,
  type ItemChange,
  missing,
  or,
} from './conditions';
export { type CreateDynamoDBClientOptions, createDynamoDBClient } from './create-dynamodb-client';
export {
  type CompressionOptions,
  type EncryptionKey,
  type EncryptionOptions,
  MAX_SESSION_JSON_BYTES,
} from './data-envelope';
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
  type RepositoryOrOptions,
  repositoryFrom,
  type SessionRepositoryLike,
} from './repository-from';
export {
  jsonSerializer,
  mapSerializer,
  type SerializerName,
  type SessionSerializer,
} from './serializers';
export type {
  ReapOptions,
  ReapProgress,
  ReapResult,
  SessionEntry,
  StoredSessionKey,
} from './session-bulk';
export { isSessionData, type SessionData } from './session-data';
export { hashSessionId, MAX_KEY_BYTES, prefixesOverlap, sessionIdProblem } from './session-key';
export type {
  PessimisticLockingOptions,
  RefreshOutcome,
  SaveOptions,
  SaveOutcome,
  SessionLock,
} from './session-lock';
export { DEBUG_NAMESPACE, loggedSessionId, type SessionLogger } from './session-logger';
export {
  DESTROYED_SESSION_KEPT_MS,
  type RepositoryStorage,
  type SessionErrorListener,
  type SessionItem,
  SessionRepository,
} from './session-repository';
export {
  type CreateTableOptions,
  type CreateTableResult,
  createSessionTable,
  describeSessionTable,
  type SessionTableConfig,
  type SessionTableDescription,
  type TimeToLiveState,
} from './session-table';
export type {
  BatchDeleteResult,
  ItemPage,
  QueryPageRequest,
  ScanPageRequest,
  StorageDriver,
} from './storage-driver';
export type { StoreMetricsSnapshot } from './store-metrics';
