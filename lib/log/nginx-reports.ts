/**
 * createNginxReports: the app's end of the report channel. A UDP socket on loopback receives the
 * syslog line nginx writes when a handed-off download ends (nginxConfig's `report` option), checks
 * its secret, and completes the DownloadEvent waiting for it; events whose report does not come
 * are still emitted, marked, after `timeoutMs`, and at most `maxPending` wait at once.
 */
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import { loopbackAddress, REPORT_SECRET, REPORT_TAG } from '../delivery/nginx-report-config';
import { OptionsReader } from '../options/reader';
import type { DownloadEvent } from './events';
import { parseReportLine } from './nginx-report-line';
import { PendingReports, type PendingCounts } from './nginx-report-pending';

/** Options for {@link createNginxReports}. */
export interface NginxReportsOptions {
  /** Loopback `address:port` to receive on (`127.0.0.1:5140`, `[::1]:5140`; port 0: any free one). */
  listen: string;
  /** The secret nginx puts in every line (the same as nginxConfig's `report.secret`): 16–256 of A–Z a–z 0–9 _ -. */
  secret: string;
  /** The syslog tag nginx sends (nginxConfig's `report.tag`). @default 'station_files' */
  tag?: string;
  /** How long an event waits for its report before it is emitted marked `timeout`. @default 43200000 (12 h) */
  timeoutMs?: number;
  /** Hand-offs waiting at once; past it, events are emitted at once, marked `overflow`. @default 100000 */
  maxPending?: number;
  /** SO_RCVBUF asked of the kernel (it caps it at net.core.rmem_max). @default 8388608 */
  recvBufferSize?: number;
  /** Socket errors (the channel is then closed: waiting events are emitted, marked `closed`). @default console.error */
  onError?: (err: Error) => void;
}

/** Counters of a receiver: {@link PendingCounts} and what arrived on the socket. */
export interface NginxReportStats extends PendingCounts {
  /** Datagrams received. */
  received: number;
  /** Lines with the wrong secret: someone else writing to the port. Dropped. */
  forged: number;
  /** Datagrams that are not report lines. Dropped. */
  garbled: number;
  /** The receive buffer the kernel granted, in bytes (0 before the socket is bound). */
  recvBufferSize: number;
}

/** A running receiver; pass it as createStationFiles' `nginxReports`. */
export interface NginxReports {
  /** Resolves with the bound address once the socket listens (rejects when it cannot). */
  listening(): Promise<{ address: string; port: number }>;
  stats(): NginxReportStats;
  /** Stops receiving; waiting events are emitted at once, marked `closed`. */
  close(): Promise<void>;
}

const KEYS = ['listen', 'secret', 'tag', 'timeoutMs', 'maxPending', 'recvBufferSize', 'onError'] as const;
const pendings = new WeakMap<NginxReports, PendingReports<DownloadEvent>>();

/** The waiting hand-offs of a receiver made by createNginxReports, or undefined for anything else. */
export function pendingOf(reports: unknown): PendingReports<DownloadEvent> | undefined {
  return typeof reports === 'object' && reports !== null ? pendings.get(reports as NginxReports) : undefined;
}

/**
 * Starts the receiver of nginx's download reports: a UDP socket bound to loopback only. Give the
 * same secret (and the bound address) to nginxConfig's `report`, and the receiver to
 * createStationFiles; every hand-off's event is then emitted once nginx reports what it sent.
 *
 * @example
 * const reports = createNginxReports({ listen: '127.0.0.1:5140', secret: process.env.REPORT_SECRET });
 * const files = createStationFiles({ ..., nginxReports: reports });
 * // nginx side: nginxConfig({ ..., report: { address: '127.0.0.1:5140', secret: process.env.REPORT_SECRET } })
 */
export function createNginxReports(options: NginxReportsOptions): NginxReports {
  const o = OptionsReader.of('createNginxReports', options, KEYS);
  const listen = o.string('listen', /^.+$/, 'a loopback address:port such as 127.0.0.1:5140', '');
  const where = loopbackAddress(listen) ?? o.fail('listen', 'a loopback address:port such as 127.0.0.1:5140 (the channel is never exposed)');
  const secret = Buffer.from(o.string('secret', REPORT_SECRET, '16–256 characters of A-Z a-z 0-9 _ -', ''), 'utf8');
  const tag = o.string('tag', REPORT_TAG, 'a syslog tag (1–32 of A-Z a-z 0-9 _)', 'station_files');
  const pending = new PendingReports<DownloadEvent>({
    timeoutMs: o.integer('timeoutMs', { min: 1, max: 2_147_483_647 }, 43_200_000),
    maxPending: o.integer('maxPending', { min: 0, max: 100_000_000 }, 100_000),
    now: () => performance.now(),
  });
  const recvBufferSize = o.integer('recvBufferSize', { min: 4096, max: 1 << 30 }, 8 << 20);
  const onError = o.optionalFunction<(err: Error) => void>('onError') ?? ((err: Error) => console.error(`station-files: nginx reports: ${err.message}`));
  const socket = dgram.createSocket({ type: isIP(where.host) === 6 ? 'udp6' : 'udp4', recvBufferSize });
  const counts = { received: 0, forged: 0, garbled: 0 };
  socket.on('message', (msg) => {
    counts.received++;
    const line = parseReportLine(msg.toString('utf8'), tag, secret);
    if (typeof line === 'string') counts[line]++;
    else pending.receive(line);
  });
  const bound = bind(socket, where, () => pending.close(), onError);
  const sweeper = setInterval(() => pending.sweep(), 1000);
  sweeper.unref();
  const reports: NginxReports = {
    listening: () => bound,
    stats: () => ({ ...pending.stats(), ...counts, recvBufferSize: bufferSize(socket) }),
    close: async () => {
      clearInterval(sweeper);
      pending.close();
      await bound.catch(() => undefined);
      await new Promise<void>((resolve) => {
        try {
          socket.close(() => resolve());
        } catch {
          resolve(); // already closed after an error
        }
      });
    },
  };
  pendings.set(reports, pending);
  return reports;
}

function bind(
  socket: dgram.Socket,
  where: { host: string; port: number },
  down: () => void,
  onError: (err: Error) => void,
): Promise<{ address: string; port: number }> {
  const bound = new Promise<{ address: string; port: number }>((resolve, reject) => {
    socket.once('listening', () => {
      const a = socket.address();
      resolve({ address: a.address, port: a.port });
    });
    socket.on('error', (err) => {
      down();
      reject(err);
      onError(err);
    });
  });
  bound.catch(() => undefined); // reported through onError; listening() still rejects for whoever asks
  socket.bind(where.port, where.host);
  return bound;
}

function bufferSize(socket: dgram.Socket): number {
  try {
    return socket.getRecvBufferSize();
  } catch {
    return 0;
  }
}
