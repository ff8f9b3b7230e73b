import {
  type E2eRow,
  type E2eSettings,
  runE2eBenchmark,
  WORKLOADS,
  type Workload,
} from './e2e-benchmark';
import { markdownTable } from './markdown';
import { verdict } from './stats';

/** On-demand prices used, US East (N. Virginia), USD per million request units (2025 rates). */
export const PRICES = { readRequestUnit: 0.125, writeRequestUnit: 0.625 };

/** Target: dynamodb-session's cost per million read-heavy requests ≤ 0.2× connect-dynamodb's. */
export const COST_TARGET = 0.2;

/** The capacity and price of one app and workload. */
export interface CostRow {
  store: E2eRow['store'];
  workload: Workload;
  requests: number;
  requestsPerSecond: number;
  /** Sessions the load rotated through, and how often each was hit per second on average. */
  hitsPerSessionPerSecond: number;
  readUnitsPer1000: number;
  writeUnitsPer1000: number;
  /** USD per million requests at {@link PRICES}. */
  dollarsPerMillion: number;
}

/**
 * Runs the e2e express apps of dynamodb-session (its defaults) and connect-dynamodb, each on its
 * own client, with consumed capacity counted, one round, and prices it at on-demand rates.
 */
export async function runCostBenchmark(
  settings: Omit<E2eSettings, 'apps' | 'workloads' | 'capacity' | 'rounds'>,
): Promise<CostRow[]> {
  const rows = await runE2eBenchmark({
    ...settings,
    rounds: 1,
    workloads: WORKLOADS,
    capacity: true,
    apps: [
      { framework: 'express', store: 'dynamodb-session', client: 'own client' },
      {
        framework: 'express',
        store: 'dynamodb-session, touchAfterMs 10 min',
        client: 'own client',
      },
      { framework: 'express', store: 'connect-dynamodb', client: 'own client' },
    ],
  });
  return rows.map((row) => {
    const read = ((row.capacity?.read ?? 0) / row.requests) * 1000;
    const write = ((row.capacity?.write ?? 0) / row.requests) * 1000;
    return {
      store: row.store,
      workload: row.workload,
      requests: row.requests,
      requestsPerSecond: row.requestsPerSecond,
      hitsPerSessionPerSecond: row.requestsPerSecond / settings.sessions,
      readUnitsPer1000: read,
      writeUnitsPer1000: write,
      dollarsPerMillion: (read * PRICES.readRequestUnit + write * PRICES.writeRequestUnit) / 1000,
    };
  });
}

/** dynamodb-session's price per million requests over connect-dynamodb's, for a workload. */
export function costRatio(
  rows: CostRow[],
  workload: Workload,
  store: CostRow['store'] = 'dynamodb-session',
): number | undefined {
  const ours = rows.find((row) => row.workload === workload && row.store === store);
  const connect = rows.find((row) => row.workload === workload && row.store === 'connect-dynamodb');
  return ours && connect ? ours.dollarsPerMillion / connect.dollarsPerMillion : undefined;
}

/** The rows as markdown, with the target. */
export function costMarkdown(rows: CostRow[]): string {
  const readRatio = costRatio(rows, 'read-heavy');
  const tunedRatio = costRatio(rows, 'read-heavy', 'dynamodb-session, touchAfterMs 10 min');
  return [
    `Prices: on-demand, us-east-1, $${PRICES.readRequestUnit} per million read request units and $${PRICES.writeRequestUnit} per million write request units. A strongly consistent read of up to 4 KB is 1 RRU (eventually consistent 0.5), a write of up to 1 KB is 1 WRU. Units are DynamoDB Local’s \`ConsumedCapacity\` reports (\`returnConsumedCapacity: true\` on dynamodb-session; on connect-dynamodb’s client a middleware forces \`ReturnConsumedCapacity: 'TOTAL'\` and adds the outputs up). Express apps, sessions of about 1 KB, both at their defaults (dynamodb-session: strongly consistent reads, \`touchAfterMs: 'auto'\`, i.e. an unchanged session's expiry is written again once it lags by a tenth of the session's lifetime, at most 10 minutes; express-session \`resave: false\`, \`saveUninitialized: false\`), plus dynamodb-session with \`touchAfterMs: 600000\`. In the read-heavy workload express-session calls \`store.touch\` on every request; how often that writes depends on how often the same session comes back (the hits per session per second column).`,
    markdownTable(
      [
        'workload',
        'store',
        'requests',
        'req/s',
        'hits per session per s',
        'RRU / 1000 req',
        'WRU / 1000 req',
        '$ per million requests',
        'vs connect-dynamodb',
      ],
      rows.map((row) => {
        return [
          row.workload,
          row.store,
          row.requests,
          Math.round(row.requestsPerSecond),
          row.hitsPerSessionPerSecond.toFixed(2),
          row.readUnitsPer1000.toFixed(0),
          row.writeUnitsPer1000.toFixed(0),
          `$${row.dollarsPerMillion.toFixed(3)}`,
          row.store === 'connect-dynamodb'
            ? '–'
            : ratioCell(costRatio(rows, row.workload, row.store)),
        ];
      }),
    ),
    markdownTable(
      ['target', 'measured', 'result'],
      [
        [`read-heavy cost ≤ ${COST_TARGET}× connect-dynamodb (defaults)`, readRatio],
        [`read-heavy cost ≤ ${COST_TARGET}× connect-dynamodb (touchAfterMs 10 min)`, tunedRatio],
      ]
        .filter((row): row is [string, number] => row[1] !== undefined)
        .map(([target, ratio]) => [target, ratioCell(ratio), verdict(ratio <= COST_TARGET)]),
    ),
  ].join('\n\n');
}

function ratioCell(ratio: number | undefined): string {
  return ratio === undefined ? '–' : `${ratio.toFixed(2)}×`;
}
