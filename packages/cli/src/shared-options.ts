import type { IndexAttribute, SessionRepositoryOptions } from '@dynamodb-session/core';
import { type OptionsConfig, type OptionValues, stringOption, UsageError } from './command';

/** Options every command takes, in `util.parseArgs` form. */
export const sharedOptions: OptionsConfig = {
  table: { type: 'string' },
  prefix: { type: 'string' },
  'hash-key': { type: 'string' },
  'expires-attribute': { type: 'string' },
  'data-attribute': { type: 'string' },
  serializer: { type: 'string' },
  region: { type: 'string' },
  endpoint: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

/** A repository option the CLI sets, with its flag and environment variable. */
interface SharedOption {
  option: keyof SessionRepositoryOptions;
  flag: string;
  metavar: string;
  env: string[];
  help: string;
}

/** Where each repository option comes from: the flag first, then the environment. */
const SHARED: SharedOption[] = [
  {
    option: 'table',
    flag: 'table',
    metavar: 'name',
    env: ['DYNAMODB_SESSION_TABLE'],
    help: 'table name (default sessions)',
  },
  {
    option: 'prefix',
    flag: 'prefix',
    metavar: 'prefix',
    env: ['DYNAMODB_SESSION_PREFIX'],
    help: 'prefix of the session keys (default sess:)',
  },
  {
    option: 'hashKey',
    flag: 'hash-key',
    metavar: 'name',
    env: ['DYNAMODB_SESSION_HASH_KEY'],
    help: 'partition key attribute (default id)',
  },
  {
    option: 'expiresAttribute',
    flag: 'expires-attribute',
    metavar: 'name',
    env: ['DYNAMODB_SESSION_EXPIRES_ATTRIBUTE'],
    help: 'TTL attribute, epoch seconds (default expires)',
  },
  {
    option: 'dataAttribute',
    flag: 'data-attribute',
    metavar: 'name',
    env: ['DYNAMODB_SESSION_DATA_ATTRIBUTE'],
    help: 'session data attribute (default sess)',
  },
  {
    option: 'serializer',
    flag: 'serializer',
    metavar: 'json|map',
    env: ['DYNAMODB_SESSION_SERIALIZER'],
    help: 'how session data is stored (default json)',
  },
  {
    option: 'region',
    flag: 'region',
    metavar: 'region',
    env: ['AWS_REGION', 'AWS_DEFAULT_REGION'],
    help: "AWS region (default: the SDK's; us-east-1 with --endpoint)",
  },
  {
    option: 'endpoint',
    flag: 'endpoint',
    metavar: 'url',
    env: ['DYNAMODB_ENDPOINT'],
    help: 'DynamoDB endpoint, e.g. http://localhost:8000 (a local server)',
  },
];

/** Help lines of the shared options. */
export const sharedOptionHelp: [string, string][] = [
  ...SHARED.map(({ flag, metavar, help }): [string, string] => [`--${flag} <${metavar}>`, help]),
  ['--json', 'machine-readable output: one JSON document (JSON lines for list)'],
  ['-h, --help', 'show help'],
];

/** The environment variables the CLI reads, for the help text. */
export const environmentHelp: [string, string][] = [
  ...SHARED.map(({ flag, env }): [string, string] => [env.join(', '), `as --${flag}`]),
  ['AWS_ACCESS_KEY_ID', 'credentials, with AWS_SECRET_ACCESS_KEY (and'],
  ['AWS_SECRET_ACCESS_KEY', "AWS_SESSION_TOKEN); otherwise the AWS SDK's chain"],
  ['AWS_PROFILE', '(AWS_PROFILE, SSO, instance and task roles...)'],
];

/**
 * The repository options of the shared flags and the environment (a flag wins over its
 * variable; empty values count as unset). Validation is the core's. Reads are eventually
 * consistent: scans then cost half the read capacity, and purge's deletes are conditional.
 */
export function repositoryOptions(
  values: OptionValues,
  env: Record<string, string | undefined>,
  indexAttributes: IndexAttribute[] = [],
): SessionRepositoryOptions {
  const options: Record<string, unknown> = { trackedSessions: 0, consistentRead: false };
  for (const { option, flag, env: names } of SHARED) {
    const value = stringOption(values, flag) ?? names.map((name) => env[name]).find(Boolean);
    if (value !== undefined) options[option] = value;
  }
  if (options.endpoint !== undefined && options.region === undefined) {
    options.region = 'us-east-1';
  }
  const { AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN } = env;
  if (AWS_ACCESS_KEY_ID && AWS_SECRET_ACCESS_KEY) {
    options.clientConfig = {
      credentials: {
        accessKeyId: AWS_ACCESS_KEY_ID,
        secretAccessKey: AWS_SECRET_ACCESS_KEY,
        ...(AWS_SESSION_TOKEN && { sessionToken: AWS_SESSION_TOKEN }),
      },
    };
  }
  if (indexAttributes.length > 0) options.indexAttributes = indexAttributes;
  return options as SessionRepositoryOptions;
}

/**
 * The core's validation message with the flag (and variable) behind each option it names:
 * `option "hashKey"` becomes `option "hashKey" (--hash-key, DYNAMODB_SESSION_HASH_KEY)`.
 */
export function withFlagNames(message: string): string {
  return message.replace(/option "([\w.]+)"/g, (text, path: string) => {
    const shared = SHARED.find(({ option }) => option === path);
    if (shared) return `${text} (--${shared.flag}, ${shared.env.join(', ')})`;
    const field = /^indexAttributes\.\d+\.(\w+)$/.exec(path)?.[1];
    const flag = field && INDEX_ATTRIBUTE_FLAGS[field];
    return flag ? `${text} (--${flag})` : text;
  });
}

/** Options naming an index attribute and its global secondary index (create-table, destroy-user). */
export const indexAttributeOptions: OptionsConfig = {
  attribute: { type: 'string' },
  index: { type: 'string' },
  path: { type: 'string' },
  type: { type: 'string' },
};

/** Help lines of {@link indexAttributeOptions}. */
export const indexAttributeHelp: [string, string][] = [
  ['--attribute <name>', 'top-level attribute holding the user (e.g. userId)'],
  ['--index <gsi>', 'name of the global secondary index keyed by that attribute'],
  ['--path <path>', 'where the value sits in the session data (default: the attribute name)'],
  ['--type <S|N>', 'DynamoDB type of the attribute (default S)'],
];

/**
 * The index attribute of `--attribute`, `--index`, `--path`, `--type`, or none when
 * `--attribute` is absent and not `required`. The core validates the names.
 */
export function indexAttributeFrom(values: OptionValues, required: boolean): IndexAttribute[] {
  const name = stringOption(values, 'attribute');
  const index = stringOption(values, 'index');
  if (name === undefined) {
    if (required) throw new UsageError('option --attribute is required');
    if (index !== undefined) throw new UsageError('option --index needs --attribute');
    return [];
  }
  if (index === undefined) throw new UsageError('option --index is required with --attribute');
  const type = stringOption(values, 'type') ?? 'S';
  if (type !== 'S' && type !== 'N') {
    throw new UsageError(`option --type must be S or N, not "${type}"`);
  }
  const path = stringOption(values, 'path');
  return [{ name, index, type, required: false, ...(path !== undefined && { path }) }];
}

const INDEX_ATTRIBUTE_FLAGS: Record<string, string> = {
  name: 'attribute',
  path: 'path',
  type: 'type',
  index: 'index',
};

/** The table and endpoint the shared flags and the environment name, for error hints. */
export function targetOf(
  values: OptionValues,
  env: Record<string, string | undefined>,
): { table: string; endpoint?: string } {
  const lookUp = (option: string) => {
    const shared = SHARED.find((candidate) => candidate.option === option);
    if (!shared) return undefined;
    return stringOption(values, shared.flag) ?? shared.env.map((name) => env[name]).find(Boolean);
  };
  const endpoint = lookUp('endpoint');
  return { table: lookUp('table') ?? 'sessions', ...(endpoint && { endpoint }) };
}
