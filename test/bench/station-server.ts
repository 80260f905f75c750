// The whole library in its own process, as a host panel mounts it: createStationFiles routers
// (media() or podcasts()) with passport authentication (an X-API-Key strategy, as in
// test/support/panel-app.ts), staticPermissions, and an onDownload sink per mount (none, a no-op
// function, or jsonLinesLog to a file); optionally a bare fileHandler over the same storage objects
// (no access control, no log), and the RSS sampler under /__bench/.
//
// BENCH_STATION (JSON): a StationServerSpec (lib/storages.ts). One user, key `bench-key`, may use
// `media` and `podcasts` on station "alpha"; the catalog answers every id in `files` for station
// "alpha" (episodes published). Prints {"port":N,"pid":N} on stdout once listening; exits when its
// stdin closes.
import type { AddressInfo } from 'node:net';
import express from 'express';
import passport from 'passport';
import { createNginxReports, createStationFiles, fileHandler, jsonLinesLog, staticPermissions, type DownloadSink, type FileRef } from '../../lib';
import { ApiKeyStrategy } from '../support/passport-strategies';
import { announce, exitWithParent, startRssSampler } from './lib/rss';
import { BENCH_API_KEY, BENCH_STATION, buildStorages, type StationServerSpec } from './lib/storages';

interface BenchUser {
  id: string;
  name: string;
}

function main(): void {
  exitWithParent();
  const spec = JSON.parse(process.env.BENCH_STATION ?? '{}') as StationServerSpec;
  if (!spec.storages || !spec.files || !Array.isArray(spec.mounts)) throw new Error('station-server.ts: BENCH_STATION must name storages, files and mounts');
  const { storages } = buildStorages({ storages: spec.storages });
  const sampler = startRssSampler();

  const user: BenchUser = { id: 'u-bench', name: 'Bench User' };
  const auth = new passport.Passport();
  auth.use(new ApiKeyStrategy((key) => (key === BENCH_API_KEY ? user : undefined)));
  const authorize = staticPermissions<BenchUser>({ [user.id]: { stations: { [BENCH_STATION]: ['media', 'podcasts'] } } }, (u) => u.id);
  const ref = (id: string): FileRef | null => {
    const f = Object.hasOwn(spec.files, id) ? spec.files[id] : undefined;
    return f ? { station: BENCH_STATION, storage: f.storage, key: f.key, filename: f.filename, public: true } : null;
  };
  const onError = (err: Error): void => {
    process.stderr.write(`station-server: ${err.message}\n`);
  };

  const reports = spec.reports ? createNginxReports({ ...spec.reports, onError }) : undefined;
  const app = express();
  app.disable('x-powered-by');
  app.use((req, res, next) => {
    if (!sampler.handle(req, res)) next();
  });
  // The receiver's counters (reported, timedOut, …), for scenarios that check every hand-off was reported.
  app.get('/__bench/reports', (_req, res) => void res.json(reports?.stats() ?? null));
  for (const mount of spec.mounts) {
    let onDownload: DownloadSink | undefined;
    if (mount.log === 'noop') onDownload = () => undefined;
    if (mount.log === 'jsonl') {
      if (!spec.logFile) throw new Error('station-server.ts: a jsonl mount needs logFile');
      onDownload = jsonLinesLog(spec.logFile, { onError });
    }
    const files = createStationFiles<BenchUser>({
      authenticate: auth.authenticate('api-key', { session: false }),
      authorize,
      storages,
      catalog: { mediaFile: ({ id }) => ref(id), episode: ({ episode }) => ref(episode) },
      ...(onDownload ? { onDownload } : {}),
      ...(mount.reports && reports ? { nginxReports: reports } : {}),
      ...(mount.noPublicRateLimit ? { publicRateLimit: false as const } : {}),
      onError,
    });
    app.use(mount.at, auth.initialize(), mount.router === 'media' ? files.media() : files.podcasts());
  }
  if (spec.bare) {
    app.get(
      `${spec.bare}/:storage/*key`,
      fileHandler({
        resolve: (req) => {
          const name = String(req.params.storage);
          const storage = Object.hasOwn(storages, name) ? storages[name] : undefined;
          const segments = req.params.key as unknown as string[];
          if (!storage || !Array.isArray(segments)) return null;
          return { storage, key: segments.join('/') };
        },
      }),
    );
  }
  const server = app.listen(0, '127.0.0.1', () => announce((server.address() as AddressInfo).port));
}

main();
