// The server under test, in its own process: an Express app serving `/<storage>/<key>` through
// fileHandler (like test/support/file-app.ts, without its per-request result log), optionally
// express.static under /__static/ (the local-stream baseline), a bare GetObject → pipeline(Body, res)
// under /__pipe/<object key> (what a Node hop costs without the library), the same object through
// Node's fetch (undici) of a presigned URL under /__fetch/<object key> (the HTTP client the issue
// asked to compare), and the RSS sampler under /__bench/.
//
// BENCH_SERVER (JSON): a ServerSpec (lib/storages.ts): { "storages": { "<name>": StorageSpec },
//   "staticRoot"?: "<dir>", "pipe"?: true }; S3 settings from the S3_* env (see test/support/s3.ts).
// Prints {"port":N,"pid":N} on stdout once listening; exits when its stdin closes.
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import express from 'express';
import { fileHandler } from '../../lib';
import { announce, exitWithParent, startRssSampler } from './lib/rss';
import { benchS3Client } from './lib/s3env';
import { buildStorages, type ServerSpec } from './lib/storages';

const BUCKET = process.env.S3_BUCKET ?? 'station-files-bench';

/** GetObject through undici (Node's fetch) of a presigned URL, piped to `res`: no AWS SDK on the body's path. */
async function fetchPipe(client: S3Client, key: string[], res: express.Response): Promise<void> {
  try {
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: BUCKET, Key: key.join('/') }), { expiresIn: 300 });
    const got = await fetch(url);
    if (!got.ok || !got.body) throw new Error(`fetch: ${got.status}`);
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': got.headers.get('content-length') ?? '' });
    await pipeline(Readable.fromWeb(got.body as import('node:stream/web').ReadableStream), res);
  } catch (err) {
    process.stderr.write(`server: /__fetch: ${err instanceof Error ? err.message : String(err)}\n`);
    res.destroy();
  }
}

function main(): void {
  exitWithParent();
  const spec = JSON.parse(process.env.BENCH_SERVER ?? '{}') as ServerSpec;
  if (!spec.storages || typeof spec.storages !== 'object') throw new Error('server.ts: BENCH_SERVER must name storages');
  const { storages } = buildStorages(spec);
  const sampler = startRssSampler();
  const app = express();
  app.disable('x-powered-by');
  app.use((req, res, next) => {
    if (!sampler.handle(req, res)) next();
  });
  if (spec.staticRoot) app.use('/__static', express.static(spec.staticRoot));
  if (spec.pipe) {
    const client = benchS3Client();
    app.get('/__fetch/*key', (req, res) => void fetchPipe(client, req.params.key as unknown as string[], res));
    app.get('/__pipe/*key', (req, res) => {
      const Key = (req.params.key as unknown as string[]).join('/');
      void (async () => {
        const out = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key }));
        if (!(out.Body instanceof Readable)) throw new Error('no Node stream');
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(out.ContentLength) });
        await pipeline(out.Body, res);
      })().catch((err: unknown) => {
        process.stderr.write(`server: /__pipe: ${err instanceof Error ? err.message : String(err)}\n`);
        res.destroy();
      });
    });
  }
  app.all(
    '/:storage/*key',
    fileHandler({
      resolve: (req) => {
        const storage = storages[String(req.params.storage)];
        const segments = req.params.key as unknown as string[];
        if (!storage || !Array.isArray(segments)) return null;
        return { storage, key: segments.join('/') };
      },
      onResult: (result) => {
        const k = `${result.outcome}/${result.delivery ?? '-'}`;
        sampler.outcomes[k] = (sampler.outcomes[k] ?? 0) + 1;
        if (result.outcome === 'failed') process.stderr.write(`server: ${result.status} ${result.error?.message ?? ''}\n`);
      },
    }),
  );
  const server = app.listen(0, '127.0.0.1', () => announce((server.address() as AddressInfo).port));
}

main();
