/**
 * First-start seeding: two stations, users with different roles, recordings (one over an hour),
 * media, a podcast with published and draft episodes, all with audio generated here, and two
 * weeks of download history so the reports page has something to show.
 */
import { randomUUID } from 'node:crypto';
import type { DownloadEvent, Permission } from '../lib';
import { hashPassword } from './auth/passwords';
import type { Db, FileKind } from './db/database';
import type { DemoStorages } from './storage';
import { wavSize, wavStream, type ToneOptions } from './wav';

export interface DemoLogin {
  email: string;
  password: string;
  role: string;
}

export const DEMO_LOGINS: DemoLogin[] = [
  { email: 'admin@example.com', password: 'admin-demo-pass', role: 'global administrator' },
  { email: 'dj@example.com', password: 'dj-demo-pass', role: 'DJ: recordings (streamers) on Radio Alpha' },
  { email: 'podcaster@example.com', password: 'podcaster-demo-pass', role: 'podcasts and reports on Radio Alpha' },
  { email: 'media@example.com', password: 'media-demo-pass', role: 'media manager on Bravo FM' },
];

const GRANTS: Record<string, [string, Permission][]> = {
  'dj@example.com': [['alpha', 'streamers']],
  'podcaster@example.com': [
    ['alpha', 'podcasts'],
    ['alpha', 'reports'],
  ],
  'media@example.com': [
    ['bravo', 'media'],
    ['bravo', 'reports'],
  ],
};

interface SeedFile {
  station: string;
  kind: FileKind;
  title: string;
  filename: string;
  tone: ToneOptions;
  extra?: Record<string, unknown>;
}

const HOUR_AND_5 = 65 * 60;

function seedFiles(): SeedFile[] {
  return [
    {
      station: 'alpha',
      kind: 'recording',
      title: 'Morning Show – Frühstück mit Nova',
      filename: 'Morning Show – Frühstück mit Nova.wav',
      tone: { seconds: HOUR_AND_5, frequency: 220, bits: 8 },
      extra: { streamer: 'DJ Nova' },
    },
    {
      station: 'alpha',
      kind: 'recording',
      title: 'Late Night Mix #42',
      filename: 'Late Night Mix #42.wav',
      tone: { seconds: 180, frequency: 330 },
      extra: { streamer: 'DJ Nova' },
    },
    {
      station: 'bravo',
      kind: 'recording',
      title: 'Night Owl Session',
      filename: 'Night Owl Session.wav',
      tone: { seconds: 120, frequency: 262 },
      extra: { streamer: 'Night Owl' },
    },
    {
      station: 'alpha',
      kind: 'media',
      title: 'Station ID',
      filename: 'station-id.wav',
      tone: { seconds: 4, frequency: 880 },
      extra: { artist: 'Radio Alpha' },
    },
    {
      station: 'alpha',
      kind: 'media',
      title: 'Jingle 100% ☕',
      filename: 'jingle 100% ☕.wav',
      tone: { seconds: 6, frequency: 660 },
      extra: { artist: 'Radio Alpha' },
    },
    {
      station: 'bravo',
      kind: 'media',
      title: 'Bravo Jingle',
      filename: 'bravo-jingle.wav',
      tone: { seconds: 5, frequency: 523 },
      extra: { artist: 'Bravo FM' },
    },
    {
      station: 'bravo',
      kind: 'media',
      title: 'Weather Bed',
      filename: 'weather bed.wav',
      tone: { seconds: 30, frequency: 392 },
      extra: { artist: 'Bravo FM' },
    },
    {
      station: 'alpha',
      kind: 'episode',
      title: 'Episode 1: Hello, Alpha',
      filename: 'alpha-talks-001.wav',
      tone: { seconds: 240, frequency: 294 },
      extra: { published: 10 },
    },
    {
      station: 'alpha',
      kind: 'episode',
      title: 'Épisode 2 – L’été en direct',
      filename: 'alpha-talks-002.wav',
      tone: { seconds: 300, frequency: 349 },
      extra: { published: 3 },
    },
    { station: 'alpha', kind: 'episode', title: 'Episode 3 (draft)', filename: 'alpha-talks-003.wav', tone: { seconds: 60, frequency: 440 } },
  ];
}

const daysAgo = (n: number): string => new Date(Date.now() - n * 86_400_000).toISOString();

