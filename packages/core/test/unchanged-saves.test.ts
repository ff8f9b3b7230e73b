import { randomBytes } from 'node:crypto';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { testServers, useTestTable } from '@dynamodb-session/test-support';
import { describe, expect, it } from 'vitest';
import { SessionRepository, type SessionRepositoryOptions } from '../src/index';

/** express-session's cookie in miniature: a class whose `expires` is a Date, serialized by toJSON. */
class RollingCookie {
  readonly originalMaxAge = 3_600_000;
  readonly #expires: Date;
  constructor(expiresAt: number) {
    this.#expires = new Date(expiresAt);
  }
  get expires(): Date {
    return this.#expires;
  }
  toJSON() {
    return {
      originalMaxAge: this.originalMaxAge,
      expires: this.#expires,
      httpOnly: true,
      path: '/',
    };
  }
}

const CONFIGURATIONS: Record<string, Partial<SessionRepositoryOptions>> = {
  'the JSON serializer': {},
  'the map serializer': { serializer: 'map' },
  compression: { compression: { thresholdBytes: 0 } },
  encryption: { encryption: { keys: [{ id: 'k1', key: randomBytes(32) }] } },
  'optimistic locking': { optimisticLocking: true },
};

let counter = 0;
const newId = () => `unchanged-${Date.now().toString(36)}-${counter++}`;

for (const server of testServers()) {
  describe(`saves of unchanged sessions on ${server.name}`, () => {
    const handle = useTestTable(server);
    const repository = (options: Partial<SessionRepositoryOptions>) =>
      new SessionRepository({
        client: handle.client,
        table: handle.table,
        touchAfterMs: 0,
        ...options,
      });
    const storedData = async (id: string) => {
      const { Item } = await handle.client.send(
        new GetItemCommand({ TableName: handle.table, Key: { id: { S: `sess:${id}` } } }),
      );
      return Item?.sess;
    };

    for (const [name, options] of Object.entries(CONFIGURATIONS)) {
      it(`with ${name}: a save that only rolls the expiry refreshes it, a change is written`, async () => {
        const id = newId();
        const firstExpiry = Date.now() + 3_600_000;
        await repository(options).set(
          id,
          { user: 'ada', cookie: new RollingCookie(firstExpiry) },
          firstExpiry,
        );
        const before = await storedData(id);

        const reader = repository(options);
        const read = await reader.get(id);
        expect(read).toMatchObject({ user: 'ada' });
        const rolledExpiry = firstExpiry + 60_000;
        const rolled = { ...read, cookie: new RollingCookie(rolledExpiry) };
        expect(await reader.save(id, rolled, rolledExpiry)).toBe('refreshed');
        expect(await storedData(id)).toEqual(before);

        expect(await reader.save(id, { ...rolled, user: 'grace' }, rolledExpiry)).toBe('written');
        expect(await repository(options).get(id)).toMatchObject({ user: 'grace' });
      });
    }

    it('writes data equal to an earlier write of its own once another process stored other data', async () => {
      const id = newId();
      const expiry = Date.now() + 3_600_000;
      const mine = repository({});
      expect(await mine.save(id, { step: 'x' }, expiry)).toBe('written');
      await repository({}).set(id, { step: 'y' }, expiry);
      expect(await mine.get(id)).toEqual({ step: 'y' });
      expect(await mine.save(id, { step: 'x' }, expiry)).toBe('written');
      expect(await repository({}).get(id)).toEqual({ step: 'x' });
    });
  });
}
