import type { ParseArgsConfig } from 'node:util';
import type { IndexAttribute, SessionRepository } from '@dynamodb-session/core';
import type { CliIO, Output } from './output';

/** Exit codes of the CLI. */
export const ExitCode = {
  /** The command did what was asked. */
  ok: 0,
  /** The command failed (DynamoDB error, missing table, `show` of a missing session...). */
  failure: 1,
  /** Bad usage: unknown command or option, invalid value, `clear` without `--yes`. */
  usage: 2,
  /** `status` found the table usable but with warnings (TTL off, wrong key...). */
  warnings: 3,
  /** Interrupted by Ctrl-C (SIGINT); what was done is reported first. */
  interrupted: 130,
} as const;

/** The options of one command, in `util.parseArgs` form. */
export type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** Parsed option values. */
export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** What a command receives. */
export interface CommandContext {
  /** Option values (shared and the command's own). */
  values: OptionValues;
  /** Positional arguments after the command name. */
  positionals: string[];
  /** Results on stdout, notes on stderr. */
  output: Output;
  io: CliIO;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
  /** The repository of the shared options (built once, closed by `run`). */
  repository(extra?: { indexAttributes?: IndexAttribute[] }): SessionRepository;
}

/** One sub-command of the CLI. */
export interface Command {
  /** Name typed on the command line. */
  name: string;
  /** Positional arguments in the usage line, e.g. `<id>`. */
  arguments: string;
  /** One line for the command list. */
  summary: string;
  /** Paragraph for `--help`. */
  description: string;
  /** The command's own options. */
  options: OptionsConfig;
  /** Help lines for the command's own options: `[flags, text]`. */
  optionHelp: [string, string][];
  /** Allowed number of positional arguments. */
  positionals: { min: number; max: number };
  /** Stops by itself when the signal aborts; other commands are abandoned at once on Ctrl-C. */
  interruptible?: boolean;
  /** An example for `--help` and the README. */
  example: string;
  /** Runs the command; resolves the exit code. */
  run(context: CommandContext): Promise<number>;
}

/** A mistake on the command line: reported with a pointer to `--help`, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The string value of option `name`, or `undefined`. */
export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** The value of a numeric option: a positive integer (or `min` and more), `undefined` when absent. */
export function integerOption(values: OptionValues, name: string, min = 1): number | undefined {
  const text = stringOption(values, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min) {
    throw new UsageError(`option --${name} must be an integer of at least ${min}, not "${text}"`);
  }
  return value;
}

/** The value of a numeric option that may have decimals: a number of at least 0. */
export function numberOption(values: OptionValues, name: string): number | undefined {
  const text = stringOption(values, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) {
    throw new UsageError(`option --${name} must be a number of at least 0, not "${text}"`);
  }
  return value;
}
