// Pieces of test/reliability/fleet.test.ts: demo panel instances as child processes on one
// PostgreSQL, nginx in front of them (nginxConfig with app: [...]) logging which upstreams each
// request tried, and a client that checks every body byte against the file on disk and tells a
// complete response from one that was cut.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileUrl } from '../../../demo-app/catalog';
import { readConfig } from '../../../demo-app/config';
import type { FileKind } from '../../../demo-app/db/types';
import { createDemoStorages } from '../../../demo-app/storage';
import { nginxConfig } from '../../../lib';
import { withDb, type DemoFixture } from '../../support/demo-db';
import { freePort, startNginx, type NginxInstance } from '../../support/nginx';

const REPO = path.resolve(__dirname, '..', '..', '..');
export const DEMO_SERVER = path.join(REPO, 'demo-app', 'server.ts');
export const WITNESS_SERVER = path.join(__dirname, 'fleet-instance.ts');

export interface Instance {
  port: number;
  child: ChildProcess;
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

/** The environment without the suite's S3_* (the demo would serve from S3 otherwise). */
function localEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('S3_')) env[k] = v;
  return { ...env, ...extra };
}

/** Starts `script` (a demo server) on `port` and waits until it answers GET /login. */
export async function startInstance(script: string, port: number, env: Record<string, string>): Promise<Instance> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: REPO,
    env: localEnv({ ...env, PORT: String(port), HOST: '127.0.0.1' }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    err = (err + s).slice(-20_000);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  for (let i = 0; ; i++) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`instance on ${port} exited: ${err}`);
    const status = await fetch(`http://127.0.0.1:${port}/login`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) break;
    if (i > 600) throw new Error(`instance on ${port} not ready after 60 s: ${err}`);
    await sleep(100);
  }
  return { port, child, exited, stderr: () => err };
}

/** nginx access log: the client's X-Test-Seq, status, bytes, completion, upstreams tried and their statuses. */
const LOG_FORMAT = '$http_x_test_seq $status $body_bytes_sent "$request_completion" "$upstream_addr" "$upstream_status"';

/** nginx on a free port in front of `ports`, from nginxConfig() with the fixture's storages (accel locations included). */
export async function fleetNginx(fx: DemoFixture, ports: number[]): Promise<NginxInstance> {
  const storages = createDemoStorages(readConfig({ ...fx.env, DELIVERY: 'accel' }));
  const listenPort = await freePort();
  try {
    const config = await nginxConfig({ listen: `127.0.0.1:${listenPort}`, app: ports.map((p) => `127.0.0.1:${p}`), storages: storages.storages });
    return await startNginx({ config, listenPort, accessLogFormat: LOG_FORMAT });
  } finally {
    storages.close();
  }
}

export interface LogLine {
  status: number;
  /** Every upstream tried, in order (two or more: the request was retried). */
  upstreams: string[];
}

/** nginx's access log by X-Test-Seq (lines without one are skipped). */
export function parseNginxLog(text: string): Map<number, LogLine> {
  const lines = new Map<number, LogLine>();
  for (const line of text.split('\n')) {
    const m = /^(\d+) (\d+) \d+ "[^"]*" "([^"]*)" "[^"]*"$/.exec(line);
    if (!m) continue;
    const upstreams = (m[3] ?? '').split(/[,:] (?=\d|unix)/).filter((u) => u !== '' && u !== '-');
    lines.set(Number(m[1]), { status: Number(m[2]), upstreams: upstreams.map((u) => u.trim()) });
  }
  return lines;
}

export interface FleetFile {
  url: string;
  kind: FileKind;
  size: number;
  bytes: Buffer;
}

/** An API key of the admin and every file of station alpha, with its bytes from disk. */
export async function alphaFiles(fx: DemoFixture): Promise<{ key: string; files: FleetFile[] }> {
  return withDb(fx, async (db) => {
    const key = await db.createApiKey(1);
    const alpha = await db.station('alpha');
    if (!alpha) throw new Error('no station alpha');
    const files: FleetFile[] = [];
    for (const kind of ['recording', 'media', 'episode'] as const) {
      for (const row of await db.files(alpha.id, kind)) {
        const bytes = readFileSync(path.join(fx.dataDir, 'files', ...row.key.split('/')));
        files.push({ url: fileUrl('alpha', row), kind, size: row.size, bytes });
      }
    }
    return { key, files };
  });
}
