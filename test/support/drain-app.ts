// An app process for the drain tests: public episodes from one folder, handed to nginx
// (X-Accel-Redirect, slowed by X-Accel-Limit-Rate), events to a JSON lines file. On SIGTERM it
// follows the README's shutdown pattern: server.close(), files.close({ deadlineMs }), exit 0.
// Env: PORT, ROOT, LOG, LIMIT_RATE (bytes/s), DEADLINE_MS. Prints "ready" once listening.
import express from 'express';
import { createStationFiles, jsonLinesLog, localStorage } from '../../lib';

const env = (name: string): string =>
  process.env[name] ??
  (() => {
    throw new Error(`drain-app: ${name} is not set`);
  })();

const files = createStationFiles({
  authorize: () => false,
  storages: { disk: localStorage({ root: env('ROOT'), accelPrefix: '/_station_files/disk' }) },
  catalog: { episode: ({ episode }) => ({ station: 'alpha', storage: 'disk', key: `${episode}.mp3`, filename: `${episode}.mp3`, public: true }) },
  responses: { accel: { limitRate: Number(env('LIMIT_RATE')) } },
  onDownload: jsonLinesLog(env('LOG')),
});
const app = express();
app.use(files.podcasts());
const server = app.listen(Number(env('PORT')), '127.0.0.1', () => process.stdout.write('ready\n'));

process.once('SIGTERM', async () => {
  server.close();
  await files.close({ deadlineMs: Number(env('DEADLINE_MS')) });
  process.exit(0);
});
