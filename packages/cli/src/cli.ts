import { parseArgs } from 'node:util';
import {
  type IndexAttribute,
  isSessionStoreError,
  SessionRepository,
  SessionStoreError,
} from '@dynamodb-session/core';
import { version } from '../package.json';
import {
  type Command,
  type CommandContext,
  ExitCode,
  type OptionValues,
  UsageError,
} from './command';
import { clearCommand, destroyUserCommand, purgeCommand } from './commands/bulk';
import { countCommand, deleteCommand, listCommand, showCommand } from './commands/sessions';
import { createTableCommand, statusCommand } from './commands/table';
import { diagnose, type Target } from './diagnosis';
import { type CliIO, Output } from './output';
import {
  environmentHelp,
  repositoryOptions,
  sharedOptionHelp,
  sharedOptions,
  targetOf,
  withFlagNames,
} from './shared-options';

export { type Command, ExitCode } from './command';
export type { CliIO, CliStream } from './output';

/** Every command, in the order of the help. */
export const commands: readonly Command[] = [
  createTableCommand,
  statusCommand,
  countCommand,
  listCommand,
  showCommand,
  deleteCommand,
  purgeCommand,
  destroyUserCommand,
  clearCommand,
];

const NAME = 'dynamodb-session';

/**
 * Runs the CLI with `argv` (the arguments after the executable) and resolves the exit code;
 * it never calls `process.exit`. Output goes to `io.stdout` / `io.stderr`, options come from
 * `argv` and `io.env`, and `io.signal` interrupts bulk commands (the executable wires it to
 * Ctrl-C).
 */
export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const output = new Output(io, argv.includes('--json'));
  let command: Command | undefined;
  let values: OptionValues = {};
  try {
    const located = locateCommand(argv);
    if (located === undefined) return await topLevel(argv, io, output);
    command = located.command;
    const parsed = parseArgs({
      args: located.args,
      options: { ...sharedOptions, ...command.options },
      allowPositionals: true,
      strict: true,
    }) as { values: OptionValues; positionals: string[] };
    values = parsed.values;
    const { positionals } = parsed;
    if (values.help === true) {
      await output.line(commandHelp(command));
      return ExitCode.ok;
    }
    checkPositionals(command, positionals);
    return await execute(command, { values, positionals, output, io });
  } catch (error) {
    return report(error, output, command, targetOf(values, io.env));
  }
}

/** The text of `dynamodb-session --help`. */
export function mainHelp(): string {
  const width = Math.max(...commands.map(({ name }) => name.length)) + 3;
  return [
    `Usage: ${NAME} <command> [options]`,
    '',
    'Operate a table of web sessions in Amazon DynamoDB (@dynamodb-session/core).',
    '',
    'Commands:',
    ...commands.map(({ name, summary }) => `  ${name.padEnd(width)}${summary}`),
    '',
    'Shared options:',
    ...table(sharedOptionHelp),
    '',
    'Environment:',
    ...table(environmentHelp, 38),
    '',
    'Exit codes: 0 done, 1 failed (or not found), 2 bad usage, 3 status found warnings,',
    '130 interrupted (Ctrl-C).',
    '',
    `Run '${NAME} <command> --help' for the options of a command.`,
  ].join('\n');
}

/** The text of `dynamodb-session <command> --help`. */
export function commandHelp(command: Command): string {
  const usage = [NAME, command.name, command.arguments, '[options]'].filter(Boolean).join(' ');
  return [
    `Usage: ${usage}`,
    '',
    ...wrap(command.description, 80),
    ...(command.optionHelp.length > 0 ? ['', 'Options:', ...table(command.optionHelp)] : []),
    '',
    'Shared options:',
    ...table(sharedOptionHelp),
    '',
    'Example:',
    `  ${command.example}`,
  ].join('\n');
}

async function execute(
  command: Command,
  parsed: Pick<CommandContext, 'values' | 'positionals' | 'output' | 'io'>,
): Promise<number> {
  let repository: SessionRepository | undefined;
  const context: CommandContext = {
    ...parsed,
    signal: parsed.io.signal ?? new AbortController().signal,
    repository(extra?: { indexAttributes?: IndexAttribute[] }) {
      repository ??= new SessionRepository(
        repositoryOptions(parsed.values, parsed.io.env, extra?.indexAttributes),
      );
      return repository;
    },
  };
  try {
    const running = command.run(context);
    return await (command.interruptible ? running : abandonOnAbort(running, context.signal));
  } finally {
    repository?.close();
  }
}

/** `promise`, or a rejection with code `ABORTED` as soon as `signal` aborts. */
function abandonOnAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(aborted());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(aborted());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function aborted(): SessionStoreError {
  return new SessionStoreError('ABORTED', 'the operation was interrupted');
}

