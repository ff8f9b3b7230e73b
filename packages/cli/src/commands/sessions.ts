import { type Command, ExitCode, integerOption } from '../command';
import { toJson } from '../output';

/** `count`: how many live sessions the prefix holds. */
export const countCommand: Command = {
  name: 'count',
  interruptible: true,
  arguments: '',
  summary: 'count the live sessions of the prefix (a scan of keys and expiries)',
  description:
    'Counts the live (unexpired) sessions of the prefix with a parallel scan that reads only ' +
    'keys and expiries; it still reads ' +
    'the whole table, so it costs read capacity in proportion to the table size.',
  options: {},
  optionHelp: [],
  positionals: { min: 0, max: 0 },
  example: 'dynamodb-session count --prefix sess:',
  async run({ output, repository, signal }) {
    const count = await repository().length({ signal });
    await (output.json ? output.document({ count }) : output.line(String(count)));
    return ExitCode.ok;
  },
};

/** `list`: the ids of the live sessions, optionally with their data. */
export const listCommand: Command = {
  name: 'list',
  interruptible: true,
  arguments: '',
  summary: 'list the ids of the live sessions (with --data, their data too)',
  description:
    'Lists the live sessions of the prefix, one per line, as the scan finds them (no order, ' +
    'constant memory). With --json, one JSON document per line: {"id"} or {"id","data"}.',
  options: {
    limit: { type: 'string' },
    data: { type: 'boolean' },
  },
  optionHelp: [
    ['--limit <n>', 'stop after n sessions'],
    ['--data', "print each session's data too (id, a tab, the data as JSON)"],
  ],
  positionals: { min: 0, max: 0 },
  example: 'dynamodb-session list --limit 10 --data',
  async run({ values, output, repository, signal }) {
    const limit = integerOption(values, 'limit') ?? Number.POSITIVE_INFINITY;
    const sessions = repository();
    let listed = 0;
    if (values.data === true) {
      for await (const { id, key, data } of sessions.all({ signal })) {
        const shown = id ?? key;
        await (output.json
          ? output.document({ id: shown, data })
          : output.line(`${shown}\t${toJson(data)}`));
        if (++listed >= limit) break;
      }
    } else {
      const listing = sessions.options.hashSessionIds
        ? sessions.keys({ signal })
        : sessions.ids({ signal });
      for await (const id of listing) {
        await (output.json ? output.document({ id }) : output.line(id));
        if (++listed >= limit) break;
      }
    }
    return ExitCode.ok;
  },
};

/** `show`: one session's data. */
export const showCommand: Command = {
  name: 'show',
  arguments: '<id>',
  summary: 'print the data of one session',
  description:
    'Prints the data of session <id> (the id without the prefix, as in the cookie once ' +
    'unsigned) as indented JSON, or {"id","data"} with --json. Exits 1 when the session is ' +
    'missing or expired.',
  options: {},
  optionHelp: [],
  positionals: { min: 1, max: 1 },
  example: 'dynamodb-session show 3kDL0aWv2bXnJ2m1sJQ0rX9uYlq8wHcE',
  async run({ positionals: [id = ''], output, repository }) {
    const data = await repository().get(id);
    if (data === null) {
      await output.error(
        `session ${JSON.stringify(id)} not found (missing or expired)`,
        'NOT_FOUND',
      );
      return ExitCode.failure;
    }
    await (output.json ? output.document({ id, data }) : output.line(toJson(data, 2)));
    return ExitCode.ok;
  },
};

/** `delete`: deletes one session. */
export const deleteCommand: Command = {
  name: 'delete',
  arguments: '<id>',
  summary: 'delete one session (log one browser out)',
  description:
    'Deletes session <id>, expired or not. Succeeds whether or not it existed; the output ' +
    'says whether a live session was there.',
  options: {},
  optionHelp: [],
  positionals: { min: 1, max: 1 },
  example: 'dynamodb-session delete 3kDL0aWv2bXnJ2m1sJQ0rX9uYlq8wHcE',
  async run({ positionals: [id = ''], output, repository }) {
    const sessions = repository();
    const existed = (await sessions.get(id)) !== null;
    await sessions.destroy(id);
    if (output.json) await output.document({ id, existed });
    else {
      await output.line(
        existed ? `Deleted session ${id}.` : `No live session ${id}; nothing left to delete.`,
      );
    }
    return ExitCode.ok;
  },
};
