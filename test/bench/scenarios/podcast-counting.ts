// podcast-counting: countPodcastDownloads over 10 million (× scale) synthetic episode events spread over 30 days,
// read as a stream in time order (a generator, as from a log), in the runner process. Measures events/s (the
// generator's own time, measured in a first pass, subtracted; also given with it) and the
// heap: peak over the run and at the end of its first quarter (state is kept only for open windows, so the peak
// should not grow with the number of events once the windows of a day are open). No server, no S3.
import type { DownloadEvent } from '../../../lib/log/events';
import { countPodcastDownloads } from '../../../lib/log/podcast-stats';
import type { BenchContext } from '../lib/context';
import { metric } from '../lib/report';

const SCENARIO = 'podcast-counting';
const MONTH_MS = 30 * 86_400_000;
const LISTENERS = 20_000;
const EPISODES = 200;
const SIZE = 50 * 1024 * 1024;
const CHUNK = 1024 * 1024;
const AGENTS = [
  'AppleCoreMedia/1.0.0.21E236 (iPhone; U; CPU OS 17_4_1 like Mac OS X; en_gb)',
  'Spotify/8.9.20 iOS/17.4 (iPhone16,1)',
  'Podcasts/4025.400.4 CFNetwork/1496.0.7 Darwin/23.5.0',
  'Overcast/3.0 (+http://overcast.fm/; iOS podcast app)',
  'CastBox/8.20.1-230912 (Linux;Android 14) ExoPlayerLib/2.18.1',
  'PodcastAddict/v5 (+https://podcastaddict.com/; Android podcast app)',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'AmazonMusic/24.6.1 iPhone15,3 CFNetwork/1494.0.7 Darwin/23.4.0',
];
const BOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';

/** xorshift32: fast, deterministic. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

export interface Sampler {
  peak: number;
  quarter: number;
}

const POOL = 65_536; // event shells reused in turn: far more than the reorder buffer holds (1 h is 14,000 events at full scale)

function shell(): DownloadEvent {
  return {
    id: '',
    correlationId: null,
    authenticated: false,
    via: 'public',
    linkSubject: null,
    stationExists: true,
    at: '',
    outcome: 'completed',
    reason: null,
    status: 206,
    station: 'radio-a',
    user: null,
    kind: 'public-episode',
    fileId: null,
    ids: {},
    storage: 'local',
    delivery: 'stream',
    method: 'GET',
    range: null,
    served: null,
    bytesSent: 0,
    size: SIZE,
    durationMs: 40,
    ip: '',
    userAgent: null,
    referer: null,
  };
}

/**
 * `at` strings by time, made once per second from the minute's prefix and a table of seconds: a Date and
 * toISOString per second would cost the generator as much as the counting it feeds (a 0.05-scale run has a new
 * second at nearly every event).
 */
function isoSeconds(): (t: number) => string {
  const seconds = Array.from({ length: 60 }, (_, s) => `${String(s).padStart(2, '0')}.000Z`);
  let second = Number.NaN;
  let minute = Number.NaN;
  let prefix = '';
  let at = '';
  return (t) => {
    const s = Math.floor(t / 1000);
    if (s === second) return at;
    second = s;
    if (Math.floor(s / 60) !== minute) {
      minute = Math.floor(s / 60);
      prefix = new Date(minute * 60_000).toISOString().slice(0, 17);
    }
    at = prefix + seconds[s - minute * 60];
    return at;
  };
}

/**
 * `n` events in time order over 30 days, as a log reader would yield them: 20,000 listeners (IP + app), each with 10
 * subscribed episodes of 200, mostly 1 MiB ranges, 2 % HEAD, 2 % `bytes=0-1` probes, 3 % Googlebot. The fields are set
 * on a pool of shells, so generating costs little next to counting. Samples heapUsed 40 times over the run into `mem`.
 */
export function* events(n: number, mem: Sampler): Generator<DownloadEvent> {
  const rnd = random(0x9e3779b9);
  const ips = Array.from({ length: LISTENERS }, (_, l) => `10.${(l >> 8) & 255}.${l & 255}.${l % 7}`);
  const ids = Array.from({ length: EPISODES }, (_, e) => ({ station: 'radio-a', podcast: 'news', episode: String(e) }));
  const chunks = Array.from({ length: SIZE / CHUNK }, (_, c) => ({ start: c * CHUNK, end: (c + 1) * CHUNK - 1 }));
  const probe = { start: 0, end: 1 };
  const pool = Array.from({ length: POOL }, shell);
  const start = Date.parse('2024-05-01T00:00:00.000Z');
  const at = isoSeconds();
  const every = Math.max(10_000, Math.floor(n / 40));
  for (let i = 0; i < n; i += 1) {
    const t = start + Math.floor((i * MONTH_MS) / n);
    const r = rnd();
    const l = r % LISTENERS;
    const ep = ids[(l * 7 + ((r >>> 16) % 10) * 13) % EPISODES] as { episode: string };
    const kind = (r >>> 8) % 100;
    const e = pool[i % POOL] as DownloadEvent;
    e.at = at(t);
    e.ip = ips[l] as string;
    e.userAgent = kind >= 97 ? BOT : (AGENTS[l % AGENTS.length] as string);
    e.ids = ep;
    e.fileId = ep.episode;
    e.method = kind < 2 ? 'HEAD' : 'GET';
    e.served = kind < 2 ? null : kind < 4 ? probe : (chunks[(r >>> 12) % chunks.length] as { start: number; end: number });
    e.bytesSent = e.served === null ? 0 : e.served.end - e.served.start + 1;
    yield e;
    if (i % every === 0) {
      mem.peak = Math.max(mem.peak, process.memoryUsage().heapUsed);
      if (i <= n / 4) mem.quarter = mem.peak;
    }
  }
}

export async function run(ctx: BenchContext): Promise<void> {
  const n = Math.max(100_000, Math.round(10_000_000 * ctx.scale));
  const g0 = performance.now();
  for (const _ of events(n, { peak: 0, quarter: 0 })) void _; // the generator alone, to subtract
  const generating = (performance.now() - g0) / 1000;
  const before = process.memoryUsage().heapUsed;
  const mem: Sampler = { peak: before, quarter: before };
  const t0 = performance.now();
  const result = countPodcastDownloads(events(n, mem), { episodeInfo: () => ({ bitrate: 128_000 }) });
  const total = (performance.now() - t0) / 1000;
  const seconds = Math.max(total - generating, 1e-3);
  const downloads = result.episodes.reduce((k, e) => k + e.downloads, 0);
  ctx.log(
    `${n} events in ${total.toFixed(1)} s (generator alone ${generating.toFixed(1)} s): ${downloads} downloads, excluded ${JSON.stringify(result.excluded)}`,
  );
  const mib = (b: number): number => (b - before) / 1024 / 1024;
  ctx.emit(metric(SCENARIO, 'events_per_s', n / seconds, 'events/s', { target: { on: 'value', op: '>=', limit: 1_000_000 } }));
  ctx.emit(metric(SCENARIO, 'events_per_s_with_generator', n / total, 'events/s'));
  ctx.emit(metric(SCENARIO, 'heap_growth_first_quarter', mib(mem.quarter), 'MiB'));
  ctx.emit(
    metric(SCENARIO, 'heap_growth_peak', mib(mem.peak), 'MiB', {
      baseline: mib(mem.quarter),
      target: { on: 'ratio', op: '<=', limit: 1.5 },
    }),
  );
  ctx.emit(metric(SCENARIO, 'downloads', downloads, 'count'));
}
