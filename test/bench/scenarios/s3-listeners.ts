// s3-listeners: 1,000 (× scale, at least 20) podcast listeners at once, each reading an S3 episode
// through the library's public enclosure route (createStationFiles podcasts(), stream mode, a
// jsonLinesLog sink) at 16 KiB/s (128 kbit/s) for 60 s (× scale, at least 5 s), as players do
// while someone listens. Listeners arrive over the first 5 s (× scale); a third ask for the whole
// episode, the rest for `bytes=<offset>-` from somewhere in its first half; episodes (4 × 4 MiB)
// outlast the run, so every stream is still open at the end, when the listeners hang up.
// Measured: the server's peak RSS growth, the S3 connections it holds (sampled every 200 ms from
// /proc against the pool size, maxSockets), its CPU, when each listener got its first byte, how
// much of the run listeners spent starved (owed more than a second of audio), and that every byte
// any listener got is the episode's byte at that offset; one download event per listener.
import http from 'node:http';
import path from 'node:path';
import { deterministicReader } from '../../support/s3';
import { percentile, sleep } from '../lib/client';
import { MiB, type BenchContext, type Fixture } from '../lib/context';
import { rssGrowth } from '../lib/child';
import { settledLineCount } from '../lib/logfile';
import { tcpConnectionsTo } from '../lib/proc-rss';
import { metric } from '../lib/report';
import { BENCH_STATION, type StationServerSpec } from '../lib/storages';

const NAME = 's3-listeners';
const RATE = 16 * 1024; // bytes per second: 128 kbit/s
const TICK_MS = 100;
const EPISODES = 4;
const EPISODE_SIZE = 4 * MiB;
/** The server's S3 pool: the library's default (createS3Client maxSockets), or BENCH_S3_MAX_SOCKETS. */
const MAX_SOCKETS = Number(process.env.BENCH_S3_MAX_SOCKETS) > 0 ? Number(process.env.BENCH_S3_MAX_SOCKETS) : 50;
const USER_AGENT = 'AppleCoreMedia/1.0.0.21A329 (iPhone; U; CPU OS 17_0 like Mac OS X; en_us)';

interface Listener {
  req: http.ClientRequest;
  res?: http.IncomingMessage;
  start: number; // first byte asked for
  startedAt: number;
  headersAt?: number;
  firstByteAt?: number; // the first body bytes arrived (not when the player took them)
  received: number;
  owed: number; // bytes the player wanted and has not had yet
  starvedMs: number;
  next?: (n: number) => Buffer;
  error?: string;
}

function startListener(url: string, episode: Fixture, start: number, onDone: () => void): Listener {
  const l: Listener = { start, startedAt: performance.now(), received: 0, owed: 0, starvedMs: 0 } as Listener;
  const headers: Record<string, string> = { 'user-agent': USER_AGENT };
  if (start > 0) headers.range = `bytes=${start}-`;
  l.req = http.get(url, { agent: false, headers }, (res) => {
    l.res = res;
    l.headersAt = performance.now();
    const want = start > 0 ? 206 : 200;
    const range = res.headers['content-range'];
    if (res.statusCode !== want || (start > 0 && range !== `bytes ${start}-${episode.size - 1}/${episode.size}`)) {
      l.error = `status ${res.statusCode}, content-range ${range}`;
      res.destroy();
      return;
    }
    l.next = deterministicReader(episode.seed, episode.size, start);
    res.once('readable', () => (l.firstByteAt = performance.now()));
    res.on('error', (err) => {
      if (!stopping) l.error ??= err.message;
    });
    res.on('end', () => (l.error ??= 'the body ended early'));
  });
  l.req.on('error', (err) => {
    if (!l.error && !stopping) l.error = err.message;
  });
  l.req.on('close', onDone);
  return l;
}

let stopping = false;

/** One tick of every listener: it is owed RATE × dt bytes and takes what has arrived of them. */
function tick(listeners: Listener[], dtMs: number): void {
  const due = (RATE * dtMs) / 1000;
  for (const l of listeners) {
    if (l.error || !l.res || !l.next) continue;
    l.owed += due;
    const n = Math.min(Math.floor(l.owed), l.res.readableLength);
    if (n > 0) {
      const got = l.res.read(n) as Buffer | null;
      if (got) {
        if (!got.equals(l.next(got.length))) {
          l.error = `wrong bytes at offset ${l.start + l.received}`;
          l.res.destroy();
          continue;
        }
        l.received += got.length;
        l.owed -= got.length;
      }
    }
    if (l.owed > RATE) l.starvedMs += dtMs;
  }
}

