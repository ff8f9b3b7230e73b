import { describe, expect, it } from 'vitest';
import { parseSessionRepositoryOptions, type SessionRepositoryOptions } from '../src/index';
import { formatOptionIssues } from '../src/option-messages';
import { sessionRepositoryOptionsSchema } from '../src/options';

/** The message of the INVALID_OPTIONS error that `options` cause, without its common prefix. */
function problem(options: unknown): string {
  try {
    parseSessionRepositoryOptions(options as SessionRepositoryOptions);
  } catch (error) {
    expect(error).toMatchObject({ code: 'INVALID_OPTIONS' });
    return (error as Error).message.replace(/^Invalid session store options: /, '');
  }
  throw new Error(`options were accepted: ${JSON.stringify(options)}`);
}

describe('option messages name the option and what it accepts', () => {
  it.each([
    [
      { touchAfterMs: 'soon' },
      'option "touchAfterMs": must be "auto" or a number, not the string "soon"',
    ],
    [{ touchAfterMs: -5 }, 'option "touchAfterMs": must be at least 0, not number -5'],
    [
      { serializer: 'xml' },
      'option "serializer": must be "json", "map" or an object with serialize and deserialize methods, not the string "xml"',
    ],
    [
      { logger: true },
      'option "logger": must be false or an object with a debug method, not boolean true',
    ],
    [{ consistentRead: 'yes' }, 'option "consistentRead": must be a boolean, not the string "yes"'],
    [{ defaultLifetimeMs: 0 }, 'option "defaultLifetimeMs": must be more than 0, not number 0'],
    [
      { defaultLifetimeMs: 1.5 },
      'option "defaultLifetimeMs": must be a whole number, not number 1.5',
    ],
    [
      { compression: { algorithm: 'zip' } },
      'option "compression.algorithm": must be "gzip" or "brotli", not the string "zip"',
    ],
    [
      { indexAttributes: [{ name: 'a', type: 'X' }] },
      'option "indexAttributes.0.type": must be one of "S", "N", "B", not the string "X"',
    ],
    [{ tabel: 'sessions' }, 'option "tabel" is not a known option'],
  ])('%j', (options, message) => {
    expect(problem(options)).toBe(message);
  });

  it.each([
    ['sessions', 'the string "sessions"'],
    [42, 'number 42'],
    [['sessions'], 'an array'],
  ])('says that the options are an object when given %j', (options, given) => {
    expect(problem(options)).toBe(
      `expected an options object, e.g. { table: 'sessions' }, not ${given}`,
    );
  });

  it.each(['localhost:8123', '127.0.0.1:8000', 'ftp://localhost:8000', 'localhost 8000'])(
    'refuses the endpoint %j, which has no http(s) scheme',
    (endpoint) => {
      expect(problem({ endpoint })).toBe(
        'option "endpoint": must be a URL with its scheme, http:// or https://, e.g. ' +
          `http://localhost:8000, not the string ${JSON.stringify(endpoint)}`,
      );
    },
  );

  it.each(['http://localhost:8000', 'https://dynamodb.eu-west-1.amazonaws.com'])(
    'accepts the endpoint %j',
    (endpoint) => {
      expect(parseSessionRepositoryOptions({ endpoint }).endpoint).toBe(endpoint);
    },
  );

  it('formats every issue of a list, as a pure function of the issues and the input', () => {
    const input = { table: 'x', touchAfterMs: 'soon', bogus: 1 };
    const parsed = sessionRepositoryOptionsSchema.safeParse(input);
    expect(parsed.success).toBe(false);
    expect(formatOptionIssues(parsed.error?.issues ?? [], input)).toEqual([
      'option "table": must be 3 to 255 characters of a-z, A-Z, 0-9, _ . -, not the string "x"',
      'option "touchAfterMs": must be "auto" or a number, not the string "soon"',
      'option "bogus" is not a known option',
    ]);
  });
});
