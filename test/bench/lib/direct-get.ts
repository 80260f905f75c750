// The direct-client baseline: a GetObject read in the runner process by a client of the same
// config as the library's, with the figures the scenarios compare against (time to first
// body byte, total time, bytes, optional sha256), optionally stopping after the first chunk.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';

export interface DirectGet {
  status: number;
  bytes: number;
  ms: number;
  ttfbMs: number;
  /** false when `firstOnly` stopped the read (which destroys the body and its socket). */
  complete: boolean;
  firstChunk?: Buffer;
  sha256?: string;
}

export async function directGet(
  client: S3Client,
  bucket: string,
  key: string,
  opts: { range?: string; hash?: boolean; firstOnly?: boolean } = {},
): Promise<DirectGet> {
  const t0 = performance.now();
  const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: opts.range }));
  if (!(out.Body instanceof Readable)) throw new Error('GetObject gave no Node stream');
  const h = opts.hash ? createHash('sha256') : undefined;
  let bytes = 0;
  let ttfbMs = Number.NaN;
  let firstChunk: Buffer | undefined;
  let complete = true;
  for await (const chunk of out.Body) {
    const c = chunk as Buffer;
    if (firstChunk === undefined) {
      ttfbMs = performance.now() - t0;
      firstChunk = c;
      if (opts.firstOnly) {
        complete = false;
        break;
      }
    }
    bytes += c.length;
    h?.update(c);
  }
  return { status: out.$metadata.httpStatusCode ?? 0, bytes, ms: performance.now() - t0, ttfbMs, complete, firstChunk, sha256: h?.digest('hex') };
}
