/**
 * `npm run demo:cluster`: the panel as a fleet on one machine. PostgreSQL (DATABASE_URL, or a
 * throwaway cluster in DATA_DIR/postgres from Debian's binaries when it is not given), INSTANCES
 * app processes (default 2) on PORT+1 … PORT+N, and nginx on PORT in front of them: an upstream
 * of the instances, and a request that an instance failed to answer (connection refused, timeout,
 * nothing sent yet) is tried on the next. Sessions, API keys and history are in PostgreSQL, so any
 * instance serves any request. Ctrl-C stops everything. Each instance's /metrics is its own
 * (scrape them one by one, not through nginx). DELIVERY is stream (or redirect with S3).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { nginxConfig } from '../../lib';
import { readConfig, type DemoConfig } from '../config';
import { prepareDataDir } from '../data-dir';
import { describeDatabase, openDatabase } from '../db/database';
import { standaloneNginxConf } from '../nginx/standalone';
import { resolveWorkerUser } from '../nginx/worker-user';
import { DEMO_LOGINS, seedIfEmpty } from '../seed';
import { createDemoStorages } from '../storage';
import { postgresCluster, type PostgresCluster } from './postgres';

const repo = path.resolve(__dirname, '..', '..');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer().once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function readInstances(raw: string | undefined): number {
  const n = Number(raw ?? 2);
  if (!Number.isInteger(n) || n < 1 || n > 32) throw new Error(`INSTANCES must be a whole number from 1 to 32, not "${raw}"`);
  return n;
}

/** As root, PostgreSQL runs as `postgres`: it must pass through DATA_DIR (group postgres, 0710: no listing). */
async function startPostgres(config: DemoConfig): Promise<PostgresCluster> {
  if (process.getuid?.() === 0) {
    const { gid } = resolveWorkerUser('postgres');
    chownSync(config.dataDir, 0, gid);
    chmodSync(config.dataDir, 0o710);
  }
  const cluster = postgresCluster({ dir: path.join(config.dataDir, 'postgres'), port: await freePort(), database: 'panel' });
  await cluster.start();
  return cluster;
}

/** Seeds and migrates once, before the instances start (so they never race to seed). */
async function prepareData(config: DemoConfig): Promise<void> {
  const storages = createDemoStorages(config);
  await storages.prepare();
  const db = await openDatabase(config);
  try {
    await seedIfEmpty(db, storages, (l) => console.log(l));
  } finally {
    await db.close();
    storages.close();
  }
}

function startInstance(n: number, port: number, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repo, 'demo-app', 'server.ts')], {
    cwd: repo,
    env: { ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = (s: string) =>
    s
      .split('\n')
      .filter(Boolean)
      .map((l) => `[app ${n}] ${l}\n`)
      .join('');
  child.stdout?.setEncoding('utf8').on('data', (s: string) => void process.stdout.write(prefix(s)));
  child.stderr?.setEncoding('utf8').on('data', (s: string) => void process.stderr.write(prefix(s)));
  return child;
}

async function waitForInstance(host: string, port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`app instance on port ${port} exited (${child.exitCode})`);
    const ok = await fetch(`http://${host}:${port}/login`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`app instance on port ${port} did not answer within 60 s`);
}

/** nginx's folder outside DATA_DIR (which is PostgreSQL's group): its workers write their temp files there. */
function nginxDir(port: number): { dir: string; user?: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `station-files-cluster-${port}-`));
  chmodSync(dir, 0o755);
  if (process.getuid?.() !== 0) return { dir };
  const worker = resolveWorkerUser(process.env.NGINX_USER);
  for (const t of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
    mkdirSync(path.join(dir, 'tmp', t), { recursive: true });
    chownSync(path.join(dir, 'tmp', t), worker.uid, worker.gid);
  }
  return { dir, user: worker.directive };
}

