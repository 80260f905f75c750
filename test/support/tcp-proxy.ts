// A loopback TCP proxy for fault tests: forwards to a target and can cut a connection (reset)
// after it has relayed N bytes from the target, so any S3 service can be made to fail mid-body.
import net from 'node:net';

export interface TcpProxy {
  port: number;
  url: string;
  /** Connections accepted so far. */
  connections(): number;
  /**
   * From now on, cut each new connection after `bytes` (null: never) relayed from the target.
   * Open connections are closed, so pooled keep-alive sockets obey the new rule too.
   */
  cutAfter(rule: (connection: number) => number | null): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let rule: (connection: number) => number | null = () => null;
  let count = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const limit = rule(count++);
    const upstream = net.connect(target.port, target.host);
    sockets.add(client).add(upstream);
    let relayed = 0;
    const cut = (): void => {
      client.resetAndDestroy();
      upstream.destroy();
    };
    upstream.on('data', (chunk: Buffer) => {
      if (limit !== null && relayed + chunk.length >= limit) {
        client.write(chunk.subarray(0, Math.max(0, limit - relayed)), cut);
        relayed = limit;
        upstream.pause();
        return;
      }
      relayed += chunk.length;
      if (!client.write(chunk)) upstream.pause();
    });
    client.on('drain', () => upstream.resume());
    client.on('data', (chunk: Buffer) => {
      if (!upstream.write(chunk)) client.pause();
    });
    upstream.on('drain', () => client.resume());
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    connections: () => count,
    cutAfter: (r) => {
      rule = r;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
