/**
 * Measures one listing operation in a fresh process, so that its memory baseline holds nothing
 * of the data loading: `listing-worker.ts <endpoint> <table> <all|clear> [options JSON]` prints
 * a {@link ListingRun} as JSON on stdout. The optional JSON is passed to `all()` / `clear()`
 * (e.g. `{"segments":1}`), for experiments; the benchmark passes none (the defaults).
 */
import './env';
import { type BulkOptions, SessionRepository } from '@dynamodb-session/core';
import { exitWhenParentGoes } from './child-process';
import type { ListingRun } from './listing-benchmark';
import { benchClient } from './local-table';
import { startMemorySampler } from './memory-sampler';
import { RequestCounter } from './request-counter';

const [endpoint, table, operation, optionsJson] = process.argv.slice(2);
if (!endpoint || !table || (operation !== 'all' && operation !== 'clear')) {
  throw new Error('usage: listing-worker.ts <endpoint> <table> <all|clear> [options JSON]');
}
const options = optionsJson ? (JSON.parse(optionsJson) as BulkOptions) : undefined;
exitWhenParentGoes();

const client = benchClient(endpoint);
const repository = new SessionRepository({ client, table });
// one request first, so that the SDK's lazily loaded code and the connection are not counted
await repository.tableStatus();
const counter = new RequestCounter(client);

const sampler = startMemorySampler(50);
const start = performance.now();
let sessions = 0;
if (operation === 'all') {
  for await (const { data } of repository.all(options)) {
    if (data.cookie !== undefined) sessions++;
  }
} else {
  sessions = await repository.clear(options);
}
const ms = performance.now() - start;
const memory = sampler.stop();
client.destroy();

const run: ListingRun = {
  operation: operation === 'all' ? 'all()' : 'clear()',
  sessions,
  ms,
  memory,
  requests: counter.snapshot(),
};
process.stdout.write(`${JSON.stringify(run)}\n`);
process.exit(0);
