// The fleet test's client: one request through nginx, every body byte compared with the file on
// disk, and a verdict on how it ended (complete, or cut: fewer bytes than announced).
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FleetFile } from './fleet-kit';

export interface Outcome {
  seq: number;
  kind: string;
  method: string;
  /** 0: no response head arrived (a connection error the client saw). */
  status: number;
  /** The app's X-Request-Id (the DownloadEvent id, the history row's id). */
  id: string | null;
  /** Body bytes the response announced (Content-Length; 0 for HEAD). */
  announced: number;
  bytes: number;
  /** Every announced byte arrived and the message ended properly. */
  complete: boolean;
  /** The message ended "properly" with fewer bytes than announced: must never happen. */
  cleanShort: boolean;
  /** A received byte differed from the file. */
  mismatch: boolean;
  error: string | null;
  startedAt: number;
}

export interface Pacing {
  /** Read nothing until this resolves. */
  hold?: Promise<void>;
  /** Read at most this many bytes per second. */
  bytesPerSecond?: number;
}

export interface Ask {
  seq: number;
  kind: string;
  method: 'GET' | 'HEAD';
  range?: string;
  file: FleetFile;
  key: string;
  agent?: http.Agent;
  pacing?: Pacing;
}

/** Where the body starts in the file: 0 for a 200, the Content-Range start for a 206. */
function bodyStart(res: http.IncomingMessage): number {
  const m = /^bytes (\d+)-\d+\/\d+$/.exec(String(res.headers['content-range'] ?? ''));
  return res.statusCode === 206 && m ? Number(m[1]) : 0;
}

function pace(res: http.IncomingMessage, pacing: Pacing | undefined, started: number, bytes: () => number): void {
  if (pacing?.hold) {
    res.pause();
    void pacing.hold.then(() => res.resume());
  }
  const rate = pacing?.bytesPerSecond;
  if (!rate) return;
  res.on('data', () => {
    const ahead = (bytes() / rate) * 1000 - (performance.now() - started);
    if (ahead <= 20) return;
    res.pause();
    void sleep(ahead).then(() => res.resume());
  });
}

/** Sends one request to `base` + the file's URL and reads the response to its end (never rejects). */
export function checkedRequest(base: string, ask: Ask, response?: (res: http.IncomingMessage) => void): Promise<Outcome> {
  const startedAt = performance.now();
  const out: Omit<Outcome, 'complete' | 'cleanShort' | 'error'> = {
    seq: ask.seq,
    kind: ask.kind,
    method: ask.method,
    status: 0,
    id: null,
    announced: 0,
    bytes: 0,
    mismatch: false,
    startedAt,
  };
  const headers: http.OutgoingHttpHeaders = { 'x-api-key': ask.key, 'x-test-seq': String(ask.seq), ...(ask.range ? { range: ask.range } : {}) };
  return new Promise((resolve) => {
    let done = false;
    const finish = (error: string | null, complete: boolean, cleanShort: boolean): void => {
      if (done) return;
      done = true;
      resolve({ ...out, complete, cleanShort, error });
    };
    const req = http.request(base + ask.file.url, { method: ask.method, headers, agent: ask.agent ?? false, timeout: 120_000 }, (res) => {
      out.status = res.statusCode ?? 0;
      out.id = typeof res.headers['x-request-id'] === 'string' ? res.headers['x-request-id'] : null;
      out.announced = ask.method === 'HEAD' ? 0 : Number(res.headers['content-length'] ?? -1);
      const start = bodyStart(res);
      response?.(res);
      res.on('data', (chunk: Buffer) => {
        const from = start + out.bytes;
        if (out.status < 300 && !chunk.equals(ask.file.bytes.subarray(from, from + chunk.length))) out.mismatch = true;
        out.bytes += chunk.length;
      });
      pace(res, ask.pacing, performance.now(), () => out.bytes);
      res.on('end', () => finish(null, res.complete && out.bytes === out.announced, res.complete && out.bytes < out.announced));
      res.on('error', (err) => finish(err.message, false, false));
      res.on('close', () => finish('closed before the end', false, false));
    });
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', (err) => finish(err.message, false, false));
    req.end();
  });
}
