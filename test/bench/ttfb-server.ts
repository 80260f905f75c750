// The server of ttfb-probe.ts, in its own process: createStationFiles' media() route (helmet on, a
// trivial authenticate, every id allowed) and a bare fileHandler over one s3Storage in stream mode,
// each request timed at every step of its way to the client (process.hrtime, ms since arrival):
//   send       S3Client.send(GetObject) called (auth, catalog, planning done)
//   sent       the S3 GetObject handed to the SDK's HTTP handler (SDK middleware, signing done)
//   s3Head     GetObject's response headers (the handler resolved)
//   sdkChunk   the first body bytes in the SDK's stream (already buffered when s3Head came, or its first push)
//   outChunk   the first chunk out of the stream piped into the response (resumable()'s wrapper)
//   head       res.writeHead
//   sockWrite  the first write on the client socket (status line, headers, first bytes)
// GET /__ttfb/<probe id> answers the arrival (hrtime, ns) and marks of the request that sent `X-Probe-Id: <probe id>`;
// GET /__ttfb/nodelay counts responses by TCP_NODELAY of their sockets (client side, S3 side) and the distinct S3 sockets used.
// S3 settings from the S3_* env; TTFB_KEY names the object. Prints {"port":N,"pid":N}; exits with its parent.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import express from 'express';
import { createStationFiles, fileHandler } from '../../lib';
import { s3Storage } from '../../lib/entry/s3';
import { announce, exitWithParent } from './lib/rss';
import { benchS3Client } from './lib/s3env';

type Marks = Record<string, number>;
interface Probe {
  t0: bigint;
  marks: Marks;
}

const als = new AsyncLocalStorage<Probe>();
const probes = new Map<string, Probe>();
/** Sockets seen per side and TCP_NODELAY state: `app:true`, `s3:false`, … */
const noDelay: Record<string, number> = {};
const s3Sockets = new WeakSet<net.Socket>();

function mark(p: Probe | undefined, name: string): void {
  if (p && p.marks[name] === undefined) p.marks[name] = Number(process.hrtime.bigint() - p.t0) / 1e6;
}

/** Whether Nagle is off on a socket (Node keeps it in a symbol until the handle exists, then sets it there). */
function noDelayOf(socket: net.Socket | null | undefined): boolean | null {
  if (!socket) return null;
  const sym = Object.getOwnPropertySymbols(socket).find((x) => x.description === 'kSetNoDelay');
  return sym ? Boolean((socket as unknown as Record<symbol, unknown>)[sym]) : null;
}

function countNoDelay(side: 'app' | 's3', socket: net.Socket | null | undefined): void {
  const key = `${side}:${String(noDelayOf(socket))}`;
  noDelay[key] = (noDelay[key] ?? 0) + 1;
  if (side === 's3' && socket && !s3Sockets.has(socket)) {
    s3Sockets.add(socket);
    noDelay['s3:distinct sockets'] = (noDelay['s3:distinct sockets'] ?? 0) + 1;
  }
}

interface HandlerLike {
  handle(request: unknown, options?: unknown): Promise<{ response: { body: unknown } }>;
}

/** Wraps the S3 client: send() called, GetObject handed to the HTTP handler, headers back, first body bytes. */
function instrumentClient(client: S3Client): void {
  const send = client.send.bind(client) as (...args: unknown[]) => Promise<unknown>;
  client.send = ((...args: unknown[]) => {
    mark(als.getStore(), 'send');
    return send(...args);
  }) as typeof client.send;
  const handler = client.config.requestHandler as unknown as HandlerLike;
  const handle = handler.handle.bind(handler);
  handler.handle = async (request, options) => {
    const p = als.getStore();
    mark(p, 'sent');
    const out = await handle(request, options);
    mark(p, 's3Head');
    const body = out.response.body as Readable & { socket?: net.Socket };
    countNoDelay('s3', body.socket);
    if (body.readableLength > 0) mark(p, 'sdkChunk');
    else {
      const push = body.push.bind(body);
      body.push = (chunk: unknown, encoding?: BufferEncoding) => {
        if (chunk) mark(p, 'sdkChunk');
        return push(chunk, encoding);
      };
    }
    return out;
  };
}

/** Marks the response's own steps: the source piped in, writeHead, the first socket write. */
function instrumentResponse(p: Probe, res: ServerResponse): void {
  res.once('pipe', (src: Readable) => src.once('data', () => mark(p, 'outChunk')));
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  res.writeHead = ((...args: unknown[]) => {
    mark(p, 'head');
    return writeHead(...args);
  }) as typeof res.writeHead;
  const socket = res.socket;
  countNoDelay('app', socket);
  if (!socket) return;
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  socket.write = ((...args: unknown[]) => {
    mark(p, 'sockWrite');
    return write(...args);
  }) as typeof socket.write;
  res.once('finish', () => {
    socket.write = write as typeof socket.write;
  });
}

function probeMiddleware(req: IncomingMessage, res: ServerResponse, next: () => void): void {
  const id = req.headers['x-probe-id'];
  if (typeof id !== 'string') return next();
  const p: Probe = { t0: process.hrtime.bigint(), marks: {} };
  probes.set(id, p);
  if (probes.size > 1000) probes.delete(probes.keys().next().value as string);
  instrumentResponse(p, res);
  als.run(p, next);
}

async function main(): Promise<void> {
  exitWithParent();
  const client = benchS3Client();
  instrumentClient(client);
  const bucket = process.env.S3_BUCKET ?? 'station-files-bench';
  const key = process.env.TTFB_KEY ?? 'ttfb.bin';
  const s3 = s3Storage({ client, bucket, delivery: 'stream' });
  const files = createStationFiles<{ id: string }>({
    authenticate: (req, _res, next) => {
      (req as IncomingMessage & { user?: unknown }).user = { id: 'u' };
      next();
    },
    authorize: () => true,
    storages: { s3 },
    catalog: { mediaFile: () => ({ station: 'alpha', storage: 's3', key, filename: 'recording.mp3' }) },
  });
  const app = express();
  app.disable('x-powered-by');
  app.get('/__ttfb/nodelay', (_req, res) => void res.json(noDelay));
  app.get('/__ttfb/:id', (req, res) => {
    const p = probes.get(req.params.id);
    res.json(p ? { t0: String(p.t0), marks: p.marks } : null);
  });
  app.use(probeMiddleware);
  app.use('/lib', files.media());
  app.get('/bare', fileHandler({ resolve: () => ({ storage: s3, key }) }));
  const server = app.listen(0, '127.0.0.1', () => announce((server.address() as AddressInfo).port));
}

void main();
