/** `files`: a station's recordings, media and episodes with their download paths. */
import type { FileRow, Station } from '../db/database';
import { defineCommand } from './command';
import { parseKind } from './kinds';
import { formatBytes, table } from './output';
import { fileUrls } from '../urls';

const USAGE = 'files --station ID_OR_SHORTCODE [--kind recording|media|episode] [--json]';

export interface FileListing {
  id: number;
  kind: FileRow['kind'];
  title: string;
  filename: string;
  size: number;
  storage: FileRow['storage'];
  url: string | null;
  /** Episodes only. */
  publicUrl?: string | null;
  /** Episodes only: whether podcast apps can fetch it, and since when. */
  published?: boolean;
  publishedAt?: string | null;
}

export function listing(station: Station, f: FileRow): FileListing {
  const urls = fileUrls(station, f);
  const base = { id: f.id, kind: f.kind, title: f.title, filename: f.filename, size: f.size, storage: f.storage, url: urls.url };
  return f.kind === 'episode' ? { ...base, publicUrl: urls.publicUrl ?? null, published: f.published_at !== null, publishedAt: f.published_at } : base;
}

export const files = defineCommand({
  words: ['files'],
  usage: USAGE,
  summary: "list a station's files (all kinds, or one) with their download endpoints",
  options: {
    station: { type: 'string', required: true },
    kind: { type: 'string' },
  },
  async run(v, ctx) {
    const kind = v.kind === undefined ? undefined : parseKind(v.kind, USAGE);
    const station = await ctx.station(v.station);
    const db = await ctx.db();
    const rows = (kind ? await db.files(station.id, kind) : await db.stationFiles(station.id)).map((f) => listing(station, f));
    return {
      json: rows,
      text: table(
        rows,
        [
          { header: 'ID', value: (r) => r.id, right: true },
          { header: 'KIND', value: (r) => r.kind },
          { header: 'TITLE', value: (r) => r.title, max: 40 },
          { header: 'SIZE', value: (r) => formatBytes(r.size), right: true },
          { header: 'STORAGE', value: (r) => r.storage },
          { header: 'PUBLISHED', value: (r) => (r.kind === 'episode' ? (r.published ? 'yes' : 'draft') : '') },
          { header: 'URL', value: (r) => r.url },
        ],
        `(no ${kind ? `${kind}s` : 'files'} on ${station.shortcode})`,
      ),
    };
  },
});