async function startNginx(config: DemoConfig, ports: number[]): Promise<{ nginx: ChildProcess; dir: string }> {
  const storages = createDemoStorages(config);
  // One upstream of every instance; a request one of them refused or left unanswered (nothing
  // sent to the client yet) is tried on the others, never a POST (see nginxConfig's nextUpstream).
  const site = await nginxConfig({
    listen: `${config.host}:${config.port}`,
    app: ports.map((p) => `${config.host}:${p}`),
    nextUpstream: { tries: Math.max(2, ports.length) },
    storages: storages.storages,
  });
  storages.close();
  const { dir, user } = nginxDir(config.port);
  writeFileSync(path.join(dir, 'nginx.conf'), standaloneNginxConf(dir, site, user ? { user } : {}));
  const bin = process.env.NGINX_BIN ?? '/usr/sbin/nginx';
  const nginx = spawn(bin, ['-c', path.join(dir, 'nginx.conf'), '-p', dir, '-e', path.join(dir, 'error.log'), '-g', 'daemon off;'], { stdio: 'inherit' });
  nginx.on('error', (err) => {
    console.error(`demo:cluster: cannot start ${bin} (${err.message}); install the Debian package nginx`);
    process.exit(1);
  });
  return { nginx, dir };
}

function printBanner(config: DemoConfig, ports: number[], nginxDirPath: string): void {
  console.log(`\nstation-files demo panel, ${ports.length} instances behind nginx: http://${config.host}:${config.port}/`);
  console.log(`database: ${describeDatabase(config)} · data: ${config.dataDir} · delivery: ${config.delivery}`);
  console.log(`instances: ${ports.map((p) => `http://${config.host}:${p}/`).join(' ')} · nginx config: ${nginxDirPath}/nginx.conf`);
  console.log('logins:');
  for (const l of DEMO_LOGINS) console.log(`  ${l.email.padEnd(24)} ${l.password.padEnd(22)} ${l.role}`);
}

async function main(): Promise<void> {
  const config = readConfig(process.env);
  if (config.delivery === 'accel') throw new Error('demo:cluster serves with DELIVERY=stream (or redirect with S3); use demo:nginx for accel');
  const count = readInstances(process.env.INSTANCES);
  prepareDataDir(config.dataDir);
  const pg = config.databaseUrl ? null : await startPostgres(config);
  const databaseUrl = config.databaseUrl ?? pg?.url() ?? '';
  const withDb: DemoConfig = { ...config, databaseUrl };
  const children: ChildProcess[] = [];
  let nginxFolder: string | null = null;
  let stopping = false;
  const stop = async (code: number): Promise<never> => {
    if (!stopping) {
      stopping = true;
      for (const c of children) c.kill(c.spawnfile.endsWith('nginx') ? 'SIGQUIT' : 'SIGTERM');
      await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
      if (nginxFolder) rmSync(nginxFolder, { recursive: true, force: true });
      await pg?.stop().catch((err: unknown) => console.error(`demo:cluster: stopping PostgreSQL: ${String(err)}`));
    }
    process.exit(code);
  };
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));
  try {
    await prepareData(withDb);
    const ports = Array.from({ length: count }, (_, i) => config.port + 1 + i);
    const env = { ...process.env, DATABASE_URL: databaseUrl, DATA_DIR: config.dataDir };
    ports.forEach((port, i) => children.push(startInstance(i + 1, port, env)));
    for (const [i, port] of ports.entries()) await waitForInstance(config.host, port, children[i] as ChildProcess);
    const { nginx, dir } = await startNginx(withDb, ports);
    children.push(nginx);
    nginxFolder = dir;
    nginx.on('exit', (code) => {
      if (stopping) return;
      console.error(`demo:cluster: nginx exited (${code}); see ${dir}/error.log`);
      void stop(1);
    });
    printBanner(withDb, ports, dir);
  } catch (err) {
    console.error(`demo:cluster: ${err instanceof Error ? err.message : String(err)}`);
    await stop(1);
  }
}

main().catch((err: unknown) => {
  console.error(`demo:cluster: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
