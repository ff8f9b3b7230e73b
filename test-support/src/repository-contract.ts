import { describe, expect, it } from 'vitest';

/** The repository surface the contract exercises: what every implementation must offer. */
export interface ContractRepository {
  get(id: string): Promise<Record<string, unknown> | null>;
  set(id: string, data: Record<string, unknown>, expiry?: Date | number | null): Promise<void>;
  touch(id: string, expiry?: Date | number | null): Promise<boolean>;
  destroy(id: string): Promise<void>;
}

/** A fresh repository for one test, and how to release it. */
export interface ContractFixture {
  repository: ContractRepository;
  /** A second repository on the same table with another prefix. */
  otherPrefix: ContractRepository;
  cleanup?: () => Promise<void> | void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let counter = 0;
const newId = () => `contract-${process.pid}-${Date.now()}-${counter++}`;

/**
 * The behaviour every session repository must show, whatever stores it. Run it once per
 * implementation and server: `describeRepositoryContract('dynalite, json', makeFixture)`.
 */
export function describeRepositoryContract(
  label: string,
  makeFixture: () => Promise<ContractFixture>,
) {
  describe(`repository contract: ${label}`, () => {
    const withRepository = (test: (fixture: ContractFixture) => Promise<void>) => async () => {
      const fixture = await makeFixture();
      try {
        await test(fixture);
      } finally {
        await fixture.cleanup?.();
      }
    };

    it(
      'returns null for a session that was never stored',
      withRepository(async ({ repository }) => {
        expect(await repository.get(newId())).toBeNull();
      }),
    );

    it(
      'stores and reads back nested data, with Dates as ISO strings',
      withRepository(async ({ repository }) => {
        const id = newId();
        const when = new Date('2030-01-02T03:04:05.678Z');
        await repository.set(id, {
          user: { id: 'u-1', roles: ['admin', 'dev'] },
          count: 3,
          flag: false,
          nothing: null,
          text: 'grüße, 世界 🎉',
          when,
        });
        expect(await repository.get(id)).toEqual({
          user: { id: 'u-1', roles: ['admin', 'dev'] },
          count: 3,
          flag: false,
          nothing: null,
          text: 'grüße, 世界 🎉',
          when: when.toISOString(),
        });
      }),
    );

    it(
      'replaces the whole session on set',
      withRepository(async ({ repository }) => {
        const id = newId();
        await repository.set(id, { a: 1, b: 2 });
        await repository.set(id, { c: 3 });
        expect(await repository.get(id)).toEqual({ c: 3 });
      }),
    );

    it(
      'destroys a session, and destroying a missing one succeeds',
      withRepository(async ({ repository }) => {
        const id = newId();
        await repository.set(id, { a: 1 });
        await repository.destroy(id);
        expect(await repository.get(id)).toBeNull();
        await expect(repository.destroy(id)).resolves.toBeUndefined();
      }),
    );

    it(
      'never returns a session whose expiry has passed',
      withRepository(async ({ repository }) => {
        const id = newId();
        await repository.set(id, { a: 1 }, new Date(Date.now() - 5_000));
        expect(await repository.get(id)).toBeNull();
      }),
    );

    it(
      'honours a precise expiry carried in the data to the millisecond',
      withRepository(async ({ repository }) => {
        const id = newId();
        const expires = new Date(Date.now() + 400);
        await repository.set(id, { cookie: { expires: expires.toISOString() }, n: 1 }, expires);
        expect(await repository.get(id)).toMatchObject({ n: 1 });
        await sleep(expires.getTime() - Date.now() + 50);
        expect(await repository.get(id)).toBeNull();
      }),
    );

    it(
      'keeps a session alive when touch moves its expiry, and reports the moved expiry in its data',
      withRepository(async ({ repository }) => {
        const id = newId();
        const soon = new Date(Date.now() + 1_500);
        await repository.set(id, { cookie: { expires: soon.toISOString() }, n: 7 }, soon);
        expect(await repository.touch(id, new Date(Date.now() + 60_000))).toBe(true);
        await sleep(soon.getTime() - Date.now() + 100);
        const read = (await repository.get(id)) as { n: number; cookie: { expires: string } };
        expect(read.n).toBe(7);
        expect(Date.parse(read.cookie.expires)).toBeGreaterThan(Date.now() + 50_000);
      }),
    );

    it(
      'does not create a session when touching a missing one',
      withRepository(async ({ repository }) => {
        const id = newId();
        expect(await repository.touch(id, new Date(Date.now() + 60_000))).toBe(false);
        expect(await repository.get(id)).toBeNull();
      }),
    );

    it(
      'does not revive an expired session on touch',
      withRepository(async ({ repository }) => {
        const id = newId();
        await repository.set(id, { a: 1 }, new Date(Date.now() - 5_000));
        expect(await repository.touch(id, new Date(Date.now() + 60_000))).toBe(false);
        expect(await repository.get(id)).toBeNull();
      }),
    );

    it(
      'does not revive on touch a session whose precise expiry has just passed',
      withRepository(async ({ repository }) => {
        const id = newId();
        const expires = Date.now() + 150;
        await repository.set(id, { cookie: { expires: new Date(expires).toISOString() } }, expires);
        await sleep(expires - Date.now() + 30);
        expect(await repository.get(id)).toBeNull();
        expect(await repository.touch(id, Date.now() + 60_000)).toBe(false);
        expect(await repository.get(id)).toBeNull();
      }),
    );

    it(
      'uses the default lifetime when no expiry is given',
      withRepository(async ({ repository }) => {
        const id = newId();
        await repository.set(id, { a: 1 });
        expect(await repository.touch(id)).toBe(true);
        expect(await repository.get(id)).toEqual({ a: 1 });
      }),
    );

    it(
      'keeps prefixes apart on one table',
      withRepository(async ({ repository, otherPrefix }) => {
        const id = newId();
        await repository.set(id, { mine: true });
        expect(await otherPrefix.get(id)).toBeNull();
        await otherPrefix.set(id, { theirs: true });
        await otherPrefix.destroy(id);
        expect(await repository.get(id)).toEqual({ mine: true });
      }),
    );

    it(
      'treats malformed ids as missing on read and rejects them on write',
      withRepository(async ({ repository }) => {
        for (const id of ['', 'bad\u0000id', 'x'.repeat(3000), 'lone\ud800surrogate']) {
          expect(await repository.get(id)).toBeNull();
          expect(await repository.touch(id)).toBe(false);
          await expect(repository.destroy(id)).resolves.toBeUndefined();
          await expect(repository.set(id, { a: 1 })).rejects.toMatchObject({
            code: 'INVALID_SESSION_ID',
          });
        }
      }),
    );

    it(
      'rejects a session over the item size limit and keeps the stored one',
      withRepository(async ({ repository }) => {
        const id = newId();
        await repository.set(id, { small: true });
        await expect(repository.set(id, { big: 'x'.repeat(410 * 1024) })).rejects.toMatchObject({
          code: 'SESSION_TOO_LARGE',
        });
        expect(await repository.get(id)).toEqual({ small: true });
      }),
    );

    it(
      'serves many sessions written concurrently',
      withRepository(async ({ repository }) => {
        const ids = Array.from({ length: 40 }, () => newId());
        await Promise.all(ids.map((id, index) => repository.set(id, { index })));
        const read = await Promise.all(ids.map((id) => repository.get(id)));
        expect(read).toEqual(ids.map((_, index) => ({ index })));
      }),
    );
  });
}
