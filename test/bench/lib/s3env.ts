// S3 for the benchmark: the caller's endpoint when S3_ENDPOINT is set, else a throwaway Ceph cluster
// of our own (test/support/ceph-s3.sh) on ports apart from the test suite's (7490/3310/6799 by default).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../../lib/entry/s3';
import { ensureBucket, s3TestConfig, type S3TestConfig } from '../../support/s3';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const CEPH_SCRIPT = path.join(REPO_ROOT, 'test', 'support', 'ceph-s3.sh');

/**
 * The S3 client every arm uses (library server, buffering proxy, direct GetObject): one config.
 * `BENCH_S3_MAX_SOCKETS` (set for a child by a scenario that runs more concurrent downloads than
 * the library's default pool of 50) raises its socket pool; otherwise the library's default.
 */
export function benchS3Client(cfg: S3TestConfig = s3TestConfig()): S3Client {
  const maxSockets = Number(process.env.BENCH_S3_MAX_SOCKETS);
  return createS3Client({
    endpoint: cfg.endpoint,
    region: cfg.region,
    forcePathStyle: cfg.forcePathStyle,
    credentials: { accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey },
    ...(Number.isInteger(maxSockets) && maxSockets > 0 ? { maxSockets } : {}),
  });
}

function runCeph(cmd: 'start' | 'stop', dir: string, env: NodeJS.ProcessEnv, onSpawn?: (kill: () => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [CEPH_SCRIPT, cmd, dir], { env, stdio: ['ignore', 2, 2] }); // stdout is for result lines
    onSpawn?.(() => child.kill('SIGTERM'));
    child.on('error', reject);
    child.on('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`ceph-s3.sh ${cmd} failed (${code ?? signal})`))));
  });
}

function benchRunnerAlive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('test/bench/run');
  } catch {
    return false;
  }
}

/** Stops clusters and removes data left by bench runs that died without cleaning up (kill -9). */
export async function cleanStaleRuns(tmpRoot: string): Promise<void> {
  if (!existsSync(tmpRoot)) return;
  for (const name of readdirSync(tmpRoot)) {
    if (!name.startsWith('bench-')) continue;
    const dir = path.join(tmpRoot, name);
    const pidFile = path.join(dir, 'runner.pid');
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : NaN;
    if (Number.isInteger(pid) && benchRunnerAlive(pid)) continue;
    process.stderr.write(`bench: removing stale run ${dir}\n`);
    if (existsSync(path.join(dir, 'ceph', 'ceph.conf'))) await runCeph('stop', path.join(dir, 'ceph'), process.env).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface S3Env {
  cfg: S3TestConfig;
  /** true when the cluster is ours (started here, stopped by stop()). */
  own: boolean;
  stop(): Promise<void>;
}

/**
 * Uses S3_ENDPOINT (+ S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_BUCKET, S3_REGION, S3_FORCE_PATH_STYLE)
 * when set; otherwise starts Ceph in `runDir/ceph` and exports the S3_* variables for the children.
 * `onKill` receives a function that interrupts a start in progress (for SIGINT during the start).
 */
export async function startS3(runDir: string, onKill: (kill: () => void) => void): Promise<S3Env> {
  const env = process.env;
  env.S3_BUCKET ||= 'station-files-bench';
  if (env.S3_ENDPOINT) {
    const cfg = s3TestConfig();
    const client = benchS3Client(cfg);
    await ensureBucket(client, cfg.bucket).finally(() => client.destroy());
    return { cfg, own: false, stop: async () => {} };
  }
  const cephDir = path.join(runDir, 'ceph');
  const cephEnv: NodeJS.ProcessEnv = {
    ...env,
    S3_PORT: env.S3_PORT || '7490',
    CEPH_MON_PORT: env.CEPH_MON_PORT || '3310',
    CEPH_MON_V1_PORT: env.CEPH_MON_V1_PORT || '6799',
    S3_ACCESS_KEY: env.S3_ACCESS_KEY || 'benchaccess',
    S3_SECRET_KEY: env.S3_SECRET_KEY || 'benchsecret',
  };
  writeFileSync(path.join(runDir, 'runner.pid'), String(process.pid));
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (existsSync(cephDir)) await runCeph('stop', cephDir, cephEnv);
  };
  process.stderr.write(`bench: starting Ceph on :${cephEnv.S3_PORT} (mon ${cephEnv.CEPH_MON_PORT}/${cephEnv.CEPH_MON_V1_PORT}) in ${cephDir}\n`);
  try {
    await runCeph('start', cephDir, cephEnv, onKill);
    env.S3_ENDPOINT = `http://127.0.0.1:${cephEnv.S3_PORT}`;
    env.S3_ACCESS_KEY_ID = cephEnv.S3_ACCESS_KEY;
    env.S3_SECRET_ACCESS_KEY = cephEnv.S3_SECRET_KEY;
    env.S3_FORCE_PATH_STYLE = 'true';
    env.S3_REGION ||= 'us-east-1';
    const cfg = s3TestConfig();
    const client = benchS3Client(cfg);
    await ensureBucket(client, cfg.bucket).finally(() => client.destroy());
    return { cfg, own: true, stop };
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
}
