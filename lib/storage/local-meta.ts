/** What a local file's metadata looks like to clients: size, mtime and an nginx-compatible ETag. */
import type { Stats } from 'node:fs';
import type { ObjectMeta } from './types';

/**
 * The ETag nginx itself sends for a static file (`"<mtime seconds hex>-<size hex>"`), so a
 * client sees one validator whether the bytes came through nginx or through Node.
 *
 * @example
 * fileEtag({ mtimeMs: 1773480413999, size: 255 }) // '"69b529dd-ff"'
 */
export function fileEtag(stats: Pick<Stats, 'mtimeMs' | 'size'>): string {
  return `"${Math.floor(stats.mtimeMs / 1000).toString(16)}-${stats.size.toString(16)}"`;
}

/**
 * The metadata of a file: size, mtime and its nginx-compatible ETag.
 *
 * @example
 * fileMeta(await stat(file)) // { size: 255, mtime: 2026-03-14T…, etag: '"69b529dd-ff"' }
 */
export function fileMeta(stats: Pick<Stats, 'mtimeMs' | 'mtime' | 'size'>): ObjectMeta {
  return { size: stats.size, mtime: stats.mtime, etag: fileEtag(stats) };
}
