import { describe, expect, it } from 'vitest';
import { commands, mainHelp } from '../src/cli';
import { cli } from './helpers';

/** No request reaches a server in these tests: every case fails before, or prints help. */
const LOCAL = ['--endpoint', 'http://127.0.0.1:9'];

describe('bad usage exits 2 and names the option', () => {
  it.each([
    [['status', ...LOCAL, '--table', 'x'], 'option "table" (--table, DYNAMODB_SESSION_TABLE)'],
    [['count', ...LOCAL, '--serializer', 'xml'], 'option "serializer" (--serializer'],
    [['count', '--endpoint', 'not a url'], 'option "endpoint" (--endpoint, DYNAMODB_ENDPOINT)'],
    [['count', ...LOCAL, '--hash-key', 'sess'], 'option "dataAttribute" (--data-attribute'],
    [
      ['count', ...LOCAL, '--expires-attribute', ''],
      'option "expiresAttribute" (--expires-attribute',
    ],
    [
      ['list', ...LOCAL, '--limit', '0'],
      'option --limit must be an integer of at least 1, not "0"',
    ],
    [['list', ...LOCAL, '--limit', 'ten'], 'option --limit must be an integer of at least 1'],
    [['purge', ...LOCAL, '--max-rps', 'fast'], 'option --max-rps must be a number of at least 0'],
    [['purge', ...LOCAL, '--segments', '1.5'], 'option --segments must be an integer'],
    [['list', '--bogus'], 'unknown option --bogus; list takes --table, --prefix, --hash-key'],
    [
      ['count', '--tabel', 'x'],
      'unknown option --tabel (did you mean --table?); count takes --table, --prefix, --hash-key, ' +
        '--expires-attribute, --data-attribute, --serializer, --region, --endpoint, --json, --help\n',
    ],
    [
      ['purge', '--max-rsp', '5'],
      'unknown option --max-rsp (did you mean --max-rps?); purge takes',
    ],
    [['count', '-x'], 'unknown option -x; count takes --table'],
    [
      ['count', '--endpoint', 'localhost:8123'],
      'option "endpoint" (--endpoint, DYNAMODB_ENDPOINT): must be a URL with its scheme, http:// ' +
        'or https://, e.g. http://localhost:8000, not the string "localhost:8123"',
    ],
    [
      ['count', ...LOCAL, '--serializer', 'xml'],
      'must be "json", "map" or an object with serialize and deserialize methods, not the string "xml"',
    ],
    [['count', '--table'], "Option '--table <value>' argument missing"],
    [['create-table', ...LOCAL, '--rcu', '5'], 'option --rcu needs --provisioned'],
    [['create-table', ...LOCAL, '--tag', 'novalue'], 'option --tag must be key=value'],
    [['create-table', ...LOCAL, '--index', 'by-user'], 'option --index needs --attribute'],
    [['destroy-user', '42', ...LOCAL], 'option --attribute is required'],
    [['destroy-user', '42', ...LOCAL, '--attribute', 'userId'], 'option --index is required'],
    [
      [
        'destroy-user',
        '42',
        ...LOCAL,
        '--attribute',
        'userId',
        '--index',
        'by-user',
        '--type',
        'B',
      ],
      'option --type must be S or N',
    ],
    [
      [
        'destroy-user',
        'ada',
        ...LOCAL,
        '--attribute',
        'userId',
        '--index',
        'by-user',
        '--type',
        'N',
      ],
      '<value> must be a number with --type N',
    ],
    [
      ['destroy-user', '42', ...LOCAL, '--attribute', 'userId', '--index', 'x'],
      'option "indexAttributes.0.index" (--index): must be a valid index name',
    ],
    [
      ['destroy-user', '42', ...LOCAL, '--attribute', 'sess', '--index', 'by-user'],
      'option "indexAttributes.0.name" (--attribute)',
    ],
    [['clear', ...LOCAL], 'add --yes to confirm'],
    [['show', ...LOCAL], 'show needs <id>'],
    [['show', 'a', 'b', ...LOCAL], 'unexpected argument "b"'],
    [['count', 'extra', ...LOCAL], 'unexpected argument "extra": count takes none'],
    [['frobnicate'], 'unknown command "frobnicate"; the commands are create-table, status'],
  ])('%j', async (args, message) => {
    const result = await cli(args);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(message);
    expect(result.stderr).toMatch(/^dynamodb-session: error: /);
    expect(result.stderr).toMatch(/Run 'dynamodb-session( [a-z-]+)? --help' for usage\.\n$/);
    expect(result.code).toBe(2);
  });

  it('reports as JSON on stderr with --json, stdout left empty', async () => {
    const result = await cli(['status', ...LOCAL, '--table', 'x', '--json']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(JSON.parse(result.stderr)).toEqual({
      error: {
        code: 'INVALID_OPTIONS',
        message: expect.stringContaining('option "table" (--table, DYNAMODB_SESSION_TABLE)'),
      },
    });
    const usage = await cli(['list', '--limit', '0', '--json']);
    expect(JSON.parse(usage.stderr)).toMatchObject({ error: { code: 'USAGE' } });
  });

  it('reads invalid values from the environment too, and names the variable', async () => {
    const result = await cli(['count', ...LOCAL], { env: { DYNAMODB_SESSION_SERIALIZER: 'xml' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('(--serializer, DYNAMODB_SESSION_SERIALIZER)');
  });
});

describe('help', () => {
  it('prints the commands with --help, and on stderr with exit 2 without a command', async () => {
    const help = await cli(['--help']);
    expect(help).toMatchObject({ code: 0, stdout: `${mainHelp()}\n`, stderr: '' });
    for (const { name, summary } of commands)
      expect(help.stdout).toContain(`${name}`.padEnd(15) + summary);
    const bare = await cli([]);
    expect(bare).toMatchObject({ code: 2, stdout: '', stderr: `${mainHelp()}\n` });
  });

  it.each(commands.map(({ name }) => name))('%s --help and help %s', async (name) => {
    const help = await cli([name, '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(new RegExp(`^Usage: dynamodb-session ${name}`));
    expect(help.stdout).toContain('Shared options:');
    expect(help.stdout).toContain('Example:\n  dynamodb-session ');
    expect(await cli(['help', name])).toMatchObject({ code: 0, stdout: help.stdout });
  });

  it('prints the version', async () => {
    const { version } = await import('../package.json');
    expect(await cli(['--version'])).toMatchObject({ code: 0, stdout: `${version}\n` });
  });
});
