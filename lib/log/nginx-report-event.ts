/**
 * A hand-off's DownloadEvent completed with what nginx reported (status, bytes, completion,
 * time), or marked with why no report came. Pure.
 */
import type { DownloadEvent } from './events';
import type { ReportLine } from './nginx-report-line';
import type { ReportMark } from './nginx-report-pending';
import { outcomeForStatus } from './outcome';

/**
 * The event as nginx saw the request end: nginx's status and `$body_bytes_sent`, `completed`
 * when nginx sent the whole response (else `aborted`; 4xx/5xx by status), and the whole
 * request's time. A mark (`timeout`, `overflow`, `closed`) keeps the app's view, bytes unknown.
 *
 * @example
 * withReport(event, { id, status: 206, bytesSent: 1048576, completed: true, … })
 * // { …event, status: 206, bytesSent: 1048576, outcome: 'completed', report: 'nginx', nginx: { … } }
 */
export function withReport(event: DownloadEvent, report: ReportLine | ReportMark): DownloadEvent {
  if (typeof report === 'string') return { ...event, bytesSent: null, report, nginx: null };
  const served = report.status === 200 || report.status === 206 ? event.served : null;
  return {
    ...event,
    status: report.status,
    outcome: outcomeForStatus(report.status, report.completed),
    bytesSent: report.bytesSent,
    served,
    durationMs: Math.max(event.durationMs, report.requestTimeMs),
    report: 'nginx',
    nginx: {
      requestId: report.requestId,
      requestTimeMs: report.requestTimeMs,
      upstreamStatus: report.upstreamStatus,
      upstreamTimeMs: report.upstreamTimeMs,
    },
  };
}
