// Raw HTTP client helpers over node:http (not fetch): exact headers, and whether a body ended cleanly
// or was cut short (premature close, reset, length mismatch) -- which fetch hides or turns into throws.
import { createHash } from 'node:crypto';
import http from 'node:http';

export interface RequestOptions {
  method?: string; // GET
  headers?: http.OutgoingHttpHeaders;
  body?: string | Buffer;
  agent?: http.Agent | false; // false (default): a fresh connection per request
  timeoutMs?: number; // socket idle timeout, 30 s default; on expiry the response counts as incomplete
}

interface BaseResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** true only if the whole response body arrived and the message ended properly */
  complete: boolean;
  /** the error that cut the response short, if any */
  error?: Error;
}
export interface FullResult extends BaseResult {
  body: Buffer;
}
export interface HashResult extends BaseResult {
  sha256: string;
  bytes: number;
}
export interface AbortResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  bytes: number;
  complete: boolean;
}

/**
 * Sends a request; calls onData for each body chunk (return true to stop and destroy the request).
 * Rejects only if no response head arrives; body failures are reported via complete/error.
 */
function exchange(url: string, opts: RequestOptions, onData: (chunk: Buffer) => boolean | void): Promise<BaseResult> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: opts.method ?? 'GET',
      headers: opts.headers,
      agent: opts.agent ?? false,
      timeout: opts.timeoutMs ?? 30_000,
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${opts.timeoutMs ?? 30_000} ms of inactivity`)));
    let error: Error | undefined;
    let responded = false;
    req.on('error', (e) => {
      // before a response head: reject; afterwards: an incomplete body
      if (responded) error ??= e;
      else reject(e);
    });
    req.on('response', (res) => {
      responded = true;
      res.on('error', (e) => {
        error ??= e;
      });
      res.on('data', (chunk: Buffer) => {
        if (onData(chunk) === true) req.destroy();
      });
      res.on('close', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, complete: res.complete && !error, error });
      });
    });
    req.end(opts.body);
  });
}

/** Request collecting the whole body. */
export async function request(url: string, opts: RequestOptions = {}): Promise<FullResult> {
  const chunks: Buffer[] = [];
  const r = await exchange(url, opts, (c) => {
    chunks.push(c);
  });
  return { ...r, body: Buffer.concat(chunks) };
}

/** Request hashing the body as it streams (nothing buffered: fine for 64 MiB+ bodies). */
export async function requestHash(url: string, opts: RequestOptions = {}): Promise<HashResult> {
  const hash = createHash('sha256');
  let bytes = 0;
  const r = await exchange(url, opts, (c) => {
    hash.update(c);
    bytes += c.length;
  });
  return { ...r, sha256: hash.digest('hex'), bytes };
}

/** Request destroyed by the client once at least `abortAfter` body bytes arrived (simulates a client going away). */
export async function requestAbortAfter(url: string, abortAfter: number, opts: RequestOptions = {}): Promise<AbortResult> {
  let bytes = 0;
  const r = await exchange(url, opts, (c) => {
    bytes += c.length;
    return bytes >= abortAfter;
  });
  return { status: r.status, headers: r.headers, bytes, complete: r.complete };
}
