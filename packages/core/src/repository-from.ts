import type { SessionRepositoryOptions } from './options';
import type { SessionData } from './session-data';
import { SessionRepository } from './session-repository';

/**
 * What the framework adapters call on the repository they are given: {@link SessionRepository}
 * has it, over DynamoDB or in memory (`@dynamodb-session/core/testing`). Implement it to hand a
 * store any other repository, e.g. a wrapper that logs or fails on purpose in a test.
 */
export type SessionRepositoryLike<Data extends object = SessionData> = Pick<
  SessionRepository<Data>,
  | 'options'
  | 'get'
  | 'set'
  | 'save'
  | 'refresh'
  | 'destroy'
  | 'lock'
  | 'all'
  | 'length'
  | 'clear'
  | 'report'
  | 'close'
>;

/**
 * What a framework store is built from: the repository's options (the store then builds a
 * `SessionRepository`), or a ready repository, such as the in-memory one of
 * `@dynamodb-session/core/testing`.
 */
export type RepositoryOrOptions<
  Data extends object = SessionData,
  Repository extends SessionRepositoryLike<Data> = SessionRepositoryLike<Data>,
> = (SessionRepositoryOptions & { repository?: undefined }) | { repository: Repository };

/**
 * The repository a framework store works on: `options.repository` when given, else a
 * {@link SessionRepository} built from `options`.
 */
export function repositoryFrom<
  Data extends object,
  Repository extends SessionRepositoryLike<Data> = SessionRepository<Data>,
>(options: RepositoryOrOptions<Data, Repository>): Repository {
  if (typeof options !== 'object' || options === null) {
    return new SessionRepository<Data>(options as never) as unknown as Repository;
  }
  return (
    options.repository ??
    (new SessionRepository<Data>(options as SessionRepositoryOptions) as unknown as Repository)
  );
}
