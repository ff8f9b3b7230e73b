import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import session from 'express-session';
import { describe, expect, it } from 'vitest';
import type * as Api from '../src/index';

/**
 * The built package as its users load it, by its own name (Node's package self-reference):
 * `require` gets `dist/index.cjs`, `import` gets `dist/index.js`. Run after `npm run build`.
 */
const PACKAGE = '@dynamodb-session/express';
const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const requireCjs = createRequire(import.meta.url);
const storeOptions = { table: 'sessions', region: 'us-east-1' };
const legacyOptions = { ...storeOptions, initialized: true };

type Factory = typeof Api.connectDynamoDB & typeof Api;

/** The ESM entry, imported by name at run time (the specifier is a variable so that tsc does not need the build). */
async function importEsm(): Promise<typeof Api> {
  const specifier: string = PACKAGE;
  return (await import(specifier)) as typeof Api;
}

describe('the built package', () => {
  it('resolves by name to the dist files its exports map names', () => {
    const manifest = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8'));
    const { import: esm, require: cjs } = manifest.exports['.'];
    for (const file of [esm.default, esm.types, cjs.default, cjs.types]) {
      expect(existsSync(join(packageRoot, file)), file).toBe(true);
    }
    expect(requireCjs.resolve(PACKAGE)).toBe(join(packageRoot, cjs.default));
    expect(import.meta.resolve(PACKAGE)).toBe(new URL(esm.default, `file://${packageRoot}/`).href);
  });

  it('require() returns the connect-dynamodb factory with the named exports as properties', () => {
    const cjs = requireCjs(PACKAGE) as Factory;
    expect(typeof cjs).toBe('function');
    expect(typeof cjs.DynamoDBStore).toBe('function');
    expect(typeof cjs.ConnectDynamoDBStore).toBe('function');
    expect(typeof cjs.connectDynamoDB).toBe('function');
    expect(typeof cjs.cookieExpiry).toBe('function');
    expect(cjs.default).toBe(cjs.connectDynamoDB);
    expect(cjs({ session })).toBe(cjs.ConnectDynamoDBStore);
    expect(cjs.default({ session })).toBe(cjs.ConnectDynamoDBStore);
    expect(() => cjs({} as never)).toThrow(TypeError);
    expect(Object.keys(cjs)).not.toContain('__esModule');
  });

  it('import() has the factory as default export and the named DynamoDBStore', async () => {
    const esm = await importEsm();
    expect(typeof esm.default).toBe('function');
    expect(typeof esm.DynamoDBStore).toBe('function');
    expect(typeof esm.ConnectDynamoDBStore).toBe('function');
    expect(esm.default).toBe(esm.connectDynamoDB);
    expect(esm.default(session)).toBe(esm.ConnectDynamoDBStore);
    expect(esm.default({ session })).toBe(esm.ConnectDynamoDBStore);
  });

  it('the CommonJS and ESM classes both make express-session stores', async () => {
    const cjs = requireCjs(PACKAGE) as Factory;
    const esm = await importEsm();
    const stores = [
      new cjs.DynamoDBStore(storeOptions),
      new (cjs({ session }))(legacyOptions),
      new esm.DynamoDBStore(storeOptions),
      new (esm.default({ session }))(legacyOptions),
    ];
    for (const store of stores) {
      expect(store).toBeInstanceOf(session.Store);
      expect(typeof store.get).toBe('function');
      expect(typeof store.set).toBe('function');
      expect(typeof store.touch).toBe('function');
      store.close();
    }
    expect(stores[1]).toBeInstanceOf(cjs.DynamoDBStore);
    expect(stores[3]).toBeInstanceOf(esm.DynamoDBStore);
  });

  it('loads in plain Node, outside vitest, by require and by import', async () => {
    const script = `
      import { createRequire } from 'node:module';
      import session from 'express-session';
      import factory, { DynamoDBStore, ConnectDynamoDBStore } from '${PACKAGE}';
      const cjs = createRequire(import.meta.url)('${PACKAGE}');
      const options = ${JSON.stringify(storeOptions)};
      const checks = {
        esmDefault: typeof factory === 'function' && factory({ session }) === ConnectDynamoDBStore,
        esmStore: new DynamoDBStore(options) instanceof session.Store,
        cjsFactory: typeof cjs === 'function' && cjs({ session }) === cjs.ConnectDynamoDBStore,
        cjsStore: new cjs.DynamoDBStore(options) instanceof session.Store,
        cjsDefault: cjs.default === cjs.connectDynamoDB,
      };
      console.log(JSON.stringify(checks));
    `;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '--eval', script],
      {
        cwd: packageRoot,
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      },
    );
    expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}')).toEqual({
      esmDefault: true,
      esmStore: true,
      cjsFactory: true,
      cjsStore: true,
      cjsDefault: true,
    });
  });
});
