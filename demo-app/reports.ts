/** Download history figures for the reports page and API: per day, per episode (IAB unique downloads). */
import { countPodcastDownloads } from '../lib';
import { rowToEvent, type Db } from './db/database';

export interface DailyFigure { day: string; downloads: number; bytes: number }
export interface EpisodeFigure { episode: string; title: string; downloads: number; listeners: number }

export function stationReport(db: Db, shortcode: string, days = 30) {
  const since = new Date(Date.now() - days * 86_400_000).toISOString();
  const rows = db.downloads(shortcode, since);
  const daily = new Map<string, DailyFigure>();
  for (let d = days - 1; d >= 0; d--) {
    const day = new Date(Date.now() - d * 86_400_000).toISOString().slice(0, 10);
    daily.set(day, { day, downloads: 0, bytes: 0 });
  }
  for (const r of rows) {
    const fig = daily.get(r.at.slice(0, 10));
    if (!fig || r.method !== 'GET' || (r.outcome !== 'completed' && r.outcome !== 'aborted')) continue;
    if (r.status === 200 || r.status === 206) fig.downloads += 1;
    fig.bytes += r.bytes_sent ?? 0;
  }
  const station = db.station(shortcode);
  const titles = new Map<string, string>();
  if (station) for (const e of db.files(station.id, 'episode')) titles.set(String(e.id), e.title);
  const episodes: EpisodeFigure[] = countPodcastDownloads(rows.map(rowToEvent)).map((c) => ({
    episode: c.episode,
    title: titles.get(c.episode) ?? `#${c.episode}`,
    downloads: c.downloads,
    listeners: c.listeners,
  }));
  return { since, rows, daily: [...daily.values()], episodes };
}
