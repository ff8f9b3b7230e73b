import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import * as source from '../src/testing/index';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
  name: string;
  exports: Record<string, Record<string, Record<string, string>>>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
  typesVersions: Record<string, Record<string, string[]>>;
};
const entry = `${manifest.name}/testing`;
const distFiles = ['testing.js', 'testing.cjs', 'testing.d.ts', 'testing.d.cts'];

const valueNames = (module: object) =>
  Object.keys(module)
    .filter((name) => name !== 'default' && name !== '__esModule')
    .sort();

/** Runs `script` in a plain Node process (CommonJS) from the package and parses its JSON output. */
async function runNode(script: string): Promise<Record<string, unknown>> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--input-type=commonjs', '-e', script],
    {
      cwd: packageDir,
      env: {
        ...process.env,
        DYNAMODB_ENDPOINT: '',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
    },
  );
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe(`the built subpath ${entry}`, () => {
  beforeAll(() => {
    const missing = distFiles.filter((file) => !existsSync(join(packageDir, 'dist', file)));
    if (missing.length > 0) {
      throw new Error(
        `packages/core is not built (missing ${missing.join(', ')}): run \`cd packages/core && npx tsup\``,
      );
    }
  });

  it('is exported with types first, for import and require (and typesVersions for node10)', () => {
    expect(manifest.exports['./testing']).toEqual({
      import: { types: './dist/testing.d.ts', default: './dist/testing.js' },
      require: { types: './dist/testing.d.cts', default: './dist/testing.cjs' },
    });
    for (const condition of ['import', 'require']) {
      expect(Object.keys(manifest.exports['./testing']?.[condition] ?? {})[0]).toBe('types');
    }
    expect(manifest.typesVersions['*']?.testing).toEqual(['./dist/testing.d.cts']);
  });

  it('makes dynalite an optional peer dependency', () => {
    expect(manifest.peerDependencies.dynalite).toBe('^4.0.0');
    expect(manifest.peerDependenciesMeta.dynalite).toEqual({ optional: true });
  });

  it('exports the same names from both builds as the source does', async () => {
    const cjs = createRequire(import.meta.url)(entry) as object;
    const esm = (await import(entry)) as object;
    expect(valueNames(source)).toEqual([
      'MemorySessionRepository',
      'MemorySessionStorage',
      'createMemoryRepository',
      'startLocalDynamoDB',
    ]);
    expect(valueNames(cjs)).toEqual(valueNames(source));
    expect(valueNames(esm)).toEqual(valueNames(source));
  });

  it('throws the SessionStoreError of the main entry, in each format', async () => {
    const require = createRequire(import.meta.url);
    const builds = [
      [require(entry), require(manifest.name)],
      [await import(entry), await import(manifest.name)],
    ] as [typeof source, typeof import('../src/index')][];
    for (const [testing, core] of builds) {
      const error = await testing
        .createMemoryRepository()
        .set('', {})
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(core.SessionStoreError);
      expect(core.isSessionStoreError(error, 'INVALID_SESSION_ID')).toBe(true);
    }
  });

  it('loads dynalite only when startLocalDynamoDB runs, and runs it from CommonJS', async () => {
    const result = await runNode(`
      const loaded = () => Object.keys(require.cache).some((file) => file.includes('/dynalite/'));
      const core = require(${JSON.stringify(manifest.name)});
      const testing = require(${JSON.stringify(entry)});
      const before = loaded();
      testing.startLocalDynamoDB().then(async (local) => {
        const repository = new core.SessionRepository(local.repositoryOptions);
        await repository.set('a', { at: new Date(0) });
        const read = await repository.get('a');
        await local.stop();
        console.log(JSON.stringify({ before, after: loaded(), server: local.server, read }));
      });
    `);
    expect(result).toEqual({
      before: false,
      after: true,
      server: 'dynalite',
      read: { at: '1970-01-01T00:00:00.000Z' },
    });
  });

  it('keeps dynalite out of the main entry of both builds', () => {
    const dist = join(packageDir, 'dist');
    const reachable = (file: string, seen = new Set<string>()): Set<string> => {
      if (seen.has(file)) return seen;
      seen.add(file);
      const text = readFileSync(join(dist, file), 'utf8');
      for (const [, imported] of text.matchAll(/(?:from |require\()["']\.\/([^"']+)["']/g)) {
        reachable(imported as string, seen);
      }
      return seen;
    };
    for (const main of ['index.js', 'index.cjs']) {
      const files = [...reachable(main)];
      expect(files.length).toBeGreaterThan(1);
      for (const file of files) {
        expect(readFileSync(join(dist, file), 'utf8')).not.toMatch(/dynalite|MemorySession/);
      }
    }
    expect(readFileSync(join(dist, 'testing.cjs'), 'utf8')).toMatch(/require\("dynalite"\)/);
  });
});
