/**
 * RSS 2.0 podcast feeds with iTunes tags: published episodes only, enclosures pointing at the
 * public download URL (with extension), with their exact length and type.
 *
 * Built with xmlbuilder2 (escaping by the library, not string templates); characters XML 1.0
 * forbids (control characters, lone surrogates, U+FFFE/U+FFFF) are removed from every value, so a
 * title pasted with a stray \x01 cannot make the whole feed unreadable.
 *
 * The feed is cacheable by anyone (`Cache-Control: public`), so its URLs never come from an
 * unchecked Host header: PUBLIC_URL when set; else the request's Host when it is allowed
 * (PUBLIC_HOSTS, or without it loopback names and HOST, any port); else the first of PUBLIC_HOSTS,
 * or the listen address.
 */
import { isIP } from 'node:net';
import express, { type Request, type Router } from 'express';
import { create } from 'xmlbuilder2';
import { publicEpisodeUrl } from '../catalog';
import type { DemoConfig } from '../config';
import type { Db } from '../db/database';
import { coverPng } from '../png';

const ITUNES = 'http://www.itunes.com/dtds/podcast-1.0.dtd';
const ATOM = 'http://www.w3.org/2005/Atom';
const HOST_HEADER = /^(?:[a-z0-9.-]{1,253}|\[[0-9a-f:.]{2,45}\])(?::\d{1,5})?$/;
const LOOPBACK = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d{1,5})?$/;
const WILDCARD = new Set(['', '0.0.0.0', '::', '[::]']);

function duration(seconds: number | null): string {
  const s = Math.round(seconds ?? 0);
  return [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60].map((n) => String(n).padStart(2, '0')).join(':');
}

/** `host` as it appears in a URL authority (IPv6 in brackets). */
const authority = (host: string): string => (isIP(host) === 6 ? `[${host}]` : host.toLowerCase());

/** The base URL (scheme://host[:port][/path]) for a feed's links: never an unchecked Host header. */
export function feedBase(req: Request, config: Pick<DemoConfig, 'publicUrl' | 'publicHosts' | 'host'>): string {
  if (config.publicUrl) return config.publicUrl;
  const host = (req.get('host') ?? '').toLowerCase();
  const listen = WILDCARD.has(config.host) ? null : authority(config.host);
  const allowed =
    HOST_HEADER.test(host) &&
    (config.publicHosts.length > 0
      ? config.publicHosts.includes(host)
      : LOOPBACK.test(host) || (listen !== null && (host === listen || host.startsWith(`${listen}:`))));
  const chosen = allowed ? host : (config.publicHosts[0] ?? `${listen ?? '127.0.0.1'}:${req.socket.localPort ?? 80}`);
  return `${req.protocol}://${chosen}`;
}

export function feedRouter(db: Db, config: Pick<DemoConfig, 'publicUrl' | 'publicHosts' | 'host'>): Router {
  const router = express.Router();
  let cover: Buffer | undefined;

  router.get('/feeds/:station/:podcast/cover.png', (_req, res) => {
    cover ??= coverPng(1400, [30, 60, 140], [220, 80, 60]);
    res.set({ 'Cache-Control': 'public, max-age=86400', 'Cross-Origin-Resource-Policy': 'cross-origin' }).type('png').send(cover);
  });

  router.get('/feeds/:station/:podcast.xml', async (req, res) => {
    const station = await db.station(String(req.params.station));
    const podcastId = Number(req.params.podcast);
    const podcast =
      station && station.shortcode === req.params.station && Number.isSafeInteger(podcastId) ? await db.podcast(station.id, podcastId) : undefined;
    if (!station || !podcast) return void res.status(404).type('text').send('Not Found\n');
    const root = feedBase(req, config);
    const explicit = podcast.explicit ? 'true' : 'false';

    // invalidCharReplacement: '' drops what XML 1.0 forbids instead of throwing.
    const doc = create({ version: '1.0', encoding: 'UTF-8', invalidCharReplacement: '' });
    const rss = doc.ele('rss', { version: '2.0', 'xmlns:itunes': ITUNES, 'xmlns:atom': ATOM });
    const channel = rss.ele('channel');
    channel.ele('title').txt(podcast.title);
    channel.ele('link').txt(`${root}/`);
    channel.ele(ATOM, 'atom:link', { href: `${root}/feeds/${station.shortcode}/${podcast.id}.xml`, rel: 'self', type: 'application/rss+xml' });
    channel.ele('description').txt(podcast.description);
    channel.ele('language').txt(podcast.language);
    channel.ele(ITUNES, 'itunes:author').txt(podcast.author);
    channel.ele(ITUNES, 'itunes:summary').txt(podcast.description);
    channel.ele(ITUNES, 'itunes:image', { href: `${root}/feeds/${station.shortcode}/${podcast.id}/cover.png` });
    channel.ele(ITUNES, 'itunes:category', { text: podcast.category });
    channel.ele(ITUNES, 'itunes:explicit').txt(explicit);
    channel.ele(ITUNES, 'itunes:type').txt('episodic');
    for (const e of await db.episodes(podcast.id)) {
      if (e.published_at === null) continue;
      const item = channel.ele('item');
      item.ele('title').txt(e.title);
      item.ele('description').txt(e.description ?? e.title);
      item.ele('guid', { isPermaLink: 'false' }).txt(`station-files-demo:${station.shortcode}:${podcast.id}:${e.id}`);
      item.ele('pubDate').txt(new Date(e.published_at).toUTCString());
      item.ele('enclosure', { url: root + publicEpisodeUrl(station.shortcode, e), length: String(e.size), type: e.content_type });
      item.ele(ITUNES, 'itunes:duration').txt(duration(e.duration_s));
      item.ele(ITUNES, 'itunes:episodeType').txt('full');
      item.ele(ITUNES, 'itunes:explicit').txt(explicit);
    }
    res.set({ 'Cache-Control': 'public, max-age=300', 'Access-Control-Allow-Origin': '*', 'Cross-Origin-Resource-Policy': 'cross-origin' });
    res.type('application/rss+xml; charset=utf-8').send(`${doc.end({ prettyPrint: true })}\n`);
  });
  return router;
}