/** Seeds an empty database; does nothing when stations exist. Returns true when it seeded. */
export async function seedIfEmpty(db: Db, storages: DemoStorages, log: (line: string) => void = () => undefined): Promise<boolean> {
  if ((await db.stations()).length > 0) return false;
  log('seeding demo data (generating audio, about 10 s)…');
  const hashes = await Promise.all(DEMO_LOGINS.map((l) => hashPassword(l.password)));
  const stored: { f: SeedFile; storage: 'local' | 's3'; key: string; size: number }[] = [];
  for (const f of seedFiles()) {
    const storage = storages.storageFor(f.kind);
    const key = `${f.station}/${f.kind}s/${randomUUID()}.wav`;
    const size = await storages.putFile(storage, key, wavStream(f.tone), 'audio/wav');
    if (size !== wavSize(f.tone)) throw new Error(`seed: ${f.filename} stored ${size} bytes, expected ${wavSize(f.tone)}`);
    stored.push({ f, storage, key, size });
  }
  // Another instance may have seeded meanwhile (several share one PostgreSQL): checked again
  // inside the transaction; the unique shortcodes stop a second seed in any case.
  return db.transaction(async (tx) => {
    if ((await tx.stations()).length > 0) return false;
    const alpha = await tx.addStation('alpha', 'Radio Alpha');
    const bravo = await tx.addStation('bravo', 'Bravo FM');
    const byCode: Record<string, number> = { alpha: alpha.id, bravo: bravo.id };
    for (const [i, l] of DEMO_LOGINS.entries()) {
      const user = await tx.addUser({ email: l.email, name: l.email.split('@')[0] as string, passwordHash: hashes[i] as string, globalAdmin: i === 0 });
      for (const [station, permission] of GRANTS[l.email] ?? []) await tx.grant(user.id, byCode[station] as number, permission);
    }
    const podcast = await tx.addPodcast({
      station_id: alpha.id,
      title: 'Alpha Talks',
      description: 'Conversations from the Radio Alpha studio.',
      author: 'Radio Alpha',
      language: 'en',
      category: 'Music',
      explicit: 0,
    });
    for (const [n, { f, storage, key, size }] of stored.entries()) {
      const stationId = byCode[f.station] as number;
      const extra = f.extra ?? {};
      await tx.addFile({
        station_id: stationId,
        kind: f.kind,
        title: f.title,
        storage,
        key,
        filename: f.filename,
        content_type: 'audio/wav',
        size,
        duration_s: f.tone.seconds,
        created_at: daysAgo(stored.length - n),
        streamer_id: typeof extra.streamer === 'string' ? await tx.streamer(stationId, extra.streamer) : null,
        artist: typeof extra.artist === 'string' ? extra.artist : null,
        podcast_id: f.kind === 'episode' ? podcast : null,
        description: f.kind === 'episode' ? `${f.title}, recorded live at Radio Alpha.` : null,
        published_at: typeof extra.published === 'number' ? daysAgo(extra.published) : null,
      });
    }
    await seedHistory(tx);
    return true;
  });
}

/** Two weeks of plausible downloads: podcast apps, browsers, staff downloads. */
async function seedHistory(db: Db): Promise<void> {
  const alpha = await db.station('alpha');
  if (!alpha) return;
  const episodes = (await db.files(alpha.id, 'episode')).filter((e) => e.published_at);
  const recordings = await db.files(alpha.id, 'recording');
  const agents = [
    'AppleCoreMedia/1.0.0.21A329 (iPhone; U; CPU OS 17_0 like Mac OS X; en_us)',
    'Spotify/8.8.96 Android/33 (Pixel 7)',
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
    'Overcast/3.0 (+http://overcast.fm/; iOS podcast app)',
  ];
  let seq = 0;
  for (let day = 13; day >= 0; day--) {
    const listeners = 3 + ((day * 7) % 5);
    for (let l = 0; l < listeners; l++) {
      const ep = episodes[(day + l) % Math.max(1, episodes.length)];
      if (!ep) continue;
      const at = new Date(Date.now() - day * 86_400_000 - l * 600_000).toISOString();
      const event: DownloadEvent = {
        id: `seed-${seq++}`,
        correlationId: null,
        authenticated: false,
        via: 'public',
        linkSubject: null,
        stationExists: true,
        reason: null,
        ids: { station: 'alpha', podcast: String(ep.podcast_id), episode: String(ep.id) },
        served: { start: 0, end: ep.size - 1 },
        at,
        outcome: 'completed',
        status: 200,
        station: 'alpha',
        user: null,
        kind: 'public-episode',
        fileId: String(ep.id),
        storage: ep.storage,
        delivery: 'stream',
        method: 'GET',
        range: null,
        bytesSent: ep.size,
        size: ep.size,
        durationMs: 800,
        ip: `198.51.100.${(l * 17 + day) % 250}`,
        userAgent: agents[l % agents.length] as string,
        referer: null,
      };
      await db.recordDownload(event);
    }
    const rec = recordings[day % Math.max(1, recordings.length)];
    if (rec && day % 2 === 0) {
      await db.recordDownload({
        id: `seed-${seq++}`,
        correlationId: null,
        authenticated: true,
        via: 'session',
        linkSubject: null,
        stationExists: true,
        reason: null,
        ids: { station: 'alpha', streamer: String(rec.streamer_id), broadcast: String(rec.id) },
        served: { start: 0, end: rec.size - 1 },
        at: new Date(Date.now() - day * 86_400_000).toISOString(),
        outcome: 'completed',
        status: 200,
        station: 'alpha',
        user: { id: '2', name: 'dj' },
        kind: 'recording',
        fileId: String(rec.id),
        storage: rec.storage,
        delivery: 'stream',
        method: 'GET',
        range: null,
        bytesSent: rec.size,
        size: rec.size,
        durationMs: 4000,
        ip: '192.0.2.10',
        userAgent: agents[2] as string,
        referer: null,
      });
    }
  }
}
