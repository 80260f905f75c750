// A panel behind a real nginx with download reports on: createNginxReports on a free loopback UDP
// port, createStationFiles' podcast routes (public enclosures) over a local and an S3 storage in
// accel mode (a second mount under /slow with X-Accel-Limit-Rate), and nginx from nginxConfig().
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createNginxReports, createStationFiles, localStorage, nginxConfig, type DownloadEvent, type NginxReports, type Storage } from '../../lib';
import { freePort, startNginx, type NginxInstance } from './nginx';

export const REPORT_SECRET = 'test-report-secret-0123456789';

/** What the catalog serves: episode id → storage and key. */
export interface StackFile {
  episode: string;
  storage: 'disk' | 's3';
  key: string;
}

export interface StackOptions {
  localRoot: string;
  /** The S3 accel storage (s3Storage({ …, accel: {} })); none: local files only. */
  s3?: Storage;
  files: StackFile[];
  /** X-Accel-Limit-Rate of the /slow mount, bytes/s. @default 1 MiB/s */
  slowRate?: number;
  /** nginx workers. @default 1 */
  workers?: number;
  /** Send nginx's reports to this port instead of the receiver's (a dead port). */
  reportPort?: number;
  timeoutMs?: number;
  maxPending?: number;
  accessLogFormat?: string;
}

export interface ReportStack {
  nginx: NginxInstance;
  reports: NginxReports;
  events: DownloadEvent[];
  /** Public enclosure URL of an episode, through nginx (`slow`: the rate-limited mount). */
  url(episode: string, slow?: boolean): string;
  /** Resolves with the event of `id` once emitted (polls; rejects after `ms`). */
  eventOf(id: string, ms?: number): Promise<DownloadEvent>;
  stop(): Promise<void>;
}

export async function startReportStack(o: StackOptions): Promise<ReportStack> {
  const reports = createNginxReports({ listen: '127.0.0.1:0', secret: REPORT_SECRET, timeoutMs: o.timeoutMs, maxPending: o.maxPending });
  const { port: receiverPort } = await reports.listening();
  const storages: Record<string, Storage> = { disk: localStorage({ root: o.localRoot, accelPrefix: '/_station_files/disk' }) };
  if (o.s3) storages.s3 = o.s3;
  const events: DownloadEvent[] = [];
  const byEpisode = new Map(o.files.map((f) => [f.episode, f]));
  const mount = (limitRate?: number) =>
    createStationFiles({
      authorize: () => false,
      storages,
      catalog: {
        episode: ({ episode }) => {
          const f = byEpisode.get(episode);
          return f ? { station: 'alpha', storage: f.storage, key: f.key, filename: f.key, public: true } : null;
        },
      },
      responses: limitRate ? { accel: { limitRate } } : {},
      publicRateLimit: false,
      trustProxy: 'loopback',
      onDownload: (e) => void events.push(e),
      nginxReports: reports,
    }).podcasts();
  const app = express();
  app.use('/slow', mount(o.slowRate ?? 1024 * 1024));
  app.use(mount());
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const port = await freePort();
  const appPort = (server.address() as AddressInfo).port;
  const config = await nginxConfig({
    listen: `127.0.0.1:${port}`,
    app: `127.0.0.1:${appPort}`,
    storages,
    report: { address: `127.0.0.1:${o.reportPort ?? receiverPort}`, secret: REPORT_SECRET },
  });
  const nginx = await startNginx({ listenPort: port, config, workers: o.workers, accessLogFormat: o.accessLogFormat });
  return {
    nginx,
    reports,
    events,
    url: (episode, slow = false) => `${nginx.url}${slow ? '/slow' : ''}/station/alpha/public/podcast/7/episode/${episode}/download.bin`,
    eventOf: async (id, ms = 10_000) => {
      const deadline = Date.now() + ms;
      for (;;) {
        const e = events.find((x) => x.id === id);
        if (e) return e;
        if (Date.now() > deadline) throw new Error(`no event for ${id} after ${ms} ms (${events.length} events)`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    stop: async () => {
      await nginx.stop();
      await reports.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
