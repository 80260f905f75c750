// A comparison arm: the npm package `s3proxy` (2.0.1, the last release that runs on Node 20; a
// devDependency) mounted in Express the way its README shows: `new S3Proxy({ bucket, ...S3Client
// options })`, `await proxy.init()` (a HeadBucket health check), then per request
// `(await proxy.get(req, res)).on('error', () => res.end()).pipe(res)` (and `proxy.head` for HEAD).
// s3proxy passes every constructor option but `bucket` to `new S3Client(...)`, so the endpoint,
// path style and credentials of the other arms go in there (S3_* env, test/support/s3.ts), with the
// same checksum settings as the library's client (lib/storage/s3-client.ts); its HTTP handler is
// the SDK's default (keep-alive, 50 sockets, as the library's pool). It forwards the Range header
// to GetObject and answers with S3's status and response headers as they are.
// Own process, same RSS sampler as server.ts. GET /<object key> (bucket: S3_BUCKET).
// Prints {"port":N,"pid":N} on stdout once listening; exits when its stdin closes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import express from 'express';
import { s3ClientSettings } from '../support/s3';
import { announce, exitWithParent, startRssSampler } from './lib/rss';

/** The part of s3proxy's (untyped, CommonJS) API used here. */
interface S3ProxyInstance {
  init(): Promise<void>;
  get(req: IncomingMessage, res: ServerResponse): Promise<Readable>;
  head(req: IncomingMessage, res: ServerResponse): Promise<Readable>;
}
type S3ProxyClass = new (options: S3ClientConfig & { bucket: string }) => S3ProxyInstance;

async function main(): Promise<void> {
  exitWithParent();
  // The package ships no types: require it and type the part used.
  const S3Proxy = require('s3proxy') as S3ProxyClass;
  const proxy = new S3Proxy({ bucket: process.env.S3_BUCKET ?? 'station-files-bench', ...s3ClientSettings() });
  await proxy.init();

  const sampler = startRssSampler();
  const app = express();
  app.disable('x-powered-by');
  app.use((req, res, next) => {
    if (!sampler.handle(req, res)) next();
  });
  app
    .route('/*key')
    .head(async (req, res) => {
      await proxy.head(req, res);
      res.end();
    })
    .get(async (req, res) => {
      (await proxy.get(req, res))
        .on('error', (err: Error) => {
          process.stderr.write(`s3proxy-server: ${err.message}\n`);
          res.end();
        })
        .pipe(res);
    });
  const server = app.listen(0, '127.0.0.1', () => announce((server.address() as AddressInfo).port));
}

main().catch((err: unknown) => {
  process.stderr.write(`s3proxy-server: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
