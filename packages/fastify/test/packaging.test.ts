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
 * `require` gets `dist/index.cjs`, `import` gets `dist/index.js`. Run after the build.
 */
const PACKAGE = '@dynamodb-session/fastify';
const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const requireCjs = createRequire(import.meta.url);
const storeOptions = { table: 'sessions', region: 'us-east-1' };

/** The ESM entry, imported by name at run time (a variable specifier: tsc needs no build). */
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

  it('require() and import() both give a DynamoDBStore with the store methods', async () => {
    const cjs = requireCjs(PACKAGE) as typeof Api;
    const esm = await importEsm();
    expect(Object.keys(cjs).sort()).toEqual(['DynamoDBStore']);
    expect(Object.keys(esm).sort()).toEqual(['DynamoDBStore']);
    for (const { DynamoDBStore } of [cjs, esm]) {
      const store = new DynamoDBStore(storeOptions);
      for (const method of ['get', 'set', 'destroy', 'close'] as const) {
        expect(typeof store[method]).toBe('function');
      }
      expect(store.repository.options.table).toBe('sessions');
      store.close();
    }
  });

  it('takes a repository to share', async () => {
    const repository = new SessionRepository(storeOptions);
    const { DynamoDBStore } = await importEsm();
    expect(new DynamoDBStore({ repository }).repository).toBe(repository);
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
      console.log(JSON.stringify({
        esm: typeof esmStore.get === 'function' && esmStore.repository.options.table,
        cjs: typeof cjsStore.set === 'function' && cjsStore.repository.options.table,
      }));
      esmStore.close();
      cjsStore.close();
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
      esm: 'sessions',
      cjs: 'sessions',
    });
  });
});
