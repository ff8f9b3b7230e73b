import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CostRow } from './cost-benchmark';
import { COST_TARGET, costRatio } from './cost-benchmark';
import type { CpuResult } from './cpu-benchmark';
import { CPU_RATIO_TARGET } from './cpu-benchmark';
import type { E2eRow } from './e2e-benchmark';
import { E2E_TARGETS, e2eRatio } from './e2e-benchmark';
import { type RatioBar, ratiosSvg } from './ratios-chart';
import type { StoreOpsRow } from './store-ops-benchmark';

/** The start of each benchmark's `##` heading in results.md. */
export const SECTION_HEADINGS = {
  cleanup: '## Cleanup',
  listing: '## Listing',
  'store-ops': '## Store operations',
  cpu: '## Client CPU',
  e2e: '## End to end',
  cost: '## Cost',
} as const;

/**
 * The SVG chart of the headline ratios, from the JSON results this run wrote in `directory`;
 * `undefined` when none of them is there.
 */
export function headlineChart(directory: string): string | undefined {
  const bars: RatioBar[] = [];
  const storeOps = readJson<{ results: StoreOpsRow[] }>(directory, 'store-ops.json')?.results;
  if (storeOps) {
    for (const operation of ['get', 'set'] as const) {
      const find = (implementation: string) =>
        storeOps.find(
          (row) =>
            row.server === 'dynamodb-local' &&
            row.client === 'plain client' &&
            row.concurrency === 32 &&
            row.operation === operation &&
            row.implementation === implementation,
        )?.opsPerSecond.median;
      const ours = find('dynamodb-session');
      const connect = find('connect-dynamodb');
      if (ours && connect) {
        bars.push({
          label: `store ${operation} ops/s vs connect-dynamodb (DynamoDB Local, plain client, 32 in flight)`,
          value: ours / connect,
          higherIsBetter: true,
        });
      }
    }
  }
  const cpu = readJson<{ result: CpuResult }>(directory, 'cpu.json')?.result;
  if (cpu) {
    bars.push({
      label: 'client CPU per op vs raw default SDK',
      value:
        cpu.perCall['dynamodb-session'].mean.median /
        cpu.perCall['raw SDK, default client'].mean.median,
      target: CPU_RATIO_TARGET,
      higherIsBetter: false,
    });
    bars.push({
      label: 'client CPU per op vs connect-dynamodb',
      value:
        cpu.perCall['dynamodb-session'].mean.median / cpu.perCall['connect-dynamodb'].mean.median,
      higherIsBetter: false,
    });
  }
  const e2e = readJson<{ results: E2eRow[] }>(directory, 'e2e.json')?.results;
  if (e2e) {
    for (const mode of [
      'app client',
      'app client + cacheClientMiddleware',
      'own client',
    ] as const) {
      for (const workload of ['read-heavy', 'write-every-request'] as const) {
        const value = e2eRatio(e2e, workload, mode)?.median;
        if (value !== undefined) {
          bars.push({
            label: `express ${workload} req/s vs connect-dynamodb (${mode})`,
            value,
            target: E2E_TARGETS[mode][workload],
            higherIsBetter: true,
          });
        }
      }
    }
  }
  const cost = readJson<{ results: CostRow[] }>(directory, 'cost.json')?.results;
  if (cost) {
    for (const workload of ['read-heavy', 'write-every-request'] as const) {
      const value = costRatio(cost, workload);
      if (value !== undefined) {
        bars.push({
          label: `$ per million ${workload} requests vs connect-dynamodb`,
          value,
          ...(workload === 'read-heavy' && { target: COST_TARGET }),
          higherIsBetter: false,
        });
      }
    }
    const tuned = costRatio(cost, 'read-heavy', 'dynamodb-session, touchAfterMs 10 min');
    if (tuned !== undefined) {
      bars.push({
        label: '$ per million read-heavy requests, touchAfterMs 10 min',
        value: tuned,
        target: COST_TARGET,
        higherIsBetter: false,
      });
    }
  }
  if (bars.length === 0) return undefined;
  return ratiosSvg('dynamodb-session against its peers (same run, medians)', bars);
}

function readJson<T>(directory: string, name: string): T | undefined {
  const file = join(directory, name);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : undefined;
}
