import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SessionRepository } from '@dynamodb-session/core';
import { describe, expect, it } from 'vitest';
import type * as Api from '../src/index';

/**
 * The built package as its users load it, by its own name (Node's package self-reference):
 * `require` gets `dist/index.cjs`, `import` gets `dist/index.js`. Run after `npm run build`.
 */
const PACKAGE = '@dynamodb-session/koa';
const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const requireCjs = createRequire(import.meta.url);
const storeOptions = { table: 'sessions', region: 'us-east-1' };

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

  it('require() and import() both give a DynamoDBStore with the koa-session store methods', async () => {
    const cjs = requireCjs(PACKAGE) as typeof Api;
    const esm = await importEsm();
    for (const { DynamoDBStore } of [cjs, esm]) {
      expect(typeof DynamoDBStore).toBe('function');
      const store = new DynamoDBStore(storeOptions);
      expect(store.repository.options.table).toBe('sessions');
      for (const method of ['get', 'set', 'destroy', 'close'] as const) {
        expect(typeof store[method]).toBe('function');
      }
      store.close();
    }
  });

  it('each entry takes { repository } and builds its repository with the core package of its format', async () => {
    const cjs = requireCjs(PACKAGE) as typeof Api;
    const esm = await importEsm();
    const repository = new SessionRepository(storeOptions);
    expect(new esm.DynamoDBStore({ repository }).repository).toBe(repository);
    expect(new cjs.DynamoDBStore(storeOptions).repository).toBeInstanceOf(
      requireCjs('@dynamodb-session/core').SessionRepository,
    );
    repository.close();
  });

  it('loads in plain Node, outside vitest, by require and by import', async () => {
    const script = `
      import { createRequire } from 'node:module';
      import { DynamoDBStore } from '${PACKAGE}';
      const cjs = createRequire(import.meta.url)('${PACKAGE}');
      const options = ${JSON.stringify(storeOptions)};
      const esmStore = new DynamoDBStore(options);
      const cjsStore = new cjs.DynamoDBStore(options);
      const checks = {
        esmStore: typeof esmStore.get === 'function' && esmStore.repository.options.table === 'sessions',
        cjsStore: typeof cjsStore.set === 'function' && cjsStore.repository.options.table === 'sessions',
        distinctEntries: cjs.DynamoDBStore !== DynamoDBStore,
      };
      esmStore.close();
      cjsStore.close();
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
      esmStore: true,
      cjsStore: true,
      distinctEntries: true,
    });
  });
});
