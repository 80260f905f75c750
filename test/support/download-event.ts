// A complete DownloadEvent for tests of sinks and logs: the n-th download of a recording, every
// field set, with any field overridable. (Podcast counting has its own builders, with realistic
// episode requests, in podcast-requests.ts.)
import type { DownloadEvent } from '../../lib';

/** The n-th event: id `req-<n>`, `at` n ms after a fixed instant, `bytesSent` n. */
export function downloadEvent(n: number, extra: Partial<DownloadEvent> = {}): DownloadEvent {
  return {
    id: `req-${n}`,
    correlationId: null,
    authenticated: false,
    via: 'public',
    reason: null,
    linkSubject: null,
    ids: {},
    served: null,
    stationExists: true,
    at: new Date(Date.UTC(2026, 10, 29, 10, 0, 0) + n).toISOString(),
    outcome: 'completed',
    status: 200,
    station: 'radio-1',
    user: { id: 'u1', name: 'Ünïcode "quoted"\nnewline' },
    kind: 'recording',
    fileId: `file-${n}`,
    storage: 'local',
    delivery: 'stream',
    method: 'GET',
    range: null,
    bytesSent: n,
    size: 1000,
    durationMs: 3,
    ip: '203.0.113.7',
    userAgent: 'test-agent',
    referer: null,
    ...extra,
  };
}
