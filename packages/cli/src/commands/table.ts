import { UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import type {
  CreateTableOptions,
  SessionRepository,
  SessionTableDescription,
} from '@dynamodb-session/core';
import { type Command, ExitCode, integerOption, UsageError } from '../command';
import { indexAttributeFrom, indexAttributeHelp, indexAttributeOptions } from '../shared-options';

/** `create-table`: creates the table (idempotent), waits until ACTIVE, enables TTL. */
export const createTableCommand: Command = {
  name: 'create-table',
  arguments: '',
  summary: 'create the sessions table (idempotent), wait until ACTIVE, enable TTL',
  description:
    'Creates the table keyed by the hash key (type S), on-demand unless --provisioned, waits ' +
    'until it is ACTIVE and enables DynamoDB TTL on the expiry attribute. An existing table ' +
    'with the right key is accepted; one with another key fails. With --attribute and --index, ' +
    'also creates the global secondary index that destroy-user needs.',
  options: {
    provisioned: { type: 'boolean' },
    rcu: { type: 'string' },
    wcu: { type: 'string' },
    'no-ttl': { type: 'boolean' },
    tag: { type: 'string', multiple: true },
    ...indexAttributeOptions,
  },
  optionHelp: [
    ['--provisioned', 'provisioned capacity instead of on-demand (PAY_PER_REQUEST)'],
    ['--rcu <n>', 'read capacity units with --provisioned (default 5)'],
    ['--wcu <n>', 'write capacity units with --provisioned (default 5)'],
    ['--no-ttl', 'leave DynamoDB TTL off (purge then does all the cleaning)'],
    ['--tag <key=value>', 'tag the table; repeatable'],
    ...indexAttributeHelp,
  ],
  positionals: { min: 0, max: 0 },
  example: 'dynamodb-session create-table --table sessions --attribute userId --index by-user',
  async run({ values, output, repository }) {
    const provisioned = values.provisioned === true;
    const readCapacityUnits = integerOption(values, 'rcu');
    const writeCapacityUnits = integerOption(values, 'wcu');
    if (!provisioned && (readCapacityUnits ?? writeCapacityUnits) !== undefined) {
      throw new UsageError(`option --${readCapacityUnits ? 'rcu' : 'wcu'} needs --provisioned`);
    }
    const indexAttributes = indexAttributeFrom(values, false);
    const options: CreateTableOptions = {
      billingMode: provisioned ? 'PROVISIONED' : 'PAY_PER_REQUEST',
      readCapacityUnits,
      writeCapacityUnits,
      timeToLive: values['no-ttl'] !== true,
      tags: tagsOf(values.tag),
    };
    const sessions = repository({ indexAttributes });
    const { table, expiresAttribute } = sessions.options;
    const result = await sessions.createTable(options);
    const indexes = indexAttributes.map(({ index, name }) => ({ index, attribute: name }));
    if (output.json) {
      await output.document({ table, billingMode: options.billingMode, indexes, ...result });
      return ExitCode.ok;
    }
    const capacity = provisioned
      ? `provisioned, ${readCapacityUnits ?? 5} RCU / ${writeCapacityUnits ?? 5} WCU`
      : 'on-demand';
    await output.line(
      result.created
        ? `Created table ${table} (${capacity}).`
        : `Table ${table} already exists with the right key.`,
    );
    if (result.created) {
      for (const { index, attribute } of indexes) {
        await output.line(`Created global secondary index ${index} on ${attribute}.`);
      }
    }
    await output.line(ttlLine(result.timeToLive, result.timeToLiveAttribute));
    if (result.timeToLiveAttribute && result.timeToLiveAttribute !== expiresAttribute) {
      await output.note(
        `warning: TTL is on ${result.timeToLiveAttribute}, not on ${expiresAttribute}: ` +
          'DynamoDB will not expire these sessions (a table has one TTL attribute)',
      );
    }
    return ExitCode.ok;
  },
};

/** `status`: describes the table and checks it against the options. */
export const statusCommand: Command = {
  name: 'status',
  arguments: '',
  summary: 'describe the table (key, billing, TTL) and warn where it does not fit',
  description:
    'Describes the table: status, partition key, billing mode, TTL and global secondary ' +
    'indexes, and lists where it differs from the options (wrong key, a sort key, TTL off or ' +
    'on another attribute). A local server without a TTL API (dynalite) shows TTL as ' +
    'UNSUPPORTED, as create-table does, and that is no warning. Exits ' +
    `${ExitCode.warnings} when there are warnings, ${ExitCode.failure} when the table does not exist.`,
  options: {},
  optionHelp: [],
  positionals: { min: 0, max: 0 },
  example: 'dynamodb-session status --table sessions',
  async run({ output, repository }) {
    const sessions = repository();
    const description = await withTtlSupport(sessions, await sessions.describeTable());
    const code = description.warnings.length > 0 ? ExitCode.warnings : ExitCode.ok;
    if (output.json) {
      await output.document({ table: sessions.options.table, ...description });
      return code;
    }
    const { partitionKey, sortKey, timeToLive } = description;
    const rows: [string, string][] = [
      ['table', sessions.options.table],
      ['status', description.status],
      ['partition key', partitionKey ? `${partitionKey.name} (${partitionKey.type})` : 'none'],
      ...(sortKey === undefined ? [] : [['sort key', sortKey] as [string, string]]),
      ['billing mode', description.billingMode],
      ['TTL', ttlLine(timeToLive.status, timeToLive.attribute).replace(/^TTL: /, '')],
      ['indexes', description.indexes.length === 0 ? 'none' : description.indexes.join(', ')],
      [
        'warnings',
        description.warnings.length === 0 ? 'none' : String(description.warnings.length),
      ],
    ];
    for (const [label, value] of rows) await output.line(`${`${label}:`.padEnd(15)}${value}`);
    for (const warning of description.warnings) await output.line(`warning: ${warning}`);
    return code;
  },
};

/**
 * The description with TTL `UNSUPPORTED` where the server has no TTL API. dynalite's
 * DescribeTimeToLive always answers DISABLED, so with an `endpoint` a DISABLED TTL is checked by
 * an UpdateTimeToLive that any DynamoDB refuses as invalid (an empty attribute name, nothing
 * changes): only a server without the API answers UnknownOperationException. Its TTL warning
 * goes, since create-table could not have enabled TTL there either.
 */
async function withTtlSupport(
  sessions: SessionRepository,
  description: SessionTableDescription,
): Promise<SessionTableDescription> {
  if (description.timeToLive.status !== 'DISABLED' || !sessions.options.endpoint) {
    return description;
  }
  try {
    await sessions.client.send(
      new UpdateTimeToLiveCommand({
        TableName: sessions.options.table,
        TimeToLiveSpecification: { Enabled: false, AttributeName: '' },
      }),
    );
  } catch (error) {
    if ((error as Error).name !== 'UnknownOperationException') return description;
    return {
      ...description,
      timeToLive: { status: 'UNSUPPORTED', attribute: undefined },
      warnings: description.warnings.filter((warning) => !warning.startsWith('TTL is ')),
    };
  }
  return description;
}

function ttlLine(status: string, attribute: string | undefined): string {
  if (status === 'UNSUPPORTED') return 'TTL: UNSUPPORTED (this server has no TTL API)';
  return `TTL: ${status}${attribute ? ` on ${attribute}` : ''}`;
}

function tagsOf(value: unknown): CreateTableOptions['tags'] {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  return value.map((tag) => {
    const text = String(tag);
    const separator = text.indexOf('=');
    if (separator <= 0) throw new UsageError(`option --tag must be key=value, not "${text}"`);
    return { Key: text.slice(0, separator), Value: text.slice(separator + 1) };
  });
}
