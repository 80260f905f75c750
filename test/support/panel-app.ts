// A small radio admin panel that uses station-files like a real host app: local storage over a temp
// dir with deterministic files, two stations (alpha, bravo), an in-memory catalog, passport for real
// (express-session + cookie login, an X-API-Key strategy, a bearer strategy), staticPermissions,
// signed links, and every DownloadEvent recorded. Express 5 or Express 4 (`express4`) as the host.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import session from 'express-session';
import passport from 'passport';
import {
  createStationFiles,
  localStorage,
  staticPermissions,
  type DownloadEvent,
  type DownloadKind,
  type DownloadSink,
  type FileRef,
  type NewDownloadLimitOptions,
  type SignedTarget,
  type SigningKey,
  type StaticGrants,
  type StationFiles,
  type StationFilesOptions,
  type Storage,
} from '../../lib';
import { createUrlSigner } from '../../lib/entry/signing';
import { ApiKeyStrategy, BearerStrategy } from './passport-strategies';
import { deterministicRange } from './s3';

// Express 4 ships without types here; its app API is the subset of Express 5's these tests use.
const express4 = require('express4') as typeof express;

export interface PanelUser {
  id: string;
  name: string;
  apiKey: string;
  token: string;
}

const user = (id: string, name: string): PanelUser => ({ id, name, apiKey: `key-${id}`, token: `tok.${id}.0123456789` });
export const USERS = {
  globalAdmin: user('u-global', 'Gloria Global'),
  alphaAdmin: user('u-alpha-admin', 'Ada Alpha'),
  alphaDj: user('u-alpha-dj', 'Dee Jay'),
  alphaPodcaster: user('u-alpha-pod', 'Paula Podcast'),
  alphaMedia: user('u-alpha-media', 'Manu Media'),
  bravoDj: user('u-bravo-dj', 'Bruno Bravo'),
  nobody: user('u-nobody', 'Nora Nobody'),
} as const;

const GRANTS: StaticGrants = {
  [USERS.globalAdmin.id]: { globalAdmin: true },
  [USERS.alphaAdmin.id]: { stations: { alpha: ['administer all'] } },
  [USERS.alphaDj.id]: { stations: { alpha: ['streamers'] } },
  [USERS.alphaPodcaster.id]: { stations: { alpha: ['podcasts'] } },
  [USERS.alphaMedia.id]: { stations: { alpha: ['media'] } },
  [USERS.bravoDj.id]: { stations: { bravo: ['streamers'] } },
  [USERS.nobody.id]: {},
};

export const SIGNING_KEYS: SigningKey[] = [{ id: 'panel-2026', secret: 'panel signing secret: 0123456789abcdef0123456789abcdef!' }];

/** A deterministic file on disk: `storage` names the local storage, `key` the path under its root. */
export interface Fixture {
  storage: string;
  key: string;
  seed: string;
  size: number;
}
export const FIXTURES = {
  alphaRecording: { storage: 'recordings', key: 'alpha/2026-01-05 Morning Show.mp3', seed: 'alpha-rec', size: 300 * 1024 + 123 },
  bravoRecording: { storage: 'recordings', key: 'bravo/late night – live.mp3', seed: 'bravo-rec', size: 300 * 1024 + 77 },
  alphaMedia: { storage: 'media', key: 'alpha/Jingle Ünïcode 01.mp3', seed: 'alpha-media', size: 96 * 1024 + 5 },
  publishedEpisode: { storage: 'podcasts', key: 'alpha/Morning Talk/Épisode 1 – Café crème.mp3', seed: 'ep-1', size: 200 * 1024 + 9 },
  draftEpisode: { storage: 'podcasts', key: 'alpha/Morning Talk/Épisode 2 (brouillon).mp3', seed: 'ep-2', size: 180 * 1024 + 3 },
} satisfies Record<string, Fixture>;

/** The whole content of a fixture file. */
export const fixtureBytes = (f: Fixture): Buffer => deterministicRange(f.seed, f.size, 0, f.size - 1);

export const IDS = {
  alphaStreamer: 's1',
  alphaBroadcast: 'b101',
  bravoStreamer: 's9',
  bravoBroadcast: 'b201',
  alphaMedia: 'm11',
  podcast: 'p1',
  publishedEpisode: 'e1',
  draftEpisode: 'e2',
} as const;

/** Endpoint paths below the mount point (the library's defaults). */
export const PATHS = {
  recording: (station: string, streamer: string, broadcast: string) => `/station/${station}/streamer/${streamer}/broadcast/${broadcast}/download`,
  media: (station: string, id: string) => `/station/${station}/file/${id}/play`,
  episode: (station: string, podcast: string, episode: string) => `/station/${station}/podcast/${podcast}/episode/${episode}/media`,
  publicEpisode: (station: string, podcast: string, episode: string, ext = 'mp3') =>
    `/station/${station}/public/podcast/${podcast}/episode/${episode}/download.${ext}`,
};

