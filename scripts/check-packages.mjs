#!/usr/bin/env node
/**
 * `npm run check:packages`: packs every public workspace package with the pinned pnpm (so
 * `workspace:*` is rewritten exactly as publishing rewrites it) and lints each tarball:
 * - publint, strict: any error, warning or suggestion fails;
 * - @arethetypeswrong/cli on every entry point of the exports map, profile `strict`; a package
 *   that declares no CommonJS entry at all (no `require` condition) is ESM-only by design, so
 *   it is checked with the `esm-only` profile, which skips only `require` resolutions;
 * - no `workspace:` range is left in the packed manifest.
 * Prints one line per package and exits non-zero on any finding. Run after the build.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

const root = fileURLToPath(new URL('..', import.meta.url));
const attwBin = resolveBin('@arethetypeswrong/cli', 'attw');

const packages = listPublicPackages();
const destination = mkdtempSync(join(tmpdir(), 'check-packages-'));
try {
  const tarballs = pack(packages, destination);
  const results = await Promise.all(
    packages.map((pkg) => checkTarball(pkg, tarballs.get(pkg.name))),
  );
  for (const result of results) printResult(result);
  const failed = results.filter((result) => result.findings.length > 0);
  console.log(
    `check-packages: ${results.length - failed.length} passed, ${failed.length} failed (publint strict, attw)`,
  );
  process.exitCode = failed.length > 0 ? 1 : 0;
} finally {
  rmSync(destination, { recursive: true, force: true });
}

/** The workspace packages that are published: every package not marked `private`. */
function listPublicPackages() {
  const listed = JSON.parse(pnpm(['ls', '--recursive', '--depth', '-1', '--json']));
  const found = listed.filter((pkg) => pkg.private !== true && resolve(pkg.path) !== resolve(root));
  if (found.length === 0) throw new Error('pnpm listed no public workspace package');
  return found.map(({ name, version, path }) => ({ name, version, path }));
}

/** Packs the packages into `directory` with one pnpm run; returns package name → tarball path. */
function pack(pkgs, directory) {
  const filters = pkgs.flatMap((pkg) => ['--filter', pkg.name]);
  const packed = JSON.parse(pnpm([...filters, 'pack', '--pack-destination', directory, '--json']));
  const byName = new Map([packed].flat().map((entry) => [entry.name, entry.filename]));
  for (const pkg of pkgs) {
    if (!byName.has(pkg.name)) throw new Error(`pnpm pack produced no tarball for ${pkg.name}`);
  }
  return byName;
}

/** Runs publint, attw and the manifest check on one tarball; `findings` lists every problem. */
async function checkTarball(pkg, tarball) {
  const lint = await runPublint(readFileSync(tarball));
  const types = await runAttw(tarball, declaresCommonJs(lint.pkg) ? 'strict' : 'esm-only');
  const findings = [
    ...lint.messages.map(
      (message) => `publint ${message.type}: ${formatMessage(message, lint.pkg, { color: false })}`,
    ),
    ...types.findings,
    ...workspaceRanges(lint.pkg).map(
      (field) => `manifest: ${field} still uses the workspace: protocol`,
    ),
  ];
  return {
    pkg,
    findings,
    profile: types.profile,
    entrypoints: types.entrypoints,
    ignored: types.ignored,
  };
}

function runPublint(data) {
  const tarball = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
  return publint({ pack: { tarball }, level: 'suggestion', strict: true });
}

async function runAttw(tarball, profile) {
  const args = [attwBin, tarball, '--format', 'json', '--profile', profile, '--no-color'];
  const { code, stdout } = await promisify(execFile)(process.execPath, args, {
    maxBuffer: 64 * 1024 * 1024,
  }).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (error) => ({ code: error.code ?? 1, stdout: error.stdout ?? '' }),
  );
  let report;
  try {
    report = JSON.parse(stdout);
  } catch {
    return {
      profile,
      entrypoints: [],
      ignored: 0,
      findings: [`attw: exited ${code} without a report`],
    };
  }
  const problems = report.analysis?.problems ?? [];
  const described = problems.map(
    (problem) =>
      `attw: ${problem.kind} at "${problem.entrypoint ?? '.'}" (${problem.resolutionKind ?? 'all resolutions'})`,
  );
  const entrypoints = Object.keys(report.analysis?.entrypoints ?? {});
  if (code === 0) return { profile, entrypoints, ignored: problems.length, findings: [] };
  return {
    profile,
    entrypoints,
    ignored: 0,
    findings: described.length > 0 ? described : [`attw: exited ${code}`],
  };
}

function printResult({ pkg, findings, profile, entrypoints, ignored }) {
  const detail = `attw profile ${profile}${ignored > 0 ? ` (${ignored} require-only finding(s) ignored)` : ''}; entry points ${entrypoints.join(', ')}`;
  if (findings.length === 0) {
    console.log(`ok   ${pkg.name}@${pkg.version}: publint clean, attw clean; ${detail}`);
    return;
  }
  console.log(`FAIL ${pkg.name}@${pkg.version}: ${findings.length} finding(s); ${detail}`);
  for (const finding of findings) console.log(`       ${finding}`);
}

/** Whether any condition of the exports map (or a bare `main` without `exports`) serves `require`. */
function declaresCommonJs(manifest) {
  if (manifest.exports === undefined) return manifest.type !== 'module';
  const visit = (value) =>
    value !== null &&
    typeof value === 'object' &&
    Object.entries(value).some(([key, inner]) => key === 'require' || visit(inner));
  return visit(manifest.exports);
}

/** Dependency fields of a packed manifest that still hold a `workspace:` range. */
function workspaceRanges(manifest) {
  const fields = ['dependencies', 'peerDependencies', 'optionalDependencies', 'devDependencies'];
  return fields.flatMap((field) =>
    Object.entries(manifest[field] ?? {})
      .filter(([, range]) => String(range).startsWith('workspace:'))
      .map(([name]) => `${field}.${name}`),
  );
}

function pnpm(args) {
  const result = spawnSync(process.execPath, [join(root, 'scripts/pnpm.mjs'), ...args], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (result.status !== 0) throw new Error(`pnpm ${args.join(' ')} exited ${result.status}`);
  return result.stdout;
}

function resolveBin(packageName, binName) {
  const require = createRequire(join(root, 'package.json'));
  const manifestPath = require.resolve(`${packageName}/package.json`);
  const { bin } = JSON.parse(readFileSync(manifestPath, 'utf8'));
  return join(manifestPath, '..', typeof bin === 'string' ? bin : bin[binName]);
}
