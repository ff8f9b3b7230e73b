import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root directory. */
export const root = fileURLToPath(new URL('../..', import.meta.url));

/** The fields of a workspace package's package.json these tests read. */
export interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  type?: string;
  exports?: unknown;
  files?: string[];
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

/** One workspace package as pnpm lists it, with its manifest. */
export interface WorkspacePackage {
  name: string;
  dir: string;
  manifest: Manifest;
}

/**
 * Every package of the pnpm workspace except the root, as the pinned pnpm itself lists them
 * (`pnpm ls --recursive`): the source of truth for what exists, independent of changesets.
 */
export function listWorkspacePackages(): WorkspacePackage[] {
  const result = spawnSync(
    process.execPath,
    ['scripts/pnpm.mjs', 'ls', '--recursive', '--depth', '-1', '--json'],
    { cwd: root, encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`pnpm ls failed: ${result.stderr}`);
  const listed = JSON.parse(result.stdout) as { name: string; path: string }[];
  return listed
    .filter((entry) => resolve(entry.path) !== resolve(root))
    .map((entry) => ({
      name: entry.name,
      dir: entry.path,
      manifest: JSON.parse(readFileSync(join(entry.path, 'package.json'), 'utf8')) as Manifest,
    }));
}
