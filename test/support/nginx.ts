// Throwaway nginx for tests: a full nginx.conf in a temp dir under .test-tmp/ wrapping the caller's
// http{}-level config ({{PORT}} and {{DIR}} substituted), run in the foreground, stopped by stop().
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { standaloneNginxConf } from '../../demo-app/nginx/standalone';

const REPO_ROOT = typeof __dirname === 'string' ? resolve(__dirname, '..', '..') : process.cwd();
const NGINX_BIN = process.env.NGINX_BIN ?? '/usr/sbin/nginx';
export interface NginxInstance {
  port: number;
  url: string; // http://127.0.0.1:PORT
  dir: string;
  stop(): Promise<void>;
  errorLog(): string;
  accessLog(): string;
  /** `nginx -s reload`: SIGHUP to the master (new workers; old ones finish their requests). */
  reload(): void;
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolvePort(port) : reject(new Error('could not get a free port'))));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      ok(true);
    });
    s.once('error', () => ok(false));
  });
}

const readOr = (path: string): string => (existsSync(path) ? readFileSync(path, 'utf8') : '');

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

// Running masters; a test process that exits without stop() still takes its nginx down.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGTERM');
});

function killHard(child: ChildProcess): void {
  const pid = child.pid;
  // Workers outlive a SIGKILLed master: kill them too.
  const workers = pid ? readOr(`/proc/${pid}/task/${pid}/children`).trim().split(/\s+/).filter(Boolean) : [];
  child.kill('SIGKILL');
  for (const w of workers) {
    try {
      process.kill(Number(w), 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

/**
 * Starts nginx with `config` placed inside `http { }` (use `listen 127.0.0.1:{{PORT}};`).
 * Resolves once the port accepts connections.
 */
export async function startNginx(opts: {
  config: string;
  listenPort?: number;
  /** worker_processes. @default 1 */
  workers?: number;
  /** log_format of access.log (e.g. with $request_id). @default nginx's combined */
  accessLogFormat?: string;
}): Promise<NginxInstance> {
  try {
    accessSync(NGINX_BIN, constants.X_OK);
  } catch {
    throw new Error(`nginx not found at ${NGINX_BIN}: install the Debian package 'nginx' (bash test/install-system-deps.sh)`);
  }
  const tmpRoot = join(REPO_ROOT, '.test-tmp');
  mkdirSync(tmpRoot, { recursive: true });
  const dir = mkdtempSync(join(tmpRoot, 'nginx-'));
  const port = opts.listenPort ?? (await freePort());
  const errorLogPath = join(dir, 'error.log');
  const accessLogPath = join(dir, 'access.log');
  const body = opts.config.replaceAll('{{PORT}}', String(port)).replaceAll('{{DIR}}', dir);
  const conf = standaloneNginxConf(dir, body, { errorLogLevel: 'info', accessLogFormat: opts.accessLogFormat }).replace(
    'worker_processes 1;',
    `worker_processes ${opts.workers ?? 1};`,
  );
  const confPath = join(dir, 'nginx.conf');
  writeFileSync(confPath, conf);

  const outFd = openSync(join(dir, 'stderr.log'), 'a');
  const child = spawn(NGINX_BIN, ['-c', confPath, '-p', dir, '-e', errorLogPath, '-g', 'daemon off;'], {
    stdio: ['ignore', outFd, outFd],
  });
  closeSync(outFd);
  child.unref(); // a forgotten stop() must not keep the test process alive (see the exit hook above)
  running.add(child);

  const stop = async (): Promise<void> => {
    if (!exited(child)) {
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM'); // fast shutdown; the master stops its workers
      const timer = setTimeout(() => killHard(child), 5000);
      await gone;
      clearTimeout(timer);
    }
    running.delete(child);
    rmSync(dir, { recursive: true, force: true });
  };
  const failure = (why: string): Error =>
    new Error(`nginx ${why}\n--- stderr ---\n${readOr(join(dir, 'stderr.log'))}--- error.log ---\n${readOr(errorLogPath)}--- nginx.conf ---\n${conf}`);

  const deadline = Date.now() + 10_000;
  while (!(await canConnect(port))) {
    if (exited(child)) {
      const err = failure(`exited (code ${child.exitCode}, signal ${child.signalCode}) before listening on ${port}`);
      await stop();
      throw err;
    }
    if (Date.now() > deadline) {
      const err = failure(`not listening on ${port} after 10 s`);
      await stop();
      throw err;
    }
    await sleep(20);
  }
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    dir,
    stop,
    errorLog: () => readOr(errorLogPath),
    accessLog: () => readOr(accessLogPath),
    reload: () => void child.kill('SIGHUP'),
  };
}
