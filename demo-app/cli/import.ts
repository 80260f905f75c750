/**
 * `import`: streams a file of any size into storage (local disk or S3; never buffered), then
 * adds its row. The row is written only once the file is completely stored; if storing fails
 * or is interrupted (SIGINT/SIGTERM) putFile leaves nothing behind, and if the database insert
 * fails the stored file is deleted again, so nothing half-written stays either way.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { lookup } from 'mime-types';
import type { FileRow, Podcast, Station, StorageName } from '../db/database';
import type { DemoStorages } from '../storage';
import type * as S3Sdk from '@aws-sdk/client-s3';
import { defineCommand } from './command';
import type { Context } from './context';
import { CliError, EXIT_INTERRUPTED, failure, oneLine, usageError } from './errors';
import { parseKind } from './kinds';
import { formatBytes } from './output';
import { fileUrls, publicExtension } from '../urls';
import { wavDuration } from './wav-duration';

const USAGE =
  'import --station ID_OR_SHORTCODE --kind recording|media|episode --file PATH [--title T] ' +
  '[--storage local|s3] [--publish] [--podcast ID] [--streamer NAME] [--json]';
export const DEFAULT_STREAMER = 'Imported';

export interface ImportResult {
  id: number;
  kind: FileRow['kind'];
  station: string;
  title: string;
  url: string | null;
  /** Episodes only. */
  publicUrl?: string | null;
  size: number;
  storage: StorageName;
  key: string;
  contentType: string;
  duration: number | null;
  /** Episodes only. */
  publishedAt?: string | null;
}

async function statInput(file: string): Promise<Stats> {
  let info: Stats;
  try {
    info = await stat(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw failure(`file not found: ${file}`);
    if (code === 'EACCES' || code === 'EPERM') throw failure(`cannot read ${file}: permission denied`);
    throw failure(`cannot read ${file}: ${oneLine(err)}`);
  }
  if (info.isDirectory()) throw failure(`${file} is a directory, not a file`);
  return info;
}

/** Deletes a stored object again (after a failed insert). */
async function removeStored(storages: DemoStorages, storage: StorageName, key: string): Promise<void> {
  const { local, s3 } = storages.storages;
  if (storage === 'local') {
    await rm(path.join(local.root, ...key.split('/')), { force: true });
  } else if (s3) {
    const { DeleteObjectCommand } = require('@aws-sdk/client-s3') as typeof S3Sdk;
    await s3.client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: s3.prefix + key }));
  }
}