/** Catalog rows: a file reference plus the ids the panel's database would check. */
export interface Row {
  station: string;
  storage: string;
  key: string;
  filename: string;
}
export interface PanelData {
  recordings: Map<string, Row & { streamer: string }>; // by broadcast id
  media: Map<string, Row>; // by media id
  episodes: Map<string, Row & { published: boolean }>; // by `${podcast}/${episode}`
}

const base = (f: Fixture, station: string): Row => ({ station, storage: f.storage, key: f.key, filename: path.posix.basename(f.key) });

function seedData(): PanelData {
  return {
    recordings: new Map([
      [IDS.alphaBroadcast, { ...base(FIXTURES.alphaRecording, 'alpha'), streamer: IDS.alphaStreamer }],
      [IDS.bravoBroadcast, { ...base(FIXTURES.bravoRecording, 'bravo'), streamer: IDS.bravoStreamer }],
    ]),
    media: new Map([[IDS.alphaMedia, base(FIXTURES.alphaMedia, 'alpha')]]),
    episodes: new Map([
      [`${IDS.podcast}/${IDS.publishedEpisode}`, { ...base(FIXTURES.publishedEpisode, 'alpha'), published: true }],
      [`${IDS.podcast}/${IDS.draftEpisode}`, { ...base(FIXTURES.draftEpisode, 'alpha'), published: false }],
    ]),
  };
}

export interface PanelAppOptions {
  express: 'v5' | 'v4';
  /** @default '/api' */
  mount?: string;
  /** Mount files.recordings() at `${mount}/rec`, media() at `${mount}/media`, podcasts() at `${mount}/pod`. */
  perKind?: boolean;
  /** More sinks after the panel's own recorder. */
  onDownload?: DownloadSink | DownloadSink[];
  onError?: (err: Error) => void;
  /** passport strategies for `authenticate`, in order. @default ['api-key', 'bearer', 'session'] */
  strategies?: string[];
  failWithError?: boolean;
  publicRateLimit?: NewDownloadLimitOptions | false;
  /** Extra storages (catalog rows may name them). */
  storages?: Record<string, Storage>;
  /** express-session's saveUninitialized. @default false */
  saveUninitialized?: boolean;
  /** More createStationFiles options (trustProxy, concurrentDownloads, …), applied last. */
  library?: Partial<StationFilesOptions<PanelUser>>;
  /** Give the catalog a `station(id)` hook that knows alpha and bravo. */
  stationHook?: boolean;
  /** Host middleware mounted after session/passport and before the station-files routers (e.g. morgan). */
  beforeRouter?: (app: express.Express) => void;
}

export interface PanelApp {
  origin: string;
  /** The configured library (url builders, signedUrl). */
  files: StationFiles;
  data: PanelData;
  events: DownloadEvent[];
  errors: Error[];
  /** Absolute URL of an endpoint path, below the right mount point for its kind. */
  url(kind: DownloadKind, endpointPath: string): string;
  /** Logs a user in through POST /login; returns the `Cookie` header value. */
  login(u: PanelUser): Promise<string>;
  signedUrl(target: SignedTarget, expiresIn?: number): string;
  /** A link signed with the panel's keys by a clock two hours slow: genuine, and expired. */
  expiredUrl(target: SignedTarget): string;
  /** The event of the request with this id (waits for it). */
  eventFor(id: string, timeoutMs?: number): Promise<DownloadEvent>;
  close(): Promise<void>;
}

const KIND_MOUNT: Record<DownloadKind, string> = { recording: '/rec', media: '/media', episode: '/pod', 'public-episode': '/pod' };

function targetPath(t: SignedTarget): string {
  if (t.kind === 'recording') return PATHS.recording(t.station, t.streamer, t.broadcast);
  if (t.kind === 'media') return PATHS.media(t.station, t.id);
  return PATHS.episode(t.station, t.podcast, t.episode);
}