export async function run(ctx: BenchContext): Promise<void> {
  const count = Math.max(20, Math.round(1000 * ctx.scale));
  const durationMs = Math.max(5000, Math.round(60_000 * ctx.scale));
  const rampMs = Math.max(1000, Math.round(5000 * ctx.scale));
  const env = await ctx.s3();
  const episodes = await Promise.all(Array.from({ length: EPISODES }, (_v, i) => ctx.objectOfSize(`episode-${i + 1}`, EPISODE_SIZE)));
  const logFile = path.join(ctx.runDir, 's3-listeners.jsonl');
  const files: StationServerSpec['files'] = {};
  episodes.forEach((e, i) => (files[`e${i + 1}`] = { storage: 's3', key: e.key, filename: `episode-${i + 1}.mp3` }));
  const spec: StationServerSpec = {
    storages: { s3: { kind: 's3' } },
    files,
    // One client address stands for 1,000 listeners: the per-client limit of new downloads is off.
    mounts: [{ at: '/', router: 'podcasts', log: 'jsonl', noPublicRateLimit: true }],
    logFile,
  };
  const app = await ctx.stationServer('station-files (S3 podcasts)', spec);
  const s3Port = Number(new URL(env.cfg.endpoint).port || 80);
  const url = (i: number): string => `${app.url}/station/${BENCH_STATION}/public/podcast/p1/episode/e${i + 1}/download.mp3`;
  ctx.log(
    `  ${count} listeners at ${RATE / 1024} KiB/s for ${durationMs / 1000} s, arriving over ${rampMs / 1000} s; ${EPISODES} episodes of ${EPISODE_SIZE / MiB} MiB`,
  );

  stopping = false;
  const listeners: Listener[] = [];
  let open = 0;
  const before = await app.resetRss();
  const sockets: number[] = [];
  const sampler = setInterval(() => sockets.push(tcpConnectionsTo(app.pid, s3Port)), 200);
  const t0 = performance.now();
  let last = t0;
  const ticker = setInterval(() => {
    const now = performance.now();
    tick(listeners, now - last);
    last = now;
  }, TICK_MS);
  try {
    for (let i = 0; i < count; i++) {
      const episode = episodes[i % EPISODES]!;
      // a third from the start; the rest from a 4 KiB-aligned offset in the first half
      const start = i % 3 === 0 ? 0 : Math.floor((((i * 7919) % 1000) / 1000) * (episode.size / 2 / 4096)) * 4096 || 4096;
      open++;
      listeners.push(startListener(url(i % EPISODES), episode, start, () => open--));
      const arriveBy = t0 + (rampMs * (i + 1)) / count;
      const wait = arriveBy - performance.now();
      if (wait > 1) await sleep(wait);
    }
    await sleep(Math.max(0, t0 + durationMs - performance.now()));
  } finally {
    clearInterval(ticker);
    clearInterval(sampler);
    stopping = true;
    for (const l of listeners) l.req.destroy();
  }
  const seconds = (performance.now() - t0) / 1000;
  const after = await app.rss();
  for (let i = 0; i < 50 && open > 0; i++) await sleep(100);

  const growth = rssGrowth(before, after);
  const failed = listeners.filter((l) => l.error);
  const ttfb = listeners.filter((l) => l.firstByteAt !== undefined).map((l) => l.firstByteAt! - l.startedAt);
  const never = listeners.filter((l) => !l.error && l.firstByteAt === undefined).length;
  const listened = listeners.reduce((a, l) => a + (t0 + seconds * 1000 - l.startedAt), 0);
  const starved = listeners.reduce((a, l) => a + l.starvedMs, 0);
  const bytes = listeners.reduce((a, l) => a + l.received, 0);
  const maxSockets = sockets.length ? Math.max(...sockets) : Number.NaN;
  const cpu = after.cpuSeconds;
  ctx.log(
    `  server: ${growth.text}; CPU ${cpu.toFixed(1)} s in ${seconds.toFixed(1)} s; S3 connections max ${maxSockets} (pool ${MAX_SOCKETS}), median ${percentile(sockets, 50)}`,
  );
  ctx.log(
    `  listeners: ${failed.length} failed${failed.length ? ` (${failed[0]!.error})` : ''}, ${never} never got a byte; first byte p50 ${percentile(ttfb, 50).toFixed(0)} / p99 ${percentile(ttfb, 99).toFixed(0)} / max ${Math.max(...ttfb).toFixed(0)} ms; starved ${((100 * starved) / listened).toFixed(1)} % of listening time; ${(bytes / MiB).toFixed(0)} MiB checked`,
  );
  const logged = await settledLineCount(logFile);
  ctx.emit(metric(NAME, 'rss_growth', growth.mib, 'MiB', { target: { on: 'value', op: '<=', limit: 256 } }));
  ctx.emit(metric(NAME, 's3_connections_max', maxSockets, 'count', { target: { on: 'value', op: '<=', limit: MAX_SOCKETS } }));
  ctx.emit(metric(NAME, 'listeners_failed', failed.length + never, 'count', { target: { on: 'value', op: '==', limit: 0 } }));
  ctx.emit(metric(NAME, 'first_byte_p50', percentile(ttfb, 50), 'ms'));
  ctx.emit(metric(NAME, 'first_byte_p99', percentile(ttfb, 99), 'ms'));
  ctx.emit(metric(NAME, 'starved_share', (100 * starved) / listened, '%'));
  ctx.emit(metric(NAME, 'server_cpu', (100 * cpu) / seconds, '% of a core'));
  ctx.emit(metric(NAME, 'bytes_checked', bytes / MiB, 'MiB', { baseline: (count * RATE * (seconds - rampMs / 2000)) / MiB }));
  ctx.emit(metric(NAME, 'events_logged', logged, 'count', { target: { on: 'value', op: '==', limit: count } }));
  await app.stop();
}
