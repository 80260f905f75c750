// A loopback TCP proxy for fault tests of a slow or stuck upstream: per connection it relays the
// upstream's bytes at a fixed rate (KiB/s), or stalls for good after M bytes (the connection stays
// open and silent), or refuses the connection (reset at once). Client → upstream bytes pass as is.
import net from 'node:net';

export interface ThrottleRule {
  /** Upstream → client rate in KiB/s; null: as fast as possible. */
  rateKiBps?: number | null;
  /** Relay this many upstream bytes, then nothing more (the connection hangs); null: never. */
  stallAfter?: number | null;
  /** Reset new connections at once (an upstream that is down). */
  refuse?: boolean;
}

export interface ThrottleProxy {
  port: number;
  url: string;
  /** Connections accepted so far (refused ones included). */
  connections(): number;
  /** Connections currently stalled (relayed their `stallAfter` bytes and hang). */
  stalled(): number;
  /** From now on, new connections follow `rule`; open connections are closed (pooled sockets obey too). */
  setRule(rule: ThrottleRule | ((connection: number) => ThrottleRule)): void;
  close(): Promise<void>;
}

const TICK_MS = 20;
const HIGH_WATER = 256 * 1024;

export async function startThrottleProxy(target: { host: string; port: number }): Promise<ThrottleProxy> {
  let ruleFor: (connection: number) => ThrottleRule = () => ({});
  let count = 0;
  const sockets = new Set<net.Socket>();
  const stalledSet = new Set<net.Socket>();

  const server = net.createServer((client) => {
    const rule = ruleFor(count++);
    if (rule.refuse) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(target.port, target.host);
    sockets.add(client).add(upstream);
    const rate = rule.rateKiBps ?? null;
    const stallAfter = rule.stallAfter ?? null;
    let accepted = 0; // upstream bytes taken for relaying (≤ stallAfter)
    let stalled = false;
    const queue: Buffer[] = [];
    let queued = 0;
    let upstreamEnded = false;
    let timer: NodeJS.Timeout | undefined;

    const end = (): void => {
      if (timer) clearInterval(timer);
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
      stalledSet.delete(client);
    };
    const maybeEnd = (): void => {
      if (upstreamEnded && queued === 0 && !stalled) client.end();
    };
    const send = (chunk: Buffer): void => {
      if (!client.write(chunk)) upstream.pause();
    };

    upstream.on('data', (data: Buffer) => {
      if (stalled) return;
      let chunk = data;
      if (stallAfter !== null && accepted + chunk.length >= stallAfter) {
        chunk = chunk.subarray(0, Math.max(0, stallAfter - accepted));
        stalled = true;
        stalledSet.add(client);
        upstream.pause();
      }
      accepted += chunk.length;
      if (rate === null) {
        if (chunk.length > 0) send(chunk);
        return;
      }
      queue.push(chunk);
      queued += chunk.length;
      if (queued > HIGH_WATER) upstream.pause();
    });
    client.on('drain', () => {
      if (!stalled && rate === null) upstream.resume();
    });
    if (rate !== null) {
      const perTick = Math.max(1, Math.round((rate * 1024 * TICK_MS) / 1000));
      timer = setInterval(() => {
        if (client.writableNeedDrain) return;
        let budget = perTick;
        while (budget > 0 && queue.length > 0) {
          const head = queue[0] as Buffer;
          const part = head.subarray(0, budget);
          if (part.length === head.length) queue.shift();
          else queue[0] = head.subarray(part.length);
          queued -= part.length;
          budget -= part.length;
          client.write(part);
        }
        if (!stalled && queued < HIGH_WATER / 2) upstream.resume();
        maybeEnd();
      }, TICK_MS);
    }
    upstream.on('end', () => {
      upstreamEnded = true;
      maybeEnd();
    });
    client.on('data', (chunk: Buffer) => {
      if (!upstream.write(chunk)) client.pause();
    });
    upstream.on('drain', () => client.resume());
    client.on('close', end).on('error', end);
    upstream
      .on('close', () => {
        // A stalled connection stays open and silent even when the upstream goes away.
        if (!stalled && queued === 0) end();
      })
      .on('error', () => {
        if (!stalled) end();
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const closeAll = (): void => {
    for (const s of sockets) s.destroy();
    sockets.clear();
    stalledSet.clear();
  };
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    connections: () => count,
    stalled: () => stalledSet.size,
    setRule: (rule) => {
      ruleFor = typeof rule === 'function' ? rule : () => rule;
      closeAll();
    },
    close: () =>
      new Promise((resolve) => {
        closeAll();
        server.close(() => resolve());
      }),
  };
}