export async function startPanelApp(options: PanelAppOptions): Promise<PanelApp> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'station-files-panel-'));
  for (const f of Object.values(FIXTURES)) {
    const file = path.join(dir, f.storage, ...f.key.split('/'));
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, fixtureBytes(f));
  }
  const data = seedData();
  const users = Object.values(USERS);
  const byId = new Map<string, PanelUser>(users.map((u) => [u.id, u]));

  const auth = new passport.Passport();
  auth.serializeUser<string>((u, done) => done(null, (u as PanelUser).id));
  auth.deserializeUser<string>((id, done) => done(null, byId.get(id) ?? false));
  auth.use(new ApiKeyStrategy((key) => users.find((u) => u.apiKey === key)));
  auth.use(new BearerStrategy((token) => users.find((u) => u.token === token)));

  const events: DownloadEvent[] = [];
  const errors: Error[] = [];
  const waiters = new Set<{ id: string; resolve: (e: DownloadEvent) => void }>();
  const record: DownloadSink = (event) => {
    events.push(event);
    for (const w of waiters)
      if (w.id === event.id) {
        waiters.delete(w);
        w.resolve(event);
      }
  };
  const extra = options.onDownload === undefined ? [] : Array.isArray(options.onDownload) ? options.onDownload : [options.onDownload];

  const row = (r: Row | undefined, extraFields: Partial<FileRef> = {}): FileRef | null =>
    r ? { station: r.station, storage: r.storage, key: r.key, filename: r.filename, ...extraFields } : null;
  const files = createStationFiles<PanelUser>({
    authenticate: auth.authenticate(options.strategies ?? ['api-key', 'bearer', 'session'], {
      session: false,
      ...(options.failWithError ? { failWithError: true } : {}),
    }),
    authorize: staticPermissions<PanelUser>(GRANTS, (u) => u.id),
    storages: {
      recordings: localStorage({ root: path.join(dir, 'recordings') }),
      media: localStorage({ root: path.join(dir, 'media') }),
      podcasts: localStorage({ root: path.join(dir, 'podcasts') }),
      ...options.storages,
    },
    // Like a sloppy panel query, lookups go by (globally unique) id and never filter by station:
    // the library's own station check must turn another station's file into a 404.
    catalog: {
      recording: ({ streamer, broadcast }) => {
        const r = data.recordings.get(broadcast);
        return r && r.streamer === streamer ? row(r) : null;
      },
      mediaFile: ({ id }) => row(data.media.get(id)),
      episode: ({ podcast, episode }) => {
        const e = data.episodes.get(`${podcast}/${episode}`);
        return row(e, { public: e?.published === true });
      },
      ...(options.stationHook ? { station: (id: string) => id === 'alpha' || id === 'bravo' } : {}),
    },
    onDownload: [record, ...extra],
    onError: (err) => {
      errors.push(err);
      options.onError?.(err);
    },
    signing: { keys: SIGNING_KEYS },
    ...(options.publicRateLimit !== undefined ? { publicRateLimit: options.publicRateLimit } : {}),
    ...options.library,
  });

  const make = options.express === 'v4' ? express4 : express;
  const app = make();
  app.disable('x-powered-by');
  app.use(
    session({
      secret: 'panel session secret',
      name: 'panel.sid',
      store: new session.MemoryStore(),
      resave: false,
      saveUninitialized: options.saveUninitialized ?? false,
    }),
  );
  app.use(auth.initialize());
  app.use(auth.session());
  app.post('/login', make.json(), (req, res, next) => {
    const body: unknown = req.body;
    const id = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).id : undefined;
    const u = typeof id === 'string' ? byId.get(id) : undefined;
    if (!u) {
      res.status(401).end();
      return;
    }
    req.logIn(u, (err) => (err ? next(err) : res.status(204).end()));
  });
  options.beforeRouter?.(app);
  const mount = options.mount ?? '/api';
  if (options.perKind) {
    app.use(`${mount}${KIND_MOUNT.recording}`, files.recordings());
    app.use(`${mount}${KIND_MOUNT.media}`, files.media());
    app.use(`${mount}${KIND_MOUNT.episode}`, files.podcasts());
  } else {
    app.use(mount, files.router());
  }
  const mountOf = (kind: DownloadKind): string => (options.perKind ? `${mount}${KIND_MOUNT[kind]}` : mount);

  const server: Server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const expiredSigner = createUrlSigner({ keys: SIGNING_KEYS, now: () => Date.now() - 2 * 3600_000 });
  return {
    origin,
    files,
    data,
    events,
    errors,
    url: (kind, endpointPath) => `${origin}${mountOf(kind)}${endpointPath}`,
    async login(u) {
      const body = JSON.stringify({ id: u.id });
      const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
        const req = http.request(
          `${origin}/login`,
          {
            method: 'POST',
            agent: false,
            headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          },
          resolve,
        );
        req.on('error', reject);
        req.end(body);
      });
      res.resume();
      const cookie = (res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).find((c) => c?.startsWith('panel.sid='));
      if (res.statusCode !== 204 || !cookie) throw new Error(`login as ${u.id} failed: ${res.statusCode}`);
      return cookie;
    },
    signedUrl: (target, expiresIn) => `${origin}${mountOf(target.kind)}${files.signedUrl(target, expiresIn ? { expiresIn } : {})}`,
    expiredUrl(target) {
      const file = targetPath(target);
      const { expires, keyId, signature } = expiredSigner.sign({ station: target.station, file, expiresIn: 60 });
      return `${origin}${mountOf(target.kind)}${file}?${new URLSearchParams({ expires: String(expires), kid: keyId, sig: signature })}`;
    },
    eventFor(id, timeoutMs = 3000) {
      const known = events.find((e) => e.id === id);
      if (known) return Promise.resolve(known);
      return new Promise((resolve, reject) => {
        const w = {
          id,
          resolve: (e: DownloadEvent) => {
            clearTimeout(timer);
            resolve(e);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`no DownloadEvent for request ${id} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(w);
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
