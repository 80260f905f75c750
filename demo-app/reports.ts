/**
 * Download history figures for the reports page and API: per day (aggregated in SQL on either
 * database), per episode (IAB unique downloads, counted by the library over the episode rows,
 * read from the database in pages).
 */
import { countPodcastDownloads, type EpisodeInfo } from '../lib/entry/podcast-stats';
import type { Db } from './db/database';

export interface DailyFigure {
  day: string;
  downloads: number;
  bytes: number;
}
export interface EpisodeFigure {
  episode: string;
  title: string;
  downloads: number;
  listeners: number;
}

export interface RefusalFigure {
  day: string;
  count: number;
}

/**
 * A station's figures since `days` ago: downloads and bytes per day (aggregated in SQL over every
 * row), IAB unique downloads per episode (from the episode GETs answered 200/206, all of them) and
 * what the count excluded by reason,
 * the newest `latest` rows for the table, and per day how many requests naming this station were
 * refused before authentication (kept out of the history).
 */
export async function stationReport(db: Db, shortcode: string, days = 30, latest = 500) {
  const since = new Date(Date.now() - days * 86_400_000).toISOString();
  const daily = new Map<string, DailyFigure>();
  for (let d = days - 1; d >= 0; d--) {
    const day = new Date(Date.now() - d * 86_400_000).toISOString().slice(0, 10);
    daily.set(day, { day, downloads: 0, bytes: 0 });
  }
  for (const r of await db.dailyDownloads(shortcode, since)) {
    const fig = daily.get(r.day);
    if (!fig) continue;
    fig.downloads = r.downloads;
    fig.bytes = r.bytes;
  }
  const station = await db.station(shortcode);
  const titles = new Map<string, string>();
  const audio = new Map<string, EpisodeInfo>();
  for (const e of station ? await db.files(station.id, 'episode') : []) {
    titles.set(String(e.id), e.title);
    audio.set(String(e.id), { ...(e.duration_s ? { durationSeconds: e.duration_s } : {}), ...(e.size ? { size: e.size } : {}) });
  }
  // IAB v2.3: one minute of each episode's audio (from its duration and size), else the whole file.
  const counts = await countPodcastDownloads(db.episodeDownloads(shortcode, since), { episodeInfo: (ep) => audio.get(ep.episode) });
  const episodes: EpisodeFigure[] = counts.episodes.map((c) => ({
    episode: c.episode,
    title: titles.get(c.episode) ?? `#${c.episode}`,
    downloads: c.downloads,
    listeners: c.listeners,
  }));
  const refused: RefusalFigure[] = await db.refusalsPerDay(shortcode, since.slice(0, 10));
  return { since, rows: await db.downloads(shortcode, since, latest), daily: [...daily.values()], episodes, excluded: counts.excluded, refused };
}
