/**
 * Attack on save(id, data, expiry, { unchangedSinceRead }): with the flag and a memory entry the
 * save is a refresh. These sequences held: the flag never brings a destroyed or expired session
 * back, an evicted memory entry makes the save write, locking and hashed ids behave, and the
 * flag only skips writing data the caller vouches for. Two repositories on one storage stand
 * for two processes.
 */
import { describe, expect, it } from 'vitest';
import type { SessionData } from '../../src/index';
import { createMemoryRepository, MemorySessionStorage } from '../../src/testing/index';

const HOUR = 3_600_000;
const cookie = (at: number) => ({ cookie: { expires: new Date(at).toISOString() } });
const UNCHANGED = { unchangedSinceRead: true } as const;

for (const serializer of ['json', 'map'] as const) {
  describe(`unchangedSinceRead (${serializer} serializer)`, () => {
    const setup = (options: Record<string, unknown> = {}) => {
      const storage = new MemorySessionStorage();
      let clock = Date.now();
      const make = (more: Record<string, unknown> = {}) =>
        createMemoryRepository({ storage, serializer, now: () => clock, ...options, ...more });
      return { make, advance: (ms: number) => (clock += ms), now: () => clock };
    };

    it('held: an evicted memory entry (trackedSessions: 1) makes the flagged save write', async () => {
      const { make, now } = setup({ trackedSessions: 1 });
      const repo = make();
      const t = now() + HOUR;
      await make().set('a', { ...cookie(t), n: 1 }, t);
      await make().set('b', { ...cookie(t), n: 1 }, t);
      await repo.get('a');
      await repo.get('b'); // evicts a
      // the caller says unchanged but without a memory entry the repository writes
      expect(await repo.save('a', { ...cookie(t), n: 1 }, t, UNCHANGED)).toBe('written');
    });

    it('held: a session destroyed by another process stays destroyed', async () => {
      const { make, now } = setup();
      const p1 = make();
      const t = now() + HOUR;
      await p1.set('s', { ...cookie(t), n: 1 }, t);
      const read = (await p1.get('s')) as SessionData;
      await make().destroy('s');
      expect(await p1.save('s', read, t + HOUR, UNCHANGED)).toBe('missing');
      expect(await make().get('s')).toBeNull();
      // and the next flagged save (memory marked gone) writes nothing either
      expect(await p1.save('s', read, t + HOUR, UNCHANGED)).toBe('missing');
      expect(await make().get('s')).toBeNull();
    });

    it('held: a session destroyed in this process stays destroyed', async () => {
      const { make, now } = setup();
      const p1 = make();
      const t = now() + HOUR;
      await p1.set('s', { ...cookie(t), n: 1 }, t);
      const read = (await p1.get('s')) as SessionData;
      await p1.destroy('s');
      expect(await p1.save('s', read, t + HOUR, UNCHANGED)).toBe('missing');
      expect(await make().get('s')).toBeNull();
    });

    it('held: a session expired between read and flagged save is not revived', async () => {
      const { make, now, advance } = setup();
      const p1 = make();
      const t = now() + 5_000;
      await p1.set('s', { ...cookie(t), n: 1 }, t);
      const read = (await p1.get('s')) as SessionData;
      advance(10_000);
      expect(await p1.save('s', read, now() + HOUR, UNCHANGED)).toBe('missing');
      expect(await make().get('s')).toBeNull();
    });

    it('held: a flagged save after this process wrote a change keeps that change', async () => {
      const { make, now } = setup();
      const p1 = make();
      const t = now() + HOUR;
      await p1.set('s', { ...cookie(t), n: 1 }, t);
      const a = (await p1.get('s')) as SessionData;
      const b = (await p1.get('s')) as SessionData;
      expect(await p1.save('s', { ...b, n: 2 }, t)).toBe('written');
      expect(await p1.save('s', a, t + HOUR, UNCHANGED)).not.toBe('written');
      expect(await make().get('s')).toMatchObject({ n: 2 });
    });

    it('held: optimistic locking: the flagged refresh keeps the other write, a later change conflicts', async () => {
      const { make, now } = setup({ optimisticLocking: true });
      const p1 = make();
      const t = now() + HOUR;
      await p1.set('s', { ...cookie(t), n: 1 }, t);
      const a = (await p1.get('s')) as SessionData;
      const b = (await p1.get('s')) as SessionData;
      await p1.save('s', { ...b, n: 2 }, t);
      await expect(p1.save('s', a, t + HOUR, UNCHANGED)).resolves.not.toBe('written');
      expect(await make().get('s')).toMatchObject({ n: 2 });
      await expect(p1.save('s', { ...a, n: 3 }, t + HOUR)).rejects.toMatchObject({
        code: 'CONFLICT',
      });
      expect(await make().get('s')).toMatchObject({ n: 2 });
    });

    it('held: hashSessionIds: the flagged save refreshes the hashed item', async () => {
      const { make, now, advance } = setup({ hashSessionIds: true, touchAfterMs: 0 });
      const p1 = make();
      const t = now() + HOUR;
      await p1.set('s', { ...cookie(t), n: 1 }, t);
      const read = (await p1.get('s')) as SessionData;
      advance(60_000);
      expect(await p1.save('s', read, now() + 2 * HOUR, UNCHANGED)).toBe('refreshed');
      expect(await make().get('s')).toMatchObject({ n: 1 });
      advance(HOUR + 60_000); // past the first expiry, within the refreshed one
      expect(await make().get('s')).toMatchObject({ n: 1 });
    });

    it('held: a new session (no memory entry) saved with the flag is stored', async () => {
      const { make, now } = setup();
      const t = now() + HOUR;
      expect(await make().save('new', { ...cookie(t), n: 1 }, t, UNCHANGED)).toBe('written');
      expect(await make().get('new')).toMatchObject({ n: 1 });
    });
  });
}
