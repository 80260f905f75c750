// A paced HTTP client for fault tests: reads a response body at a chosen pace (a pause after each
// chunk, changeable while it runs), hashing it, and reports whether the body ended cleanly.
import { createHash } from 'node:crypto';
import http from 'node:http';

export interface Pace {
  /** Pause after each body chunk, in ms; 0 reads at full speed. Read again after every chunk. */
  delayMs: number;
}

export interface PacedResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  bytes: number;
  /** true only when the whole body arrived and the message ended properly. */
  complete: boolean;
  sha256: string;
  /** The body, when `keep` was set. */
  body?: Buffer;
  /** When the response was over (performance.now()). */
  endedAt: number;
}

export interface PacedOptions {
  pace?: Pace;
  headers?: http.OutgoingHttpHeaders;
  keep?: boolean;
  /** Called with the byte count after each chunk. */
  onProgress?: (bytes: number) => void;
  /** Socket idle timeout; on expiry the response counts as incomplete. @default 60000 */
  timeoutMs?: number;
}

/** GETs `url` on a fresh connection, reading at `pace`. Rejects only when no response head arrives. */
export function pacedGet(url: string, opts: PacedOptions = {}): Promise<PacedResult> {
  const pace = opts.pace ?? { delayMs: 0 };
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, headers: opts.headers, timeout: opts.timeoutMs ?? 60_000 });
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    let responded = false;
    let failed = false;
    req.on('error', (err) => {
      failed = true;
      if (!responded) reject(err);
    });
    req.on('response', (res) => {
      responded = true;
      const hash = createHash('sha256');
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        if (opts.keep) chunks.push(chunk);
        bytes += chunk.length;
        opts.onProgress?.(bytes);
        if (pace.delayMs > 0) {
          res.pause();
          setTimeout(() => res.resume(), pace.delayMs);
        }
      });
      res.on('error', () => {
        failed = true;
      });
      res.on('close', () => {
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          bytes,
          complete: res.complete && !failed,
          sha256: hash.digest('hex'),
          ...(opts.keep ? { body: Buffer.concat(chunks) } : {}),
          endedAt: performance.now(),
        });
      });
    });
  });
}

/** Resolves once `check()` is true (polling every 10 ms); rejects after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
