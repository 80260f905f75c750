// The server under test of the load-* reliability tests, in its own process (started by
// startLoadServer in load-kit.ts), so its RSS, file descriptors and S3 sockets are its own.
// Serves `/local/<key>` (localStorage) and `/s3/<key>` (s3Storage on createTestS3Client's agent,
// behind the socket gate createS3Client gives its clients, so crowded pools behave as in
// production) through fileHandler, stream mode, and records every DeliveryResult.
//
// LOAD_SERVER (JSON): { "localRoot": "<dir>", "s3Prefix": "<prefix/>", "maxSockets"?: 50, "sendTimeoutMs"?: 60000,
//   "resume"?: ResumeOptions for the S3 storage }; S3 from S3_* env.
//   GET  /__stats    LoadStats: rss, heapUsed, fds, S3 agent sockets and requests waiting for one, results by outcome, peak RSS
//   GET  /__results  Results: the URL of every request that reached Express, and every DeliveryResult,
//                    since the last reset
//   POST /__gc       global.gc(), then the stats
//   POST /__reset    GC, forget results, and take a new RSS baseline (peak restarts from it)
import { readdirSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import express from 'express';
import { fileHandler, localStorage, type Storage } from '../../../lib';
import { s3Storage } from '../../../lib/entry/s3';
import type { ResumeOptions } from '../../../lib/storage/resume';
import { announce, exitWithParent, startRssSampler } from '../../bench/lib/rss';
import { createTestS3Client, s3TestConfig } from '../../support/s3';
import type { LoadStats, ResultRecord, Results } from './load-kit';

interface Spec {
  localRoot: string;
  s3Prefix: string;
  maxSockets?: number;
  sendTimeoutMs?: number;
  resume?: ResumeOptions;
}

function main(): void {
  exitWithParent();
  const spec = JSON.parse(process.env.LOAD_SERVER ?? '{}') as Spec;
  const { client, agent, gate } = createTestS3Client({ maxSockets: spec.maxSockets ?? 50, gated: true });
  const storages: Record<string, Storage> = {
    local: localStorage({ root: spec.localRoot }),
    s3: s3Storage({ client, bucket: s3TestConfig().bucket, prefix: spec.s3Prefix, resume: spec.resume }),
  };
  const sampler = startRssSampler();
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  let results: ResultRecord[] = [];
  let arrived: string[] = [];
  let outcomes: Record<string, number> = {};
  let bytesSent: Record<string, number> = {};
  const count = (group: Record<string, unknown[] | undefined>): number => Object.values(group).reduce((n, list) => n + (list?.length ?? 0), 0);

  const stats = (): LoadStats => {
    const mem = process.memoryUsage();
    const cpu = process.cpuUsage();
    return {
      rss: mem.rss,
      heapUsed: mem.heapUsed,
      external: mem.external,
      arrayBuffers: mem.arrayBuffers,
      fds: readdirSync('/proc/self/fd').length,
      s3: { busy: count(agent.sockets), free: count(agent.freeSockets), queued: count(agent.requests) + (gate?.waiting ?? 0) },
      outcomes: { ...outcomes },
      bytesSent: { ...bytesSent },
      results: results.length,
      arrived: arrived.length,
      memory: sampler.report(),
      cpuMs: (cpu.user + cpu.system) / 1000,
      loopDelayMs: { p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 },
    };
  };
  const send = (res: ServerResponse, body: unknown): void => {
    const json = JSON.stringify(body);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json) });
    res.end(json);
  };
  const gc = async (): Promise<void> => {
    globalThis.gc?.();
    await new Promise((r) => setTimeout(r, 100));
    globalThis.gc?.();
  };
  const control: Record<string, (req: IncomingMessage, res: ServerResponse) => Promise<void> | void> = {
    'GET /__stats': (_req, res) => send(res, stats()),
    'GET /__results': (_req, res) => send(res, { arrived, results } satisfies Results),
    'POST /__gc': async (_req, res) => {
      await gc();
      send(res, stats());
    },
    'POST /__reset': async (_req, res) => {
      results = [];
      arrived = [];
      outcomes = {};
      bytesSent = {};
      await gc();
      await sampler.reset();
      loopDelay.reset();
      send(res, stats());
    },
  };

  const app = express();
  app.disable('x-powered-by');
  app.use((req, res, next) => {
    const handler = control[`${req.method} ${req.path}`];
    if (!handler) {
      arrived.push(req.originalUrl);
      return next();
    }
    req.resume();
    void Promise.resolve(handler(req, res)).catch(next);
  });
  app.all(
    '/:storage/*key',
    fileHandler({
      sendTimeoutMs: spec.sendTimeoutMs,
      resolve: (req) => {
        const storage = storages[String(req.params.storage)];
        const segments = req.params.key as unknown as string[];
        if (!storage || !Array.isArray(segments)) return null;
        return { storage, key: segments.join('/') };
      },
      onResult: (result, req) => {
        const { outcome } = result;
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        bytesSent[outcome] = (bytesSent[outcome] ?? 0) + (result.bytesSent ?? 0);
        results.push({
          url: req.originalUrl,
          method: req.method,
          outcome,
          status: result.status,
          delivery: result.delivery,
          bytesSent: result.bytesSent,
          size: result.size,
          error: result.error?.message,
          reason: result.reason,
          finished: req.res?.writableFinished ?? false,
        });
      },
    }),
  );
  const server = app.listen(0, '127.0.0.1', () => announce((server.address() as AddressInfo).port));
}

main();
