// The baseline the library replaces: a naive S3 proxy that buffers the whole object before answering
// (GetObject → Body.transformToByteArray() → res.end(buffer)), as the PHP panels that ran out of
// memory did. Own process, same RSS sampler as server.ts. GET /<object key> (bucket: S3_BUCKET).
// Prints {"port":N,"pid":N} on stdout once listening; exits when its stdin closes.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { announce, exitWithParent, startRssSampler } from './lib/rss';
import { benchS3Client } from './lib/s3env';

function main(): void {
  exitWithParent();
  const client = benchS3Client();
  const bucket = process.env.S3_BUCKET ?? 'station-files-bench';
  const sampler = startRssSampler();
  const server = http.createServer((req, res) => {
    if (sampler.handle(req, res)) return;
    const key = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.slice(1));
    void (async () => {
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        if (!out.Body) throw new Error('no body');
        const bytes = await out.Body.transformToByteArray();
        res.writeHead(200, { 'Content-Type': out.ContentType ?? 'application/octet-stream', 'Content-Length': bytes.byteLength });
        res.end(bytes);
      } catch (err) {
        process.stderr.write(`buffering-proxy: ${err instanceof Error ? err.message : String(err)}\n`);
        if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' });
        res.end('Storage unavailable\n');
      }
    })();
  });
  server.listen(0, '127.0.0.1', () => announce((server.address() as AddressInfo).port));
}

main();
