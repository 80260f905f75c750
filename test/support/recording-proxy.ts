// An HTTP reverse proxy for tests that records what reaches a server (request line and headers,
// exactly as received) and what it answered, and can add headers to its answers (to play an S3
// service that sends user metadata, checksums, encryption or its own security headers).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedExchange {
  method: string;
  url: string;
  /** Request header names, lowercase, in the order received (duplicates kept). */
  requestHeaderNames: string[];
  requestHeaders: http.IncomingHttpHeaders;
  status: number;
  /** Response header names of the target, lowercase, before any injected header. */
  responseHeaderNames: string[];
}

export interface RecordingProxy {
  port: number;
  url: string;
  exchanges: RecordedExchange[];
  close(): Promise<void>;
}

/** Starts the proxy on 127.0.0.1; `inject` headers are appended to every response of the target. */
export async function startRecordingProxy(target: { host: string; port: number }, inject: Record<string, string> = {}): Promise<RecordingProxy> {
  const exchanges: RecordedExchange[] = [];
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const upstream = http.request({ host: target.host, port: target.port, method: req.method, path: req.url, headers: req.headers, agent });
    upstream.on('response', (r) => {
      const names: string[] = [];
      for (let i = 0; i < r.rawHeaders.length; i += 2) names.push(String(r.rawHeaders[i]).toLowerCase());
      exchanges.push({
        method: req.method ?? '',
        url: req.url ?? '',
        requestHeaderNames: req.rawHeaders.filter((_, i) => i % 2 === 0).map((h) => h.toLowerCase()),
        requestHeaders: req.headers,
        status: r.statusCode ?? 0,
        responseHeaderNames: names,
      });
      const raw = [...r.rawHeaders];
      for (const [k, v] of Object.entries(inject)) raw.push(k, v);
      res.writeHead(r.statusCode ?? 502, raw);
      r.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    exchanges,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}
