/**
 * Summarizes V8 CPU profiles (`.cpuprofile`, e.g. written by the e2e apps with
 * `BENCH_CPU_PROF=<directory>`): self time by package (the `node_modules` package or workspace
 * package a function's file belongs to, `node:` internals, GC, idle) and the functions with the
 * most self time. `node --import tsx src/profile-summary.ts <file.cpuprofile>... [--top <n>]`.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { markdownTable } from './markdown';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' } },
});
const top = Number(values.top);

for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map<number, number>();
  profile.samples.forEach((id, index) => {
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  const total = profile.endTime - profile.startTime;
  const idle = [...selfMicros].reduce(
    (sum, [id, micros]) => (byId.get(id)?.callFrame.functionName === '(idle)' ? sum + micros : sum),
    0,
  );
  const busy = total - idle;
  const packages = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, micros] of selfMicros) {
    const frame = byId.get(id)?.callFrame;
    if (!frame || frame.functionName === '(idle)') continue;
    const owner = packageOf(frame.url, frame.functionName);
    packages.set(owner, (packages.get(owner) ?? 0) + micros);
    const name = `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
    functions.set(name, (functions.get(name) ?? 0) + micros);
  }
  const share = (micros: number) => `${((micros / busy) * 100).toFixed(1)} %`;
  console.log(`## ${file}\n`);
  console.log(
    `${(total / 1e6).toFixed(2)} s profiled, ${(busy / 1e6).toFixed(2)} s busy (shares below are of the busy time)\n`,
  );
  console.log(
    markdownTable(
      ['package', 'self ms', 'share'],
      [...packages]
        .sort((a, b) => b[1] - a[1])
        .slice(0, top)
        .map(([name, micros]) => [name, Math.round(micros / 1000), share(micros)]),
    ),
  );
  console.log();
  console.log(
    markdownTable(
      ['function', 'self ms', 'share'],
      [...functions]
        .sort((a, b) => b[1] - a[1])
        .slice(0, top)
        .map(([name, micros]) => [name, Math.round(micros / 1000), share(micros)]),
    ),
  );
  console.log();
}

/** The package a function's file belongs to. */
function packageOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node: internals';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + '/node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? url);
  }
  const workspace = url.match(/\/(packages\/[^/]+|bench)\//);
  return workspace ? (workspace[1] ?? url) : url;
}

function shortUrl(url: string): string {
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) return url.slice(modules + '/node_modules/'.length);
  return url.replace(/^file:\/\/.*?\/(packages|bench)\//, '$1/');
}