/** putFile, aborted cleanly by SIGINT/SIGTERM (the stream fails, putFile removes its temp file). */
async function store(ctx: Context, storages: DemoStorages, storage: StorageName, key: string, file: string, contentType: string): Promise<number> {
  const input = createReadStream(file);
  let signal: NodeJS.Signals | null = null;
  const onSignal = (s: NodeJS.Signals) => {
    if (signal) return;
    signal = s;
    ctx.log(`import: ${s} received, stopping and removing the partial file…`);
    input.destroy(new Error(`interrupted by ${s}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await storages.putFile(storage, key, input, contentType);
  } catch (err) {
    // putFile removes a local temp file itself; an S3 upload that finished before a later step
    // failed (its HEAD) would stay, so delete the key (a no-op when it was never written).
    if (storage === 's3') await removeStored(storages, storage, key).catch(() => undefined);
    if (signal) throw new CliError(`import interrupted by ${signal}; nothing was stored`, EXIT_INTERRUPTED);
    throw failure(`storing ${file} in ${storage} failed: ${oneLine(err)}`);
  } finally {
    input.destroy();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export const importFile = defineCommand({
  words: ['import'],
  usage: USAGE,
  summary: 'store a file (any size, streamed) as a recording, media file or podcast episode',
  options: {
    station: { type: 'string', required: true },
    kind: { type: 'string', required: true },
    file: { type: 'string', required: true },
    title: { type: 'string' },
    storage: { type: 'string' },
    publish: { type: 'boolean' },
    podcast: { type: 'string' },
    streamer: { type: 'string' },
  },
  async run(v, ctx): Promise<{ json: ImportResult; text: string }> {
    // Everything the command line alone decides first (exit 2), before touching the database.
    const kind = parseKind(v.kind, USAGE);
    let chosen: StorageName | undefined;
    if (v.storage !== undefined) {
      if (v.storage !== 'local' && v.storage !== 's3') throw usageError(`unknown storage "${v.storage}" (local or s3)`, USAGE);
      chosen = v.storage;
    }
    if (v.publish && kind !== 'episode') throw usageError('--publish is only for episodes', USAGE);
    if (v.podcast !== undefined && kind !== 'episode') throw usageError('--podcast is only for episodes', USAGE);
    if (v.streamer !== undefined && kind !== 'recording') throw usageError('--streamer is only for recordings', USAGE);
    let podcastId: number | undefined;
    if (v.podcast !== undefined) {
      podcastId = Number(v.podcast);
      if (!/^\d+$/.test(v.podcast) || !Number.isSafeInteger(podcastId) || podcastId < 1) {
        throw usageError(`--podcast "${v.podcast}" is not a podcast id`, USAGE);
      }
    }
    const streamerName = (v.streamer ?? DEFAULT_STREAMER).trim();
    if (streamerName === '') throw usageError('--streamer must not be empty', USAGE);
    if (v.file === '') throw usageError('--file must not be empty', USAGE);
    const file = path.resolve(v.file);
    const filename = path.basename(file);
    const ext = publicExtension(filename);
    if (kind === 'episode' && ext === '') {
      throw usageError(`an episode's file name needs an extension (like .mp3): its public URL ends in download.<ext> (${filename})`, USAGE);
    }
    const title = (v.title ?? (ext ? filename.slice(0, -(ext.length + 1)) : filename)).trim();
    if (title === '') throw usageError('--title must not be empty', USAGE);

    // Then what depends on the database, the file system and the configuration (exit 1).
    const station: Station = await ctx.station(v.station);
    const db = await ctx.db();
    let podcast: Podcast | undefined;
    if (kind === 'episode') {
      if (podcastId !== undefined) {
        podcast = await db.podcast(station.id, podcastId);
        if (!podcast) throw failure(`station ${station.shortcode} has no podcast ${podcastId}`);
      } else {
        podcast = [...(await db.podcasts(station.id))].sort((a, b) => a.id - b.id)[0];
        if (!podcast) throw failure(`station ${station.shortcode} has no podcast to add the episode to`);
      }
    }
    const info = await statInput(file);
    const storages = await ctx.storages();
    const storage = chosen ?? storages.storageFor(kind);
    if (storage === 's3' && !storages.storages.s3) {
      throw failure('S3 is not configured (set S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY)');
    }
    const contentType = lookup(filename) || 'application/octet-stream';
    const duration = ext === 'wav' && info.isFile() ? await wavDuration(file).catch(() => null) : null;
    const safeCode = station.shortcode.replace(/[^A-Za-z0-9_-]/g, '_') || `station-${station.id}`;
    const key = `${safeCode}/${kind}s/${randomUUID()}${/^[a-z0-9]{1,16}$/.test(ext) ? `.${ext}` : ''}`;

    if (storage === 's3') {
      try {
        await storages.prepare();
      } catch (err) {
        throw failure(`S3 is not reachable: ${oneLine(err)}`);
      }
    }
    ctx.log(`import: storing ${filename}${info.isFile() ? ` (${formatBytes(info.size)})` : ''} in ${storage} as ${key}`);
    const size = await store(ctx, storages, storage, key, file, contentType);

    const publishedAt = v.publish ? new Date().toISOString() : null;
    let row: FileRow | undefined;
    try {
      // One transaction (on SQLite BEGIN IMMEDIATE: the streamer lookup reads first, and in WAL a
      // read transaction that must then write while the server holds the write lock gets
      // SQLITE_BUSY at once; taking the write lock up front waits for busy_timeout instead).
      row = await db.transaction(async (tx) => {
        const id = await tx.addFile({
          station_id: station.id,
          kind,
          title,
          storage,
          key,
          filename,
          content_type: contentType,
          size,
          duration_s: duration,
          streamer_id: kind === 'recording' ? await tx.streamer(station.id, streamerName) : null,
          podcast_id: podcast ? podcast.id : null,
          published_at: publishedAt,
        });
        return tx.file(station.id, kind, id);
      });
      if (!row) throw new Error('the new row cannot be read back');
    } catch (err) {
      let removed = 'the stored file was removed';
      try {
        await removeStored(storages, storage, key);
      } catch (cleanup) {
        removed = `removing the stored file failed too (${storage} key ${key}): ${oneLine(cleanup)}`;
      }
      throw failure(`saving the ${kind} in the database failed: ${oneLine(err)}; ${removed}`);
    }

    const urls = fileUrls(station, row);
    const result: ImportResult = {
      id: row.id,
      kind,
      station: station.shortcode,
      title,
      url: urls.url,
      ...(kind === 'episode' ? { publicUrl: urls.publicUrl ?? null } : {}),
      size,
      storage,
      key,
      contentType,
      duration,
      ...(kind === 'episode' ? { publishedAt } : {}),
    };
    const lines = [
      `imported ${kind} ${row.id} "${title}" on ${station.shortcode}: ${formatBytes(size)} in ${storage}`,
      `  url:        ${urls.url ?? '-'}`,
      ...(kind === 'episode' ? [`  public url: ${urls.publicUrl ?? '-'}${publishedAt ? '' : ' (draft: answers once published)'}`] : []),
    ];
    return { json: result, text: lines.join('\n') };
  },
});
