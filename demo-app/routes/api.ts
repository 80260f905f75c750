/** The panel's JSON API: lists behind the same access control as the downloads. */
import express, { type Router } from 'express';
import { fileUrl, publicEpisodeUrl } from '../catalog';
import type { Db, FileRow, User } from '../db/database';
import { stationReport } from '../reports';
import { jsonGuard, visibleStations } from './access';

const fileJson = (shortcode: string, f: FileRow) => ({
  id: f.id,
  title: f.title,
  filename: f.filename,
  size: f.size,
  durationS: f.duration_s,
  createdAt: f.created_at,
  url: fileUrl(shortcode, f),
});

export function apiRouter(db: Db): Router {
  const api = express.Router();
  api.get('/stations', async (req, res) => {
    const user = req.user as User | undefined;
    if (!user) return void res.status(401).json({ error: 'authentication required' });
    res.json(await visibleStations(db, user));
  });
  api.get(
    '/station/:station/recordings',
    jsonGuard(db, 'streamers', async (_req, res, station) => {
      res.json((await db.files(station.id, 'recording')).map((f) => ({ ...fileJson(station.shortcode, f), streamerId: f.streamer_id })));
    }),
  );
  api.get(
    '/station/:station/media',
    jsonGuard(db, 'media', async (_req, res, station) => {
      res.json((await db.files(station.id, 'media')).map((f) => ({ ...fileJson(station.shortcode, f), artist: f.artist })));
    }),
  );
  api.get(
    '/station/:station/podcasts',
    jsonGuard(db, 'podcasts', async (_req, res, station) => {
      const podcasts = await db.podcasts(station.id);
      res.json(
        await Promise.all(
          podcasts.map(async (p) => ({
            id: p.id,
            title: p.title,
            feedUrl: `/feeds/${station.shortcode}/${p.id}.xml`,
            episodes: (await db.episodes(p.id)).map((e) => ({
              ...fileJson(station.shortcode, e),
              published: e.published_at !== null,
              publishedAt: e.published_at,
              publicUrl: e.published_at ? publicEpisodeUrl(station.shortcode, e) : null,
            })),
          })),
        ),
      );
    }),
  );
  api.get(
    '/station/:station/downloads',
    jsonGuard(db, 'reports', async (req, res, station) => {
      const days = Math.min(365, Math.max(1, Number(req.query.days ?? 30) || 30));
      const { rows, daily, episodes, refused } = await stationReport(db, station.shortcode, days, 500);
      res.json({ daily, episodes, downloads: rows, refused });
    }),
  );
  return api;
}