async function topLevel(argv: readonly string[], io: CliIO, output: Output): Promise<number> {
  if (argv.includes('--version') || argv.includes('-v')) {
    await output.line(output.json ? JSON.stringify({ version }) : version);
    return ExitCode.ok;
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    await output.line(mainHelp());
    return ExitCode.ok;
  }
  io.stderr.write(`${mainHelp()}\n`);
  return ExitCode.usage;
}

/** The command named in `argv` and the other arguments, or `undefined` when none is named. */
function locateCommand(argv: readonly string[]): { command: Command; args: string[] } | undefined {
  for (let index = 0; index < argv.length; index++) {
    const token = argv[index] as string;
    if (token === '--') break;
    if (token.startsWith('-')) {
      const name = token.replace(/^--?/, '');
      if (!token.includes('=') && sharedOptions[name]?.type === 'string') index++;
      continue;
    }
    if (token === 'help') {
      const target = argv[index + 1];
      if (target === undefined) return undefined;
      return { command: findCommand(target), args: ['--help'] };
    }
    const args = [...argv.slice(0, index), ...argv.slice(index + 1)];
    return { command: findCommand(token), args };
  }
  return undefined;
}

function findCommand(name: string): Command {
  const command = commands.find((candidate) => candidate.name === name);
  if (command) return command;
  throw new UsageError(
    `unknown command "${name}"; the commands are ${commands.map((c) => c.name).join(', ')}`,
  );
}

function checkPositionals(command: Command, positionals: string[]): void {
  const { min, max } = command.positionals;
  if (positionals.length < min) {
    throw new UsageError(`${command.name} needs ${command.arguments}`);
  }
  if (positionals.length > max) {
    throw new UsageError(
      `unexpected argument "${positionals[max]}"${max === 0 ? `: ${command.name} takes none` : ''}`,
    );
  }
}

async function report(
  error: unknown,
  output: Output,
  command: Command | undefined,
  target: Target,
): Promise<number> {
  const help = `Run '${NAME}${command ? ` ${command.name}` : ''} --help' for usage.`;
  if (error instanceof UsageError || isParseArgsError(error)) {
    await output.error(usageMessage(error as Error, command), 'USAGE');
    if (!output.json) await output.note(help);
    return ExitCode.usage;
  }
  if (isSessionStoreError(error)) {
    if (error.code === 'INVALID_OPTIONS') {
      await output.error(withFlagNames(error.message), error.code);
      if (!output.json) await output.note(help);
      return ExitCode.usage;
    }
    if (error.code === 'ABORTED') {
      await output.error('interrupted before the end', error.code);
      return ExitCode.interrupted;
    }
    const { code, message, hints } = diagnose(error, target);
    await output.error(message, code, hints);
    return ExitCode.failure;
  }
  await output.error(error instanceof Error ? error.message : String(error), 'UNEXPECTED');
  return ExitCode.failure;
}

/**
 * The message of a usage error. Node's own text for an unknown option is replaced: it names
 * the option, suggests the nearest known one and lists the command's options.
 */
function usageMessage(error: Error, command: Command | undefined): string {
  const unknown = /^Unknown option '([^']+)'/.exec(error.message)?.[1];
  if ((error as { code?: string }).code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || !unknown) {
    return error.message;
  }
  const config = { ...sharedOptions, ...command?.options };
  const known = Object.entries(config).map(([name, { short }]) =>
    unknown.startsWith('--') || !short ? `--${name}` : `-${short}`,
  );
  const nearest = closest(unknown, known);
  return (
    `unknown option ${unknown}${nearest ? ` (did you mean ${nearest}?)` : ''}; ` +
    `${command ? `${command.name} takes` : 'the options are'} ${Object.keys(config)
      .map((name) => `--${name}`)
      .join(', ')}`
  );
}

/** The name in `names` within two edits of `name` (of four letters or more), if any. */
function closest(name: string, names: string[]): string | undefined {
  if (name.replace(/^-+/, '').length < 4) return undefined;
  let best: { name: string; distance: number } | undefined;
  for (const candidate of names) {
    const distance = editDistance(name, candidate);
    if (distance <= 2 && (best === undefined || distance < best.distance)) {
      best = { name: candidate, distance };
    }
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        substitution,
      );
    }
    previous = current;
  }
  return previous[b.length] as number;
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

function table(rows: [string, string][], maxWidth = 30): string[] {
  const width = Math.min(maxWidth, Math.max(...rows.map(([left]) => left.length)) + 3);
  return rows.map(([left, right]) =>
    left.length + 2 >= width
      ? `  ${left}\n  ${' '.repeat(width)}${right}`
      : `  ${left.padEnd(width)}${right}`,
  );
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}
