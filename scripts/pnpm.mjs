#!/usr/bin/env node
/**
 * Runs the workspace's pinned pnpm (from package.json's `packageManager`) without needing it
 * installed globally or through corepack: a global pnpm of the same version is used when present,
 * otherwise `npx` fetches that exact version from the npm registry.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const root = new URL('..', import.meta.url);
const { packageManager } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
const version = packageManager.replace(/^pnpm@/, '');
const args = process.argv.slice(2);
const env = {
  ...process.env,
  TURBO_TELEMETRY_DISABLED: '1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  COREPACK_ENABLE_STRICT: '0',
};

const installed = spawnSync('pnpm', ['--version'], { encoding: 'utf8', env, shell: false });
const useGlobal = installed.status === 0 && installed.stdout.trim() === version;
const [command, commandArgs] = useGlobal
  ? ['pnpm', args]
  : ['npx', ['--yes', `pnpm@${version}`, ...args]];
const result = spawnSync(command, commandArgs, { stdio: 'inherit', env, cwd: root });
process.exit(result.status ?? 1);
