/**
 * RSS 2.0 podcast feeds with iTunes tags: published episodes only, enclosures pointing at the
 * public download URL (with extension), with their exact length and type.
 */
import express, { type Request, type Router } from 'express';
import { publicEpisodeUrl } from '../catalog';
import type { Db } from '../db/database';
import { coverPng } from '../png';

const xml = (s: string): string => s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] as string);

function duration(seconds: number | null): string {
  const s = Math.round(seconds ?? 0);
  return [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60].map((n) => String(n).padStart(2, '0')).join(':');
}

export function feedRouter(db: Db, publicUrl: string | null): Router {
  const router = express.Router();
  const base = (req: Request): string => publicUrl ?? `${req.protocol}://${req.get('host')}`;
  let cover: Buffer | undefined;

  router.get('/feeds/:station/:podcast/cover.png', (_req, res) => {
    cover ??= coverPng(1400, [30, 60, 140], [220, 80, 60]);
    res.set({ 'Cache-Control': 'public, max-age=86400', 'Cross-Origin-Resource-Policy': 'cross-origin' }).type('png').send(cover);
  });

  router.get('/feeds/:station/:podcast.xml', (req, res) => {
    const station = db.station(String(req.params.station));
    const podcastId = Number(req.params.podcast);
    const podcast = station && station.shortcode === req.params.station && Number.isInteger(podcastId) ? db.podcast(station.id, podcastId) : undefined;
    if (!station || !podcast) return void res.status(404).type('text').send('Not Found\n');
    const root = base(req);
    const self = `${root}/feeds/${station.shortcode}/${podcast.id}.xml`;
    const items = db.episodes(podcast.id).filter((e) => e.published_at !== null).map((e) => `    <item>
      <title>${xml(e.title)}</title>
      <description>${xml(e.description ?? e.title)}</description>
      <guid isPermaLink="false">${xml(`station-files-demo:${station.shortcode}:${podcast.id}:${e.id}`)}</guid>
      <pubDate>${new Date(e.published_at as string).toUTCString()}</pubDate>
      <enclosure url="${xml(root + publicEpisodeUrl(station.shortcode, e))}" length="${e.size}" type="${xml(e.content_type)}"/>
      <itunes:duration>${duration(e.duration_s)}</itunes:duration>
      <itunes:episodeType>full</itunes:episodeType>
      <itunes:explicit>${podcast.explicit ? 'true' : 'false'}</itunes:explicit>
    </item>`);
    res.set({ 'Cache-Control': 'public, max-age=300', 'Access-Control-Allow-Origin': '*', 'Cross-Origin-Resource-Policy': 'cross-origin' });
    res.type('application/rss+xml; charset=utf-8').send(`<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" xmlns:atom="http://www.w3.org/2005/Atom">
  <channel>
    <title>${xml(podcast.title)}</title>
    <link>${xml(root)}/</link>
    <atom:link href="${xml(self)}" rel="self" type="application/rss+xml"/>
    <description>${xml(podcast.description)}</description>
    <language>${xml(podcast.language)}</language>
    <itunes:author>${xml(podcast.author)}</itunes:author>
    <itunes:summary>${xml(podcast.description)}</itunes:summary>
    <itunes:image href="${xml(`${root}/feeds/${station.shortcode}/${podcast.id}/cover.png`)}"/>
    <itunes:category text="${xml(podcast.category)}"/>
    <itunes:explicit>${podcast.explicit ? 'true' : 'false'}</itunes:explicit>
    <itunes:type>episodic</itunes:type>
${items.join('\n')}
  </channel>
</rss>
`);
  });
  return router;
}
