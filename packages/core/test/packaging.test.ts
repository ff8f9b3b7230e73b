import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import * as source from '../src/index';

type CoreModule = typeof source;

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
  name: string;
  exports: Record<string, { import: { default: string }; require: { default: string } }>;
};
const distFiles = ['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts'].map((file) =>
  join(packageDir, 'dist', file),
);

/** Export names that are values at run time (types vanish), sorted. */
const valueNames = (module: object) =>
  Object.keys(module)
    .filter((name) => name !== 'default' && name !== '__esModule')
    .sort();

describe(`the built package ${manifest.name}`, () => {
  let cjs: CoreModule;
  let esm: CoreModule;

  beforeAll(async () => {
    const missing = distFiles.filter((file) => !existsSync(file));
    if (missing.length > 0) {
      throw new Error(
        `packages/core is not built (missing ${missing.join(', ')}): ` +
          'run `cd packages/core && npx tsup` (or `turbo run build`) before this test',
      );
    }
    cjs = createRequire(import.meta.url)(manifest.name) as CoreModule;
    esm = (await import(manifest.name)) as CoreModule;
  });

  it('points its exports map at the dist files', () => {
    expect(manifest.exports['.']?.import.default).toBe('./dist/index.js');
    expect(manifest.exports['.']?.require.default).toBe('./dist/index.cjs');
  });

  it('resolves require() to the CommonJS build', () => {
    const require = createRequire(import.meta.url);
    expect(require.resolve(manifest.name)).toBe(join(packageDir, 'dist', 'index.cjs'));
    expect(typeof cjs.SessionRepository).toBe('function');
    expect(cjs.SessionRepository).not.toBe(source.SessionRepository);
  });

  it('resolves import() to the ES module build', async () => {
    const direct = (await import(
      pathToFileURL(join(packageDir, 'dist', 'index.js')).href
    )) as CoreModule;
    expect(esm.SessionRepository).toBe(direct.SessionRepository);
    expect(esm.SessionRepository).not.toBe(cjs.SessionRepository);
    expect(esm.SessionRepository).not.toBe(source.SessionRepository);
    expect(esm).not.toHaveProperty('default');
  });

  it('exports the same names from both builds as the source does', () => {
    const names = valueNames(source);
    expect(names).toEqual(
      expect.arrayContaining([
        'SessionRepository',
        'SessionStoreError',
        'isSessionStoreError',
        'parseSessionRepositoryOptions',
        'jsonSerializer',
        'mapSerializer',
        'createSessionTable',
        'describeSessionTable',
        'createDynamoDBClient',
      ]),
    );
    expect(valueNames(cjs)).toEqual(names);
    expect(valueNames(esm)).toEqual(names);
  });

  for (const build of ['cjs', 'esm'] as const) {
    it(`constructs a working SessionRepository from the ${build} build`, () => {
      const core = build === 'cjs' ? cjs : esm;
      const repository = new core.SessionRepository();
      expect(repository.options.table).toBe('sessions');
      expect(repository.toItem('abc', { n: 1 }, 2_000_000_000_000)).toEqual({
        id: { S: 'sess:abc' },
        expires: { N: '2000000000' },
        sess: { S: '{"n":1}' },
      });
      repository.close();

      const error = (() => {
        try {
          return new core.SessionRepository({ table: 'x' });
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(core.SessionStoreError);
      expect(core.isSessionStoreError(error, 'INVALID_OPTIONS')).toBe(true);
    });
  }

  it('loads in plain Node through require and import alike', async () => {
    const script = `
      const cjs = require(${JSON.stringify(manifest.name)});
      import(${JSON.stringify(manifest.name)}).then((esm) => {
        const names = (m) => Object.keys(m).filter((n) => n !== 'default' && n !== '__esModule').sort();
        new cjs.SessionRepository().close();
        new esm.SessionRepository().close();
        console.log(JSON.stringify({
          cjs: names(cjs),
          esm: names(esm),
          cjsFile: require.resolve(${JSON.stringify(manifest.name)}),
          distinct: cjs.SessionRepository !== esm.SessionRepository,
        }));
      });
    `;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=commonjs', '-e', script],
      {
        cwd: packageDir,
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      },
    );
    const result = JSON.parse(stdout) as {
      cjs: string[];
      esm: string[];
      cjsFile: string;
      distinct: boolean;
    };
    expect(result.cjs).toEqual(valueNames(source));
    expect(result.esm).toEqual(valueNames(source));
    expect(result.cjsFile).toBe(join(packageDir, 'dist', 'index.cjs'));
    expect(result.distinct).toBe(true);
  });
});
