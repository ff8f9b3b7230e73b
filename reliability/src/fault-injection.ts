import { createServer, type Server, type Socket } from 'node:net';
import {
  type DynamoDBClient,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-dynamodb';

/** The faults {@link injectFaults} can inject, each with its probability per attempt. */
export interface FaultRates {
  /** DynamoDB answers ProvisionedThroughputExceededException (the SDK retries it). */
  throttle: number;
  /** The answer comes late, by `latencyMs`. */
  latency: number;
  /** The connection is reset by the peer (a real TCP RST: ECONNRESET). */
  reset: number;
  /** The server accepts the connection and never answers. */
  hang: number;
}

/** How {@link injectFaults} decides. */
export interface FaultOptions {
  /** Seed of the PRNG that draws the faults: one seed, one sequence of faults. */
  seed: number;
  rates: FaultRates;
  /** Range of the added latency, in milliseconds. Default [20, 150]. */
  latencyMs?: [number, number];
}

/** What an injector did, attempt by attempt. */
export interface FaultCounts {
  attempts: number;
  throttle: number;
  latency: number;
  reset: number;
  hang: number;
}

/** A running injector; `enabled` turns it on and off between requests. */
export interface FaultInjector {
  enabled: boolean;
  readonly counts: FaultCounts;
  /** Removes the middleware and closes the fault servers. */
  stop(): Promise<void>;
}

/**
 * Adds a middleware to `client` (step `finalizeRequest`, low priority: after the retry and
 * signing middleware, so every attempt passes it, closest to the wire) that draws one fault per
 * attempt from a seeded PRNG. Throttling is thrown as the SDK's own exception (as its
 * deserializer would after a 400); a reset sends the attempt to a local server that answers a
 * TCP RST; a hang sends it to a local server that accepts and never answers, so only the abort
 * signal of the call (the store's `requestTimeoutMs`) ends it.
 */
export async function injectFaults(
  client: DynamoDBClient,
  options: FaultOptions,
): Promise<FaultInjector> {
  const random = mulberry32(options.seed);
  const [minLatency, maxLatency] = options.latencyMs ?? [20, 150];
  const { rates } = options;
  const blackHole = await startFaultServer('hang');
  const resetter = await startFaultServer('reset');
  const name = `fault-injection-${options.seed}-${Math.random().toString(36).slice(2)}`;
  const counts: FaultCounts = { attempts: 0, throttle: 0, latency: 0, reset: 0, hang: 0 };
  const injector: FaultInjector = {
    enabled: true,
    counts,
    async stop() {
      client.middlewareStack.remove(name);
      await Promise.all([blackHole.close(), resetter.close()]);
    },
  };
  client.middlewareStack.add(
    (next) => async (args) => {
      if (!injector.enabled) return next(args);
      counts.attempts++;
      const fault = drawFault(random(), rates);
      if (fault) counts[fault]++;
      if (fault === 'throttle') {
        throw new ProvisionedThroughputExceededException({
          message: 'injected: the level of configured provisioned throughput was exceeded',
          $metadata: { httpStatusCode: 400 },
        });
      }
      if (fault === 'reset')
        return next({ ...args, request: redirect(args.request, resetter.port) });
      if (fault === 'hang')
        return next({ ...args, request: redirect(args.request, blackHole.port) });
      if (fault === 'latency') await sleep(minLatency + random() * (maxLatency - minLatency));
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name },
  );
  return injector;
}

/** A small deterministic PRNG (mulberry32): floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface FaultServer {
  port: number;
  close(): Promise<void>;
}

async function startFaultServer(kind: 'hang' | 'reset'): Promise<FaultServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    if (kind === 'reset') socket.once('data', () => socket.resetAndDestroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The fault a draw in [0, 1) falls on, the rates laid end to end; `undefined` for none. */
function drawFault(draw: number, rates: FaultRates): keyof FaultRates | undefined {
  let threshold = 0;
  for (const fault of ['throttle', 'reset', 'hang', 'latency'] as const) {
    threshold += rates[fault];
    if (draw < threshold) return fault;
  }
  return undefined;
}

function redirect(request: unknown, port: number): unknown {
  return { ...(request as object), hostname: '127.0.0.1', port };
}
