import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * What a {@link TcpProxy} does with connections: `forward` them to the target, `refuse` them
 * (nothing listens: ECONNREFUSED; open connections are reset), or swallow them in a
 * `blackhole` (connections are accepted and nothing ever comes back, as in a network partition;
 * open connections freeze).
 */
export type ProxyMode = 'forward' | 'refuse' | 'blackhole';

/** An in-process TCP proxy in front of a server, whose connectivity a test switches. */
export interface TcpProxy {
  /** `http://127.0.0.1:<port>`: the same port in every mode. */
  endpoint: string;
  readonly mode: ProxyMode;
  /** Switches mode; resolves once the listener is closed or listening again. */
  setMode(mode: ProxyMode): Promise<void>;
  close(): Promise<void>;
}

/** Starts a proxy on a free loopback port forwarding to `target` (`http://host:port`). */
export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const { hostname, port: targetPort } = new URL(target);
  const connections = new Set<{ client: Socket; upstream?: Socket }>();
  let mode: ProxyMode = 'forward';
  const server: Server = createServer((client) => {
    const connection: { client: Socket; upstream?: Socket } = { client };
    connections.add(connection);
    client.on('error', () => {});
    client.on('close', () => {
      connection.upstream?.destroy();
      connections.delete(connection);
    });
    if (mode !== 'forward') return;
    const upstream = connect(Number(targetPort), hostname);
    connection.upstream = upstream;
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => {
      if (mode === 'forward') client.destroy();
    });
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const port = (server.address() as { port: number }).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get mode() {
      return mode;
    },
    async setMode(next) {
      const previous = mode;
      mode = next;
      if (next === 'refuse') {
        for (const { client } of connections) client.resetAndDestroy();
        if (previous !== 'refuse')
          await new Promise<void>((resolve) => server.close(() => resolve()));
      } else {
        for (const connection of connections) {
          if (next === 'blackhole') {
            connection.client.unpipe();
            connection.upstream?.unpipe();
            connection.upstream?.destroy();
          } else if (!connection.upstream || connection.upstream.destroyed) {
            connection.client.destroy();
          }
        }
        if (previous === 'refuse') await listen(port);
      }
    },
    async close() {
      for (const { client } of connections) client.destroy();
      if (mode !== 'refuse') await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
