import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import semver from 'semver';
import { beforeAll, describe, expect, it } from 'vitest';
import { listWorkspacePackages, type WorkspacePackage } from './workspace-packages';

/**
 * The dependencies each public package declares, checked against what its built files import:
 * a package users install must name everything it loads, and let the user's copy of a framework
 * or of the AWS SDK be the one in use. Needs the packages built (`turbo run build`).
 */
describe('peer dependencies of the public packages', () => {
  let publicPackages: WorkspacePackage[];
  let byName: Map<string, WorkspacePackage>;

  beforeAll(() => {
    const workspace = listWorkspacePackages();
    publicPackages = workspace.filter((pkg) => !pkg.manifest.private);
    byName = new Map(workspace.map((pkg) => [pkg.name, pkg]));
  });

  it('finds built files to read in every public package', () => {
    for (const pkg of publicPackages) {
      expect(importsOf(pkg, 'runtime').files, pkg.name).toBeGreaterThan(0);
      expect(importsOf(pkg, 'types').files, pkg.name).toBeGreaterThan(0);
    }
  });

  it('declares what the built JavaScript loads as a dependency or a required peer', () => {
    for (const pkg of publicPackages) {
      const { dependencies = {}, peerDependencies = {} } = pkg.manifest;
      for (const name of importsOf(pkg, 'runtime').names) {
        const declared =
          name in dependencies || (name in peerDependencies && !isOptional(pkg, name));
        expect(declared, `${pkg.name} loads ${name} at run time`).toBe(true);
      }
    }
  });

  it('declares what the built JavaScript loads on demand (a dynamic import) as a dependency or a peer', () => {
    for (const pkg of publicPackages) {
      const { dependencies = {}, peerDependencies = {} } = pkg.manifest;
      for (const name of importsOf(pkg, 'runtime').deferred) {
        expect(name in dependencies || name in peerDependencies, `${pkg.name} loads ${name}`).toBe(
          true,
        );
      }
    }
  });

  it('declares what the built types import as a dependency or a peer', () => {
    for (const pkg of publicPackages) {
      const { dependencies = {}, peerDependencies = {} } = pkg.manifest;
      for (const name of importsOf(pkg, 'types').names) {
        expect(
          name in dependencies || name in peerDependencies,
          `${pkg.name} types import ${name}`,
        ).toBe(true);
      }
    }
  });

  it('passes the peers of the workspace packages it depends on through, with the same range', () => {
    for (const pkg of publicPackages) {
      for (const dependency of Object.keys(pkg.manifest.dependencies ?? {})) {
        const inner = byName.get(dependency);
        if (!inner) continue;
        for (const [peer, range] of Object.entries(inner.manifest.peerDependencies ?? {})) {
          if (isOptional(inner, peer)) continue;
          const ownPeer = pkg.manifest.peerDependencies?.[peer];
          const ownDependency = pkg.manifest.dependencies?.[peer];
          const where = `${pkg.name} for ${dependency}'s peer ${peer}@${range}`;
          if (ownDependency !== undefined) {
            expect(semver.satisfies(ownDependency, range), where).toBe(true);
          } else {
            expect(ownPeer, where).toBe(range);
          }
        }
      }
    }
  });

  it('marks a peer optional when the package does not load it at run time', () => {
    for (const pkg of publicPackages) {
      const runtime = importsOf(pkg, 'runtime').names;
      const neededByDependencies = new Set(
        Object.keys(pkg.manifest.dependencies ?? {}).flatMap((name) => {
          const inner = byName.get(name);
          const peers = Object.keys(inner?.manifest.peerDependencies ?? {});
          return inner ? peers.filter((peer) => !isOptional(inner, peer)) : [];
        }),
      );
      for (const peer of Object.keys(pkg.manifest.peerDependencies ?? {})) {
        const needed = runtime.has(peer) || neededByDependencies.has(peer);
        expect(isOptional(pkg, peer), `${pkg.name}: peer ${peer} optional`).toBe(!needed);
      }
    }
  });

  it('uses peer ranges that admit every version the tests install, aliases included', () => {
    for (const pkg of publicPackages) {
      for (const [peer, range] of Object.entries(pkg.manifest.peerDependencies ?? {})) {
        expect(semver.validRange(range), `${pkg.name}: ${peer}@${range}`).not.toBeNull();
        for (const tested of testedVersions(pkg, peer)) {
          expect(
            semver.satisfies(tested, range),
            `${pkg.name}: ${peer}@${tested} in ${range}`,
          ).toBe(true);
        }
      }
    }
  });
});

const builtins = new Set(builtinModules);
const cache = new Map<string, { names: Set<string>; deferred: Set<string>; files: number }>();

/**
 * A package loaded on demand: `import('x')` in ESM, and its CommonJS form as esbuild writes it,
 * `Promise.resolve().then(() => __toESM(require('x')))`. An optional peer may only be loaded so.
 */
const deferredImport =
  /\bimport\s*\(\s*["']([^"'./][^"']*)["']\s*\)|Promise\.resolve\(\)\.then\(\(\)\s*=>\s*(?:\w+\()?require\(\s*["']([^"'./][^"']*)["']\s*\)\)?\)/g;

/**
 * The package names imported by a package's built JavaScript (`runtime`) or declarations:
 * `names` when loaded with the module, `deferred` when loaded only on demand.
 */
function importsOf(pkg: WorkspacePackage, kind: 'runtime' | 'types') {
  const key = `${pkg.name}:${kind}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const pattern = kind === 'types' ? /\.d\.[cm]?ts$/ : /(?<!\.d)\.[cm]?js$/;
  const files = listFiles(join(pkg.dir, 'dist')).filter((file) => pattern.test(file));
  const names = new Set<string>();
  const deferred = new Set<string>();
  const specifiers =
    /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)["']([^"'./][^"']*)["']/gm;
  const external = (name: string) =>
    !builtins.has(name) && !name.startsWith('node:') && name !== pkg.name;
  for (const file of files) {
    let text = readFileSync(file, 'utf8');
    if (kind === 'runtime') {
      for (const [, esm, cjs] of text.matchAll(deferredImport)) {
        const name = packageName(esm ?? cjs ?? '');
        if (external(name)) deferred.add(name);
      }
      text = text.replace(deferredImport, '');
    }
    for (const [, specifier = ''] of text.matchAll(specifiers)) {
      const name = packageName(specifier);
      if (external(name)) names.add(name);
    }
  }
  const result = { names, deferred, files: files.length };
  cache.set(key, result);
  return result;
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/** The versions of `name` in the devDependencies, directly or as an `npm:name@version` alias. */
function testedVersions(pkg: WorkspacePackage, name: string): string[] {
  return Object.entries(pkg.manifest.devDependencies ?? {}).flatMap(([key, value]) => {
    if (key === name) return [value];
    const alias = `npm:${name}@`;
    return value.startsWith(alias) ? [value.slice(alias.length)] : [];
  });
}

function isOptional(pkg: WorkspacePackage, peer: string): boolean {
  return pkg.manifest.peerDependenciesMeta?.[peer]?.optional === true;
}

function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name));
  } catch {
    return [];
  }
}
