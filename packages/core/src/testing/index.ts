/**
 * `@dynamodb-session/core/testing`: helpers for the tests of an app that keeps its sessions with
 * dynamodb-session. An in-memory repository to hand a store as `repository` (fast tests, no
 * server, a clock of your own), and a local DynamoDB with a sessions table for integration tests.
 */
export {
  type LocalDynamoDB,
  type LocalDynamoDBOptions,
  startLocalDynamoDB,
} from './local-dynamodb';
export {
  createMemoryRepository,
  MemorySessionRepository,
  type MemorySessionRepositoryOptions,
} from './memory-session-repository';
export { MemorySessionStorage } from './memory-session-storage';
