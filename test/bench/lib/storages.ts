// Storages described as JSON (so the parent can hand them to a child server), built with the
// library's own constructors and the bench S3 client config.
import type { S3Client } from '@aws-sdk/client-s3';
import { localStorage, type Storage } from '../../../lib';
import { s3Storage } from '../../../lib/entry/s3';
import { benchS3Client } from './s3env';

/** `headCacheMs`: s3Storage's `headCache.ms` (absent: its default). */
export type StorageSpec = { kind: 'local'; root: string; accelPrefix?: string } | { kind: 's3'; prefix?: string; accel?: boolean; headCacheMs?: number };

export interface ServerSpec {
  storages: Record<string, StorageSpec>;
  /** Serve this directory with express.static under /__static/. */
  staticRoot?: string;
  /** Serve /__pipe/<object key>: GetObject piped to the response, nothing else. */
  pipe?: boolean;
}

/** The station server's one user's API key (X-API-Key), and its station. */
export const BENCH_API_KEY = 'bench-key';
export const BENCH_STATION = 'alpha';

/** A file the station server's catalog knows (station "alpha"; episodes of podcast "p1", published). */
export interface CatalogFile {
  storage: string;
  key: string;
  filename: string;
}

/** How station-server.ts wires createStationFiles (see that file). */
export interface StationServerSpec {
  storages: Record<string, StorageSpec>;
  /** Catalog entries by id: media ids (media()) and episode ids (podcasts()) alike. */
  files: Record<string, CatalogFile>;
  /**
   * One createStationFiles instance per entry, its router mounted at `at`. Every instance
   * authenticates with passport (X-API-Key strategy) and authorizes with staticPermissions;
   * `log` picks its onDownload sink: none, a no-op function, or jsonLinesLog(`logFile`).
   */
  mounts: {
    at: string;
    router: 'media' | 'podcasts';
    log: 'none' | 'noop' | 'jsonl';
    /** Hand-off events wait for nginx's report (the server's one createNginxReports, see `reports`). */
    reports?: boolean;
    /** createStationFiles' publicRateLimit: false (load tests of the public enclosure route). */
    noPublicRateLimit?: boolean;
  }[];
  /** createNginxReports' listen and secret, for the mounts with `reports`. */
  reports?: { listen: string; secret: string };
  /** File for the jsonLinesLog sinks (one sink per mount). */
  logFile?: string;
  /** Mount a bare fileHandler (no access control, no log) at `<bare>/<storage>/<key>`. */
  bare?: string;
}

/** Builds the storages of `spec`; `client` is the S3 client they share (undefined without S3). */
export function buildStorages(spec: ServerSpec): { storages: Record<string, Storage>; client?: S3Client } {
  const storages: Record<string, Storage> = {};
  let client: S3Client | undefined;
  for (const [name, s] of Object.entries(spec.storages)) {
    if (s.kind === 'local') {
      storages[name] = localStorage({ root: s.root, accelPrefix: s.accelPrefix });
    } else {
      client ??= benchS3Client();
      const bucket = process.env.S3_BUCKET ?? 'station-files-bench';
      const headCache = s.headCacheMs === undefined ? undefined : { ms: s.headCacheMs };
      storages[name] = s3Storage({ client, bucket, prefix: s.prefix, accel: s.accel ? {} : undefined, headCache });
    }
  }
  return { storages, client };
}
