import type { ReapProgress, ReapResult } from '@dynamodb-session/core';
import { type Command, ExitCode, integerOption, numberOption, UsageError } from '../command';
import { createProgressReporter, describeProgress } from '../progress';
import { indexAttributeFrom, indexAttributeHelp, indexAttributeOptions } from '../shared-options';

/** `purge`: deletes the expired sessions DynamoDB's TTL has not removed yet. */
export const purgeCommand: Command = {
  name: 'purge',
  interruptible: true,
  arguments: '',
  summary: 'delete the expired sessions TTL has not removed yet (Ctrl-C stops cleanly)',
  description:
    'Scans the prefix for expired sessions and deletes them in batches of 25 (one PartiQL ' +
    'BatchExecuteStatement each), each delete conditional on the session still being expired ' +
    '(a session renewed meanwhile is kept). Where the server has no BatchExecuteStatement ' +
    '(dynalite) or IAM does not allow dynamodb:PartiQLDelete, each session takes its own ' +
    'conditional DeleteItem, and the summary says so. ' +
    'Progress goes to stderr: a bar on a terminal, otherwise a line every --progress-interval ' +
    'seconds. Ctrl-C stops scanning, waits for the deletes already sent, reports what was ' +
    `done and exits ${ExitCode.interrupted}; running purge again carries on.`,
  options: {
    segments: { type: 'string' },
    concurrency: { type: 'string' },
    'max-rps': { type: 'string' },
    'progress-interval': { type: 'string' },
    'no-progress': { type: 'boolean' },
  },
  optionHelp: [
    ['--segments <n>', 'parallel scan segments (default 4)'],
    ['--concurrency <n>', 'delete batches in flight at once (default 4)'],
    ['--max-rps <n>', 'at most n DynamoDB requests per second (default unlimited)'],
    [
      '--progress-interval <s>',
      'seconds between progress lines off a terminal (default 10; 0: none)',
    ],
    ['--no-progress', 'no progress output at all'],
  ],
  positionals: { min: 0, max: 0 },
  example: 'dynamodb-session purge --max-rps 200',
  async run({ values, output, repository, signal, io }) {
    const options = {
      segments: integerOption(values, 'segments'),
      concurrency: integerOption(values, 'concurrency'),
      maxRequestsPerSecond: numberOption(values, 'max-rps') || undefined,
    };
    const progress = createProgressReporter(io.stderr, {
      disabled: values['no-progress'] === true,
      intervalSeconds: numberOption(values, 'progress-interval') ?? 10,
    });
    const sessions = repository();
    const { table, prefix } = sessions.options;
    let latest: ReapProgress | undefined;
    const onAbort = () => {
      progress.clear();
      void output.note('Interrupted: waiting for the deletes already sent to finish...');
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const started = Date.now();
    let result: ReapResult;
    try {
      result = await sessions.reap({
        ...options,
        signal,
        onProgress(counts) {
          latest = counts;
          progress.update(counts);
        },
      });
    } catch (error) {
      progress.clear();
      if (latest) await output.note(`purge failed after it ${describeProgress(latest)}`);
      throw error;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    progress.clear();
    const durationMs = Date.now() - started;
    const code = result.interrupted ? ExitCode.interrupted : ExitCode.ok;
    if (output.json) {
      await output.document({ table, prefix, ...result, durationMs });
      return code;
    }
    const seconds = (durationMs / 1000).toFixed(1);
    const unprocessed = result.found - result.deleted - result.kept;
    const rows: [string, number][] = [
      ['expired sessions found', result.found],
      ['deleted', result.deleted],
      ['kept (renewed meanwhile)', result.kept],
      ...(unprocessed > 0 ? [['found but not deleted', unprocessed] as [string, number]] : []),
      ['scan requests', result.scanRequests],
      ['delete requests', result.deleteRequests],
    ];
    await output.line(
      `Purge of table ${table} (prefix ${JSON.stringify(prefix)}) ` +
        (result.interrupted ? `interrupted after ${seconds} s:` : `done in ${seconds} s:`),
    );
    for (const [label, count] of rows) await output.line(`  ${`${label}:`.padEnd(26)}${count}`);
    if (usedSingleDeletes(result)) {
      await output.line(
        'One DeleteItem per session: the server has no PartiQL BatchExecuteStatement (dynalite), ' +
          'or IAM does not allow dynamodb:PartiQLDelete.',
      );
    }
    if (result.interrupted) {
      await output.line('Run purge again to delete the expired sessions that remain.');
    }
    return code;
  },
};

/**
 * True when the deletes went one by one: at least one delete request per session, where
 * batches of 25 would have needed about one per 25 (found apart, the two modes look alike).
 */
function usedSingleDeletes(result: ReapResult): boolean {
  const handled = result.deleted + result.kept;
  return handled >= 2 && result.deleteRequests >= handled;
}

/** `destroy-user`: deletes every session of one user, through a global secondary index. */
export const destroyUserCommand: Command = {
  name: 'destroy-user',
  interruptible: true,
  arguments: '<value>',
  summary: 'delete every session of one user ("log out everywhere") through a GSI',
  description:
    'Finds the live sessions whose index attribute (--attribute, copied from the session data ' +
    'by the app through the indexAttributes option) equals <value>, through the global ' +
    'secondary index --index, and deletes them. --dry-run only lists their ids.',
  options: {
    ...indexAttributeOptions,
    'dry-run': { type: 'boolean' },
  },
  optionHelp: [...indexAttributeHelp, ['--dry-run', 'list the sessions, delete nothing']],
  positionals: { min: 1, max: 1 },
  example: 'dynamodb-session destroy-user 42 --attribute userId --index by-user --type N',
  async run({ values, positionals: [value = ''], output, repository, signal }) {
    const [attribute] = indexAttributeFrom(values, true);
    if (attribute === undefined) throw new UsageError('option --attribute is required');
    if (attribute.type === 'N' && (value.trim() === '' || !Number.isFinite(Number(value)))) {
      throw new UsageError(`<value> must be a number with --type N, not "${value}"`);
    }
    const sessions = repository({ indexAttributes: [attribute] });
    const about = `${attribute.name} = ${value}`;
    if (values['dry-run'] === true) {
      const ids: string[] = [];
      for await (const id of sessions.idsByAttribute(attribute.name, value, { signal })) {
        ids.push(id);
      }
      if (output.json) await output.document({ attribute: attribute.name, value, ids });
      else {
        await output.line(`${ids.length} live session(s) with ${about} (dry run, none deleted):`);
        for (const id of ids) await output.line(id);
      }
      return ExitCode.ok;
    }
    const destroyed = await sessions.destroyByAttribute(attribute.name, value, { signal });
    if (output.json) await output.document({ attribute: attribute.name, value, destroyed });
    else await output.line(`Deleted ${destroyed} session(s) with ${about}.`);
    return ExitCode.ok;
  },
};

/** `clear`: deletes every session of the prefix. */
export const clearCommand: Command = {
  name: 'clear',
  interruptible: true,
  arguments: '',
  summary: 'delete every session of the prefix, live or expired (needs --yes)',
  description:
    'Deletes every session of the prefix, live or expired: everybody is logged out. Sessions ' +
    'of other prefixes in the same table stay. Refuses to run without --yes.',
  options: { yes: { type: 'boolean' } },
  optionHelp: [['--yes', 'really delete every session of the prefix']],
  positionals: { min: 0, max: 0 },
  example: 'dynamodb-session clear --table sessions-staging --yes',
  async run({ values, output, repository, signal }) {
    const sessions = repository();
    const { table, prefix } = sessions.options;
    if (values.yes !== true) {
      throw new UsageError(
        `clear deletes every session of prefix ${JSON.stringify(prefix)} in table ${table}; ` +
          'add --yes to confirm',
      );
    }
    const deleted = await sessions.clear({ signal });
    if (output.json) await output.document({ table, prefix, deleted });
    else
      await output.line(
        `Deleted ${deleted} session(s) of prefix ${JSON.stringify(prefix)} from table ${table}.`,
      );
    return ExitCode.ok;
  },
};
