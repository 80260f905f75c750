/**
 * What both databases share: download events as column values and back, API key hashing, and the
 * paged reading of episode events (keyset pagination on (at, id), so memory stays one page).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { DownloadEvent } from '../../lib';
import type { DownloadRow } from './types';

/** Columns of `downloads`, in the order of `downloadValues`. */
export const DOWNLOAD_COLUMNS = [
  'id',
  'at',
  'station',
  'user_id',
  'user_name',
  'kind',
  'file_id',
  'outcome',
  'status',
  'method',
  'range',
  'bytes_sent',
  'size',
  'delivery',
  'storage',
  'duration_ms',
  'ip',
  'user_agent',
  'referer',
  'correlation_id',
  'authenticated',
  'station_exists',
  'via',
  'link_subject',
  'ids',
  'served_start',
  'served_end',
  'reason',
] as const;

/** Columns of `refusals` (but `seq`), in the order of `refusalValues`. */
export const REFUSAL_COLUMNS = [
  'id',
  'at',
  'station',
  'station_exists',
  'authenticated',
  'kind',
  'file_id',
  'outcome',
  'status',
  'method',
  'ip',
  'user_agent',
  'correlation_id',
] as const;

/** Episode kinds that can count as podcast downloads (countPodcastDownloads reads only these). */
export const EPISODE_KINDS = "('episode', 'public-episode')";
/** Rows per page when episode events are read for the podcast counts. */
export const EPISODE_PAGE = 1000;

const MAX_TEXT = 256;
/** Cut to `max` characters, without NUL (PostgreSQL text cannot hold it; anyone can send these). */
const cut = (s: string | null, max = MAX_TEXT): string | null => (s === null ? s : s.replaceAll('\u0000', '').slice(0, max));
const bit = (b: boolean | null | undefined): number | null => (b === null || b === undefined ? null : b ? 1 : 0);

export type SqlValue = string | number | null;

export function downloadValues(e: DownloadEvent): SqlValue[] {
  return [
    e.id,
    e.at,
    e.station,
    e.user?.id ?? null,
    e.user?.name ?? null,
    e.kind,
    e.fileId,
    e.outcome,
    e.status,
    e.method,
    e.range,
    e.bytesSent,
    e.size,
    e.delivery,
    e.storage,
    Math.round(e.durationMs),
    e.ip,
    e.userAgent,
    e.referer,
    e.correlationId ?? null,
    bit(e.authenticated),
    bit(e.stationExists),
    e.via ?? null,
    e.linkSubject ?? null,
    e.ids ? JSON.stringify(e.ids) : null,
    e.served?.start ?? null,
    e.served?.end ?? null,
    e.reason ?? null,
  ];
}

/** A refusal's values: anyone can send these, so free text is cut short. */
export function refusalValues(e: DownloadEvent): SqlValue[] {
  return [
    e.id,
    e.at,
    cut(e.station, 64),
    bit(e.stationExists),
    e.authenticated ? 1 : 0,
    e.kind,
    cut(e.fileId, 64),
    e.outcome,
    e.status,
    cut(e.method, 16) ?? '',
    e.ip,
    cut(e.userAgent),
    e.correlationId ?? null,
  ];
}

/** Where a refusal is counted: under its station only when that exists (made-up names must not add rows). */
export const refusalStation = (e: DownloadEvent): string => (e.stationExists === true && e.station ? e.station : '');

/** The first day of per-day refusal counts to keep, `keepDays` before `day`. */
export const refusalCutoff = (day: string, keepDays: number): string =>
  new Date(Date.parse(`${day}T00:00:00Z`) - keepDays * 86_400_000).toISOString().slice(0, 10);

export const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** A new API key: the key itself (shown once), its hash and its first characters (stored). */
export function newApiKey(): { key: string; hash: string; prefix: string } {
  const key = `sfk_${randomBytes(24).toString('base64url')}`;
  return { key, hash: sha256(key), prefix: key.slice(0, 10) };
}

/** Reads pages of rows after the last (at, id) until one comes back short, yielding events. */
export async function* pagedEvents(
  page: (after: { at: string; id: string } | null, size: number) => Promise<DownloadRow[]>,
  size = EPISODE_PAGE,
): AsyncGenerator<DownloadEvent> {
  let after: { at: string; id: string } | null = null;
  for (;;) {
    const rows = await page(after, size);
    for (const row of rows) yield rowToEvent(row);
    const last = rows.at(-1);
    if (!last || rows.length < size) return;
    after = { at: last.at, id: last.id };
  }
}

function parseIds(json: string | null): Record<string, string> {
  if (json === null) return {};
  try {
    const v: unknown = JSON.parse(json);
    return v !== null && typeof v === 'object' ? (v as Record<string, string>) : {};
  } catch {
    return {};
  }
}

/** A DownloadRow back as the DownloadEvent shape (for podcast statistics). */
export function rowToEvent(r: DownloadRow): DownloadEvent {
  return {
    id: r.id,
    at: r.at,
    outcome: r.outcome as DownloadEvent['outcome'],
    status: r.status,
    station: r.station,
    user: r.user_id ? { id: r.user_id, ...(r.user_name ? { name: r.user_name } : {}) } : null,
    kind: r.kind as DownloadEvent['kind'],
    fileId: r.file_id,
    storage: r.storage,
    delivery: r.delivery as DownloadEvent['delivery'],
    method: r.method,
    range: r.range,
    bytesSent: r.bytes_sent,
    size: r.size,
    durationMs: r.duration_ms,
    ip: r.ip,
    userAgent: r.user_agent,
    referer: r.referer,
    correlationId: r.correlation_id ?? null,
    authenticated: r.authenticated === 1,
    stationExists: r.station_exists === null ? null : r.station_exists === 1,
    via: (r.via ?? null) as DownloadEvent['via'],
    linkSubject: r.link_subject ?? null,
    ids: parseIds(r.ids),
    served: r.served_start !== null && r.served_end !== null ? { start: r.served_start, end: r.served_end } : null,
    reason: (r.reason ?? null) as DownloadEvent['reason'],
  };
}
