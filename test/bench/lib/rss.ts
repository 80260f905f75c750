// In-process RSS sampling for the benchmark's child servers: every 50 ms, with an idle baseline
// and a peak that the parent resets before a measured transfer. Also reports the kernel's own
// high-water mark (VmHWM, reset through /proc/self/clear_refs): 50 ms samples miss short spikes
// (seen: 8 MiB sampled vs 21 MiB VmHWM), so the reported peak is the higher of the two.
import { readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface RssReport {
  /** RSS right now, bytes. */
  rss: number;
  /** RSS when the peak was last reset (after a GC), bytes. */
  baseline: number;
  /** Peak RSS since the reset, bytes: the higher of the 50 ms samples and the kernel's VmHWM. */
  peak: number;
  /** Highest sampled RSS since the reset, bytes (can miss spikes shorter than a sample interval). */
  sampledPeak: number;
  /** Kernel peak RSS (VmHWM) since the reset, bytes; null where /proc is unavailable. */
  hwm: number | null;
  samples: number;
  /** CPU seconds the process used since the reset (user + system). */
  cpuSeconds: number;
  /** Counts of `outcome/delivery` of the requests served (library server only). */
  outcomes: Record<string, number>;
}

function kernelHwm(): number | null {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m?.[1] ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

function resetKernelHwm(): void {
  try {
    writeFileSync('/proc/self/clear_refs', '5'); // 5: reset the peak RSS counter
  } catch {
    /* older kernels or no /proc: the sampled peak still works */
  }
}

export interface RssSampler {
  report(): RssReport;
  reset(): Promise<RssReport>;
  /** Answers GET /__bench/rss and POST /__bench/rss-reset; returns false for other requests. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  outcomes: Record<string, number>;
}

export function startRssSampler(intervalMs = 50): RssSampler {
  const rss = (): number => process.memoryUsage().rss;
  let baseline = rss();
  let peak = baseline;
  let samples = 0;
  let cpuAtReset = process.cpuUsage();
  const outcomes: Record<string, number> = {};
  const sample = (): number => {
    const now = rss();
    samples++;
    if (now > peak) peak = now;
    return now;
  };
  setInterval(sample, intervalMs).unref();

  const report = (): RssReport => {
    const now = sample();
    const hwm = kernelHwm();
    const cpu = process.cpuUsage(cpuAtReset);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    return { rss: now, baseline, peak: Math.max(peak, hwm ?? 0), sampledPeak: peak, hwm, samples, cpuSeconds, outcomes: { ...outcomes } };
  };
  const reset = async (): Promise<RssReport> => {
    globalThis.gc?.();
    await new Promise((r) => setTimeout(r, 100));
    baseline = rss();
    peak = baseline;
    samples = 0;
    cpuAtReset = process.cpuUsage();
    resetKernelHwm();
    for (const k of Object.keys(outcomes)) delete outcomes[k];
    return report();
  };
  const send = (res: ServerResponse, body: RssReport): void => {
    const json = JSON.stringify(body);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json) });
    res.end(json);
  };
  const handle = (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.url === '/__bench/rss' && req.method === 'GET') {
      send(res, report());
      return true;
    }
    if (req.url === '/__bench/rss-reset' && req.method === 'POST') {
      req.resume();
      void reset().then((r) => send(res, r));
      return true;
    }
    return false;
  };
  return { report, reset, handle, outcomes };
}

/** Exits when the parent goes away (its end of our stdin closes), so no server outlives a run. */
export function exitWithParent(): void {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => process.exit(0));
}

/** Announces the listening port to the parent: one JSON line on stdout. */
export function announce(port: number): void {
  process.stdout.write(`${JSON.stringify({ port, pid: process.pid })}\n`);
}
