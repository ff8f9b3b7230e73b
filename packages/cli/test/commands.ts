import {
  dropTable,
  localClient,
  type TestServer,
  testServers,
  uniqueTableName,
} from '@dynamodb-session/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, cli, loadSessions, secondsFromNow } from './helpers';

const LIVE = secondsFromNow(3_600);
const EXPIRED = secondsFromNow(-3_600);

/**
 * Every command, in-process through `run()`, as text and as JSON, against one local server
 * (each server has its own test file, so that the two run in parallel).
 */
export function describeCommands(name: TestServer['name']): void {
  const server = testServers().find((candidate) => candidate.name === name);
  if (server === undefined) throw new Error(`the global setup started no ${name}`);
  // dynalite has no UpdateTimeToLive: create-table reports TTL as UNSUPPORTED, and so does
  // status (its DescribeTimeToLive always says DISABLED), without a warning (exit 0).
  // dynalite has no PartiQL either: purge deletes one item per request there.
  const hasTtl = server.name !== 'dynalite';

  describe(`dynamodb-session on ${server.name}`, () => {
    const client = localClient(server.endpoint);
    const table = uniqueTableName('cli');
    const tables = [table];
    const base = ['--endpoint', server.endpoint, '--table', table];
    const inPrefix = (prefix: string) => [...base, '--prefix', prefix];
    let created: CliResult;

    beforeAll(async () => {
      created = await cli([
        'create-table',
        ...base,
        '--attribute',
        'userId',
        '--index',
        'by-user',
        '--json',
      ]);
    });
    afterAll(async () => {
      await Promise.all(tables.map((name) => dropTable(client, name)));
      client.destroy();
    });

    it('create-table creates the table with TTL and a GSI, and accepts it when run again', async () => {
      expect(created.stderr).toBe('');
      expect(created.code).toBe(0);
      expect(created.json()).toEqual({
        table,
        created: true,
        billingMode: 'PAY_PER_REQUEST',
        indexes: [{ index: 'by-user', attribute: 'userId' }],
        timeToLive: hasTtl ? 'ENABLED' : 'UNSUPPORTED',
        timeToLiveAttribute: hasTtl ? 'expires' : undefined,
      });
      const again = await cli(['create-table', ...base]);
      expect(again.code).toBe(0);
      expect(again.stdout).toBe(
        `Table ${table} already exists with the right key.\n` +
          (hasTtl
            ? 'TTL: ENABLED on expires\n'
            : 'TTL: UNSUPPORTED (this server has no TTL API)\n'),
      );
    });

    it('create-table --provisioned --no-ttl makes a provisioned table that status warns about', async () => {
      const other = uniqueTableName('cli-provisioned');
      tables.push(other);
      const flags = ['--endpoint', server.endpoint, '--table', other];
      const made = await cli([
        'create-table',
        ...flags,
        '--provisioned',
        '--rcu',
        '2',
        '--wcu',
        '3',
        '--no-ttl',
        '--tag',
        'team=web',
      ]);
      expect(made.code).toBe(0);
      expect(made.stdout).toContain(`Created table ${other} (provisioned, 2 RCU / 3 WCU).`);
      expect(made.stdout).toContain('TTL: DISABLED');

      const status = await cli(['status', ...flags, '--json']);
      expect(status.code).toBe(hasTtl ? 3 : 0);
      expect(status.json()).toMatchObject({
        table: other,
        status: 'ACTIVE',
        billingMode: 'PROVISIONED',
        timeToLive: { status: hasTtl ? 'DISABLED' : 'UNSUPPORTED' },
        warnings: hasTtl ? ['TTL is DISABLED: expired sessions are never deleted by DynamoDB'] : [],
      });
      const text = await cli(['status', ...flags]);
      expect(text.code).toBe(hasTtl ? 3 : 0);
      expect(text.stdout).toContain('billing mode:  PROVISIONED');
      if (hasTtl) expect(text.stdout).toContain('warning: TTL is DISABLED');
      else expect(text.stdout).not.toMatch(/^warning: /m);
    });

    it('status describes the table as create-table left it, its index included, and exits 0', async () => {
      const json = await cli(['status', ...base, '--json']);
      expect(json.code).toBe(0);
      expect(json.json()).toEqual({
        table,
        status: 'ACTIVE',
        partitionKey: { name: 'id', type: 'S' },
        billingMode: 'PAY_PER_REQUEST',
        timeToLive: hasTtl
          ? { status: 'ENABLED', attribute: 'expires' }
          : { status: 'UNSUPPORTED' },
        indexes: ['by-user'],
        warnings: [],
      });
      const text = await cli(['status', ...base]);
      expect(text).toMatchObject({ code: 0, stderr: '' });
      expect(text.stdout).toBe(
        [
          `table:         ${table}`,
          'status:        ACTIVE',
          'partition key: id (S)',
          'billing mode:  PAY_PER_REQUEST',
          hasTtl
            ? 'TTL:           ENABLED on expires'
            : 'TTL:           UNSUPPORTED (this server has no TTL API)',
          'indexes:       by-user',
          'warnings:      none',
          '',
        ].join('\n'),
      );
    });

    it('status of a missing table fails with TABLE_NOT_FOUND (exit 1)', async () => {
      const flags = ['--endpoint', server.endpoint, '--table', 'no-such-table'];
      const text = await cli(['status', ...flags]);
      expect(text.code).toBe(1);
      expect(text.stdout).toBe('');
      expect(text.stderr).toMatch(
        /^dynamodb-session: error: DescribeTable no-such-table failed: ResourceNotFoundException/,
      );
      expect(text.stderr).toContain(
        `: table no-such-table does not exist at ${server.endpoint}\n` +
          `hint: create it with: dynamodb-session create-table --table no-such-table --endpoint ${server.endpoint}\n`,
      );
      const json = await cli(['status', ...flags, '--json']);
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stderr)).toMatchObject({
        error: {
          code: 'TABLE_NOT_FOUND',
          hints: expect.arrayContaining([
            expect.stringContaining('dynamodb-session create-table --table no-such-table'),
          ]),
        },
      });
    });

    it('count counts the live sessions of the prefix only, from flags or the environment', async () => {
      await loadSessions(client, table, { prefix: 'count:', count: 7, expires: LIVE });
      await loadSessions(client, table, { prefix: 'count:', count: 3, expires: EXPIRED });
      await loadSessions(client, table, { prefix: 'other:', count: 2, expires: LIVE });
      const text = await cli(['count', ...inPrefix('count:')]);
      expect(text).toMatchObject({ code: 0, stdout: '7\n', stderr: '' });
      expect((await cli(['count', ...inPrefix('count:'), '--json'])).json()).toEqual({ count: 7 });
      const fromEnv = await cli(['count'], {
        env: {
          DYNAMODB_ENDPOINT: server.endpoint,
          DYNAMODB_SESSION_TABLE: table,
          DYNAMODB_SESSION_PREFIX: 'count:',
        },
      });
      expect(fromEnv.stdout).toBe('7\n');
      const flagWins = await cli(['count', ...inPrefix('other:')], {
        env: { DYNAMODB_SESSION_PREFIX: 'count:', DYNAMODB_SESSION_TABLE: 'elsewhere' },
      });
      expect(flagWins.stdout).toBe('2\n');
    });

    it('list prints the live ids, with --limit and --data, as text and as JSON lines', async () => {
      const live = await loadSessions(client, table, {
        prefix: 'list:',
        count: 5,
        expires: LIVE,
        data: (n) => ({ n, user: { name: `user ${n}` } }),
      });
      await loadSessions(client, table, { prefix: 'list:', count: 2, expires: EXPIRED });
      const text = await cli(['list', ...inPrefix('list:')]);
      expect(text.code).toBe(0);
      expect(text.stdout.split('\n').filter(Boolean).sort()).toEqual([...live].sort());

      const limited = await cli(['list', ...inPrefix('list:'), '--limit', '2']);
      const two = limited.stdout.split('\n').filter(Boolean);
      expect(two).toHaveLength(2);
      expect(live).toEqual(expect.arrayContaining(two));

      const withData = await cli(['list', ...inPrefix('list:'), '--data']);
      const rows = withData.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split('\t'));
      expect(rows).toHaveLength(5);
      for (const [id = '', data = ''] of rows) {
        const n = live.indexOf(id);
        expect(JSON.parse(data)).toEqual({ n, user: { name: `user ${n}` } });
      }

      const jsonIds = await cli(['list', ...inPrefix('list:'), '--json', '--limit', '3']);
      expect(jsonIds.lines()).toHaveLength(3);
      expect(jsonIds.lines()[0]).toEqual({ id: expect.any(String) });
      const jsonData = await cli(['list', ...inPrefix('list:'), '--json', '--data']);
      const documents = jsonData.lines<{ id: string; data: { n: number } }>();
      expect(documents.map(({ id }) => id).sort()).toEqual([...live].sort());
      for (const { id, data } of documents) expect(data.n).toBe(live.indexOf(id));
    });

    it('show prints one session, and exits 1 for a missing or expired one', async () => {
      const [id = ''] = await loadSessions(client, table, {
        prefix: 'show:',
        count: 1,
        expires: LIVE,
        data: () => ({ user: { id: 42, name: 'Ada' }, cart: [1, 2] }),
      });
      const [expired = ''] = await loadSessions(client, table, {
        prefix: 'show:',
        count: 1,
        expires: EXPIRED,
      });
      const data = { user: { id: 42, name: 'Ada' }, cart: [1, 2] };
      const text = await cli(['show', id, ...inPrefix('show:')]);
      expect(text).toMatchObject({ code: 0, stdout: `${JSON.stringify(data, null, 2)}\n` });
      expect((await cli(['show', id, ...inPrefix('show:'), '--json'])).json()).toEqual({
        id,
        data,
      });

      for (const missing of ['no-such-session', expired]) {
        const result = await cli(['show', missing, ...inPrefix('show:')]);
        expect(result).toMatchObject({ code: 1, stdout: '' });
        expect(result.stderr).toBe(
          `dynamodb-session: error: session "${missing}" not found (missing or expired)\n`,
        );
      }
      const json = await cli(['show', 'no-such-session', ...inPrefix('show:'), '--json']);
      expect(json.code).toBe(1);
      expect(json.stdout).toBe('');
      expect(JSON.parse(json.stderr)).toEqual({
        error: {
          code: 'NOT_FOUND',
          message: 'session "no-such-session" not found (missing or expired)',
        },
      });
    });

    it('delete deletes one session, and succeeds when there is none', async () => {
      const [id = '', other = ''] = await loadSessions(client, table, {
        prefix: 'delete:',
        count: 2,
        expires: LIVE,
      });
      const deleted = await cli(['delete', id, ...inPrefix('delete:')]);
      expect(deleted).toMatchObject({ code: 0, stdout: `Deleted session ${id}.\n` });
      expect((await cli(['show', id, ...inPrefix('delete:')])).code).toBe(1);
      expect((await cli(['show', other, ...inPrefix('delete:')])).code).toBe(0);
      const again = await cli(['delete', id, ...inPrefix('delete:'), '--json']);
      expect(again.code).toBe(0);
      expect(again.json()).toEqual({ id, existed: false });
      const json = await cli(['delete', other, ...inPrefix('delete:'), '--json']);
      expect(json.json()).toEqual({ id: other, existed: true });
      const text = await cli(['delete', other, ...inPrefix('delete:')]);
      expect(text.stdout).toBe(`No live session ${other}; nothing left to delete.\n`);
    });

    it('destroy-user logs one user out everywhere through the GSI (--dry-run lists first)', async () => {
      const user = (n: number) => (n < 3 ? 'ada' : 'bob');
      const ids = await loadSessions(client, table, {
        prefix: 'user:',
        count: 5,
        expires: LIVE,
        data: (n) => ({ user: { id: user(n) } }),
        extra: (n) => ({ userId: { S: user(n) } }),
      });
      const index = ['--attribute', 'userId', '--index', 'by-user', '--path', 'user.id'];
      const dry = await cli(['destroy-user', 'ada', ...inPrefix('user:'), ...index, '--dry-run']);
      expect(dry.code).toBe(0);
      const [heading, ...listed] = dry.stdout.split('\n').filter(Boolean);
      expect(heading).toBe('3 live session(s) with userId = ada (dry run, none deleted):');
      expect(listed.sort()).toEqual(ids.slice(0, 3).sort());

      const destroyed = await cli(['destroy-user', 'ada', ...inPrefix('user:'), ...index]);
      expect(destroyed).toMatchObject({
        code: 0,
        stdout: 'Deleted 3 session(s) with userId = ada.\n',
      });
      const after = await cli([
        'destroy-user',
        'ada',
        ...inPrefix('user:'),
        ...index,
        '--dry-run',
        '--json',
      ]);
      expect(after.json()).toEqual({ attribute: 'userId', value: 'ada', ids: [] });
      expect((await cli(['count', ...inPrefix('user:')])).stdout).toBe('2\n');

      const bob = await cli(['destroy-user', 'bob', ...inPrefix('user:'), ...index, '--json']);
      expect(bob.json()).toEqual({ attribute: 'userId', value: 'bob', destroyed: 2 });
    });

    it('purge deletes the expired sessions, keeps the live ones, and reports the counts', async () => {
      await loadSessions(client, table, { prefix: 'purge:', count: 60, expires: EXPIRED });
      await loadSessions(client, table, { prefix: 'purge:', count: 10, expires: LIVE });
      const json = await cli(['purge', ...inPrefix('purge:'), '--json', '--no-progress']);
      expect(json).toMatchObject({ code: 0, stderr: '' });
      expect(json.json()).toMatchObject({
        table,
        prefix: 'purge:',
        found: 60,
        deleted: 60,
        kept: 0,
        interrupted: false,
        scanRequests: expect.any(Number),
        deleteRequests: expect.any(Number),
        durationMs: expect.any(Number),
      });
      expect((await cli(['count', ...inPrefix('purge:')])).stdout).toBe('10\n');

      const text = await cli(['purge', ...inPrefix('purge:')]);
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(
        /^Purge of table \S+ \(prefix "purge:"\) done in \d+\.\d s:\n {2}expired sessions found: +0\n {2}deleted: +0\n {2}kept \(renewed meanwhile\): +0\n {2}scan requests: +\d+\n {2}delete requests: +0\n$/,
      );

      await loadSessions(client, table, { prefix: 'purge:', count: 30, expires: EXPIRED });
      const again = await cli(['purge', ...inPrefix('purge:')]);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain(`  deleted:                  30\n`);
      const why =
        'One DeleteItem per session: the server has no PartiQL BatchExecuteStatement (dynalite), ' +
        'or IAM does not allow dynamodb:PartiQLDelete.\n';
      expect(again.stdout).toMatch(/ {2}delete requests: +(\d+)\n/);
      const requests = Number(/ {2}delete requests: +(\d+)\n/.exec(again.stdout)?.[1]);
      if (hasTtl) {
        expect(requests).toBeLessThan(30);
        expect(again.stdout).not.toContain(why);
      } else {
        expect(requests).toBeGreaterThanOrEqual(30);
        expect(again.stdout).toContain(why);
      }
    });

    it('purge draws a bar on a terminal and prints periodic lines elsewhere', async () => {
      // --max-rps makes the purge last long enough to report; dynalite lacks the batch delete
      // (PartiQL), so the core deletes one item per request there.
      await loadSessions(client, table, { prefix: 'bar:', count: 50, expires: EXPIRED });
      const tty = await cli(['purge', ...inPrefix('bar:'), '--max-rps', '200'], { tty: true });
      expect(tty.code).toBe(0);
      const erase = '\r\x1b[K';
      expect(tty.stderr.startsWith(`${erase}purge [`)).toBe(true);
      expect(tty.stderr).toMatch(/purge \[[█░]{24}\] \d+\/\d+ · found \d+ expired/);
      expect(tty.stderr.endsWith(erase)).toBe(true);
      expect(tty.stdout).toMatch(/expired sessions found: +50\n/);

      await loadSessions(client, table, { prefix: 'bar:', count: 50, expires: EXPIRED });
      const piped = await cli([
        'purge',
        ...inPrefix('bar:'),
        '--max-rps',
        '100',
        '--progress-interval',
        '0.02',
      ]);
      expect(piped.code).toBe(0);
      expect(piped.stderr).not.toContain('\r');
      const lines = piped.stderr.split('\n').filter(Boolean);
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) {
        expect(line).toMatch(
          /^purge: found \d+ expired, deleted \d+, kept \d+; \d+ scan and \d+ delete requests$/,
        );
      }
    });

    it('purge stopped by its AbortSignal reports what it did (exit 130); the counts add up', async () => {
      const initial = 150;
      await loadSessions(client, table, { prefix: 'abort:', count: initial, expires: EXPIRED });
      const controller = new AbortController();
      const interrupted = await cli(
        [
          'purge',
          ...inPrefix('abort:'),
          '--json',
          '--max-rps',
          '50',
          '--concurrency',
          '1',
          '--progress-interval',
          '0.001',
        ],
        {
          signal: controller.signal,
          onStderr: (chunk) => {
            if (/deleted [1-9]/.test(chunk)) controller.abort();
          },
        },
      );
      expect(interrupted.code).toBe(130);
      expect(interrupted.stderr).toContain(
        'Interrupted: waiting for the deletes already sent to finish...',
      );
      const first = interrupted.json<Record<string, number | boolean>>();
      expect(first).toMatchObject({ interrupted: true, kept: 0 });
      const deleted = first.deleted as number;
      expect(deleted).toBeGreaterThan(0);
      expect(deleted).toBeLessThan(initial);
      expect(first.found as number).toBeGreaterThanOrEqual(deleted);

      const rest = await cli(['purge', ...inPrefix('abort:'), '--json']);
      expect(rest.code).toBe(0);
      const second = rest.json<Record<string, number>>();
      expect(second).toMatchObject({ found: initial - deleted, deleted: initial - deleted });
    });

    it('clear refuses without --yes, then deletes every session of the prefix only', async () => {
      await loadSessions(client, table, { prefix: 'clear:', count: 4, expires: LIVE });
      await loadSessions(client, table, { prefix: 'clear:', count: 2, expires: EXPIRED });
      await loadSessions(client, table, { prefix: 'keep:', count: 3, expires: LIVE });
      const refused = await cli(['clear', ...inPrefix('clear:')]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('add --yes to confirm');
      expect((await cli(['count', ...inPrefix('clear:')])).stdout).toBe('4\n');

      const cleared = await cli(['clear', ...inPrefix('clear:'), '--yes', '--json']);
      expect(cleared.code).toBe(0);
      expect(cleared.json()).toEqual({ table, prefix: 'clear:', deleted: 6 });
      const text = await cli(['clear', ...inPrefix('clear:'), '--yes']);
      expect(text.stdout).toBe(`Deleted 0 session(s) of prefix "clear:" from table ${table}.\n`);
      expect((await cli(['count', ...inPrefix('keep:')])).stdout).toBe('3\n');
    });
  });
}
