/** PostgreSQL: the download history (downloads) and the bounded refusals tables. */
import { DOWNLOAD_COLUMNS, downloadValues, EPISODE_KINDS, pagedEvents, REFUSAL_COLUMNS, refusalCutoff, refusalStation, refusalValues } from '../rows';
import { isStationHistory, type DailyRow, type DatabaseOptions, type DownloadRow, type HistoryQueries, type RefusalRow } from '../types';
import { columns, params, type Query } from './query';

const EPISODE_GETS = `station = $1 AND at >= $2 AND kind IN ${EPISODE_KINDS} AND method = 'GET' AND status IN (200, 206)`;
const R = REFUSAL_COLUMNS.length;

/**
 * One statement, so one round trip and atomic without a transaction: the refusal row, the trim to
 * the newest `refusalRows` ($R+1), and the day's count ($R+2 day, $R+3 station, $R+4 status).
 */
const RECORD_REFUSAL = `
WITH added AS (
  INSERT INTO refusals (${columns(REFUSAL_COLUMNS)}) VALUES (${params(R)}) RETURNING seq
), trimmed AS (
  DELETE FROM refusals WHERE seq <= (SELECT seq FROM added) - $${R + 1}
), counted AS (
  INSERT INTO refusal_days (day, station, status, count) VALUES ($${R + 2}, $${R + 3}, $${R + 4}, 1)
  ON CONFLICT (day, station, status) DO UPDATE SET count = refusal_days.count + 1
)
SELECT seq FROM added`;

export function pgHistory(q: Query, options: DatabaseOptions = {}): HistoryQueries {
  const refusalRows = options.refusalRows ?? 1000;
  const refusalDays = options.refusalDays ?? 400;
  let lastRefusalPrune = '';
  return {
    recordDownload: async (e) => {
      if (isStationHistory(e)) {
        // A plain INSERT: a duplicate id is a bug that must surface (station-files reports it to onError).
        await q.count(`INSERT INTO downloads (${columns(DOWNLOAD_COLUMNS)}) VALUES (${params(DOWNLOAD_COLUMNS.length)})`, downloadValues(e));
        return;
      }
      const day = e.at.slice(0, 10);
      await q(RECORD_REFUSAL, [...refusalValues(e), refusalRows, day, refusalStation(e), e.status]);
      if (day !== lastRefusalPrune) {
        lastRefusalPrune = day;
        await q.count('DELETE FROM refusal_days WHERE day < $1', [refusalCutoff(day, refusalDays)]);
      }
    },
    downloads: (shortcode, since, limit = 10_000) =>
      q<DownloadRow>('SELECT * FROM downloads WHERE station = $1 AND at >= $2 ORDER BY at DESC LIMIT $3', [shortcode, since, limit < 0 ? null : limit]),
    // Daily figures over every row (never a newest-N sample): GETs that sent a body.
    dailyDownloads: (shortcode, since) =>
      q<DailyRow>(
        `SELECT substr(at, 1, 10) AS day, COUNT(*) FILTER (WHERE status IN (200, 206)) AS downloads, SUM(COALESCE(bytes_sent, 0)) AS bytes
       FROM downloads WHERE station = $1 AND at >= $2 AND method = 'GET' AND outcome IN ('completed', 'aborted')
       GROUP BY day ORDER BY day`,
        [shortcode, since],
      ),
    // Only what countPodcastDownloads can count: episode GETs answered 200/206, in pages.
    episodeDownloads: (shortcode, since) =>
      pagedEvents((after, size) =>
        after
          ? q<DownloadRow>(`SELECT * FROM downloads WHERE ${EPISODE_GETS} AND (at, id) > ($3, $4) ORDER BY at, id LIMIT $5`, [
              shortcode,
              since,
              after.at,
              after.id,
              size,
            ])
          : q<DownloadRow>(`SELECT * FROM downloads WHERE ${EPISODE_GETS} ORDER BY at, id LIMIT $3`, [shortcode, since, size]),
      ),
    refusals: (limit = refusalRows) => q<RefusalRow>('SELECT * FROM refusals ORDER BY seq DESC LIMIT $1', [limit]),
    refusalRowCount: async () => (await q<{ n: number }>('SELECT COUNT(*) AS n FROM refusals'))[0]?.n ?? 0,
    refusalsPerDay: (shortcode, sinceDay) =>
      q<{ day: string; count: number }>('SELECT day, SUM(count) AS count FROM refusal_days WHERE station = $1 AND day >= $2 GROUP BY day ORDER BY day', [
        shortcode,
        sinceDay,
      ]),
  };
}
