/**
 * Session 6 attack on save()'s memory of recent sessions: a fingerprint only from a READ; after
 * the repository's own write, TTL and version but no fingerprint (the next save writes).
 * Two repositories on one storage stand for two processes; two "requests" in one process share
 * one repository. `bug(...)` marks a test that fails while the bug is there.
 */
import { describe, expect, it } from 'vitest';
import type { SessionData } from '../../src/index';
import { createMemoryRepository, MemorySessionStorage } from '../../src/testing/index';
import { bug } from './support';

const HOUR = 3_600_000;
const cookie = (at: number) => ({ cookie: { expires: new Date(at).toISOString() } });

for (const serializer of ['json', 'map'] as const) {
  describe(`session6: save after reads and writes (${serializer} serializer)`, () => {
    const setup = (options: Record<string, unknown> = {}) => {
      const storage = new MemorySessionStorage();
      const make = () => createMemoryRepository({ storage, serializer, ...options });
      return { make };
    };

    it('held: two processes read x, one saves x2, the other saves x unchanged: x2 stays', async () => {
      const { make } = setup();
      const p1 = make();
      const p2 = make();
      const t = Date.now() + HOUR;
      await make().set('s', { ...cookie(t), n: 1 }, t);
      const r1 = (await p1.get('s')) as SessionData;
      const r2 = (await p2.get('s')) as SessionData;
      r2.n = 2;
      expect(await p2.save('s', r2, t + 1_000)).toBe('written');
      expect(await p1.save('s', r1, t + 2_000)).not.toBe('written');
      expect(await make().get('s')).toMatchObject({ n: 2 });
    });

    // Expected: as across two processes (the test above), a request that did not change the
    // session does not overwrite the change another request made to it: the doc says "Data
    // unchanged since this repository last read it only has its expiry refreshed". Now, when
    // both requests run in ONE process, the changing request's write drops the fingerprint the
    // read left, the unchanged request's save writes its stale copy, and the change (n: 2) is
    // lost. The outcome of two concurrent requests depends on whether a load balancer sent
    // them to one process or two. KNOWN LIMIT (as before this session's change, which wrote the
    // stale copy too): the memory is per process, not per request, and cannot tell this from a
    // request that read x, wrote x2 and then saves x again (which must write). express-session
    // (resave: false) and koa-session never save an unchanged session; @fastify/session with
    // rolling does. Documented on save(); the fastify store passes `unchangedSinceRead` from
    // @fastify/session's isModified(), and the koa store from comparing what each request
    // (its ctx) loaded with what it saves (next test), which closes it there.
    bug(
      'two requests in one process read x, one saves x2, the other saves x unchanged: x2 is lost',
      async () => {
        const { make } = setup();
        const process1 = make();
        const t = Date.now() + HOUR;
        await make().set('s', { ...cookie(t), n: 1 }, t);
        const r1 = (await process1.get('s')) as SessionData;
        const r2 = (await process1.get('s')) as SessionData;
        r2.n = 2;
        expect(await process1.save('s', r2, t + 1_000)).toBe('written');
        await process1.save('s', r1, t + 2_000);
        expect(await make().get('s')).toMatchObject({ n: 2 });
      },
    );

    it('with unchangedSinceRead (a framework that tracked the data): the change of the other request stays', async () => {
      const { make } = setup();
      const process1 = make();
      const t = Date.now() + HOUR;
      await make().set('s', { ...cookie(t), n: 1 }, t);
      const r1 = (await process1.get('s')) as SessionData;
      const r2 = (await process1.get('s')) as SessionData;
      r2.n = 2;
      expect(await process1.save('s', r2, t + 1_000)).toBe('written');
      expect(await process1.save('s', r1, t + 2_000, { unchangedSinceRead: true })).not.toBe(
        'written',
      );
      expect(await make().get('s')).toMatchObject({ n: 2 });
    });

    it('unchangedSinceRead writes a session this process never read, and brings back no destroyed one', async () => {
      const { make } = setup();
      const p1 = make();
      const t = Date.now() + HOUR;
      expect(await p1.save('new', { ...cookie(t), n: 0 }, t, { unchangedSinceRead: true })).toBe(
        'written',
      );
      expect(await make().get('new')).toMatchObject({ n: 0 });
      await make().set('d', { ...cookie(t), n: 1 }, t);
      const read = (await p1.get('d')) as SessionData;
      await make().destroy('d');
      expect(await p1.save('d', read, t + 5_000, { unchangedSinceRead: true })).not.toBe('written');
      await p1.destroy('d');
      expect(await p1.save('d', read, t + 5_000, { unchangedSinceRead: true })).toBe('missing');
      expect(await make().get('d')).toBeNull();
    });

    it('held: A writes x, B writes y, A saves x again: x is written last (the fix)', async () => {
      const { make } = setup({ touchAfterMs: 'auto' });
      const a = make();
      const b = make();
      const t = Date.now() + HOUR;
      await a.set('s', { ...cookie(t), n: 1 }, t);
      await b.set('s', { ...cookie(t), n: 2 }, t);
      expect(await a.save('s', { ...cookie(t + 5), n: 1 }, t + 5)).toBe('written');
      expect(await b.get('s')).toMatchObject({ n: 1 });
    });

    it('held: destroyed in another process, no save or refresh brings it back', async () => {
      for (const options of [
        {},
        { optimisticLocking: true },
        { pessimisticLocking: { leaseMs: 2_000, waitMs: 200 } },
      ]) {
        const { make } = setup({ touchAfterMs: 'auto', ...options });
        const a = make();
        const b = make();
        const t = Date.now() + HOUR;
        await a.set('s', { ...cookie(t), n: 1 }, t);
        const read = (await a.get('s')) as SessionData;
        await b.destroy('s');
        const tries = [
          () => a.save('s', read, t),
          () => a.save('s', { ...read, n: 9 }, t + 9),
          () => a.refresh('s', t + 60_000),
          () => a.touch('s', t + 60_000),
          () => a.save('s', read, t + 120_000),
        ];
        for (const attempt of tries) await attempt().catch(() => undefined);
        expect({ options, after: await make().get('s') }).toEqual({ options, after: null });
      }
    });

    it('held: a refresh after another process shortened nothing keeps a session in use alive', async () => {
      let now = Date.now();
      const storage = new MemorySessionStorage();
      const make = () =>
        createMemoryRepository({ storage, serializer, touchAfterMs: 'auto', now: () => now });
      const a = make();
      const b = make();
      const lifetime = 10 * 60_000;
      await a.set('s', { ...cookie(now + lifetime), n: 1 }, now + lifetime);
      for (let step = 0; step < 30; step++) {
        now += 60_000;
        const reader = step % 2 === 0 ? a : b;
        const data = (await reader.get('s')) as SessionData;
        expect(data).not.toBeNull();
        await reader.save('s', { ...data, ...cookie(now + lifetime) }, now + lifetime);
      }
    });

    it('held: optimistic locking: a save after the own write with the version it got', async () => {
      const { make } = setup({ optimisticLocking: true });
      const a = make();
      const b = make();
      const t = Date.now() + HOUR;
      const data: SessionData = { ...cookie(t), n: 1 };
      await a.set('s', data, t);
      expect(await a.save('s', data, t + 1_000)).toBe('written');
      const fromB = (await b.get('s')) as SessionData;
      fromB.n = 2;
      expect(await b.save('s', fromB, t + 2_000)).toBe('written');
      await expect(a.save('s', data, t + 3_000)).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(await b.get('s')).toMatchObject({ n: 2 });
    });
  });
}
