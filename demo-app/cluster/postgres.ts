/**
 * A throwaway PostgreSQL cluster in a folder, on 127.0.0.1, from Debian's binaries (package
 * `postgresql`: /usr/lib/postgresql/<version>/bin): `npm run demo:cluster` runs one in
 * DATA_DIR/postgres when DATABASE_URL is not given, and the tests one per file under .test-tmp/.
 * initdb refuses to run as root, so as root every server command runs as the `postgres` system
 * user (runuser), the cluster folder is made its own, and the folders above it must let it pass.
 * Trust authentication on loopback only: for demos and tests, never for real data.
 */
import { execFile as execFileCb, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const execFile = promisify(execFileCb);

export interface PostgresCluster {
  /** postgres://postgres@127.0.0.1:PORT/DATABASE */
  url(database?: string): string;
  readonly port: number;
  readonly dir: string;
  /** Creates a database (optionally a copy of `template`) unless it exists. */
  createDatabase(name: string, template?: string): Promise<string>;
  start(): Promise<void>;
  /** Fast shutdown: connected clients are told the server is going away. */
  stop(): Promise<void>;
}

export interface ClusterOptions {
  dir: string;
  port: number;
  /** The database `url()` names by default (created on start). */
  database: string;
  /** No fsync or full-page writes: for tests, whose clusters are thrown away. @default false */
  fast?: boolean;
}

/** The newest installed server's bin folder; an Error naming the Debian package when there is none. */
export function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin', 'initdb'))) : [];
  const newest = versions.sort((a, b) => Number(a) - Number(b)).at(-1);
  if (!newest) throw new Error(`PostgreSQL server binaries not found (${root}/*/bin/initdb): install the Debian package postgresql`);
  return path.join(root, newest, 'bin');
}

const asRoot = (): boolean => process.getuid?.() === 0;

function postgresUser(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) throw new Error('no "postgres" system user (it comes with the Debian package postgresql)');
  return { uid: Number(uid), gid: Number(gid) };
}

/** As root: `dir` becomes postgres's, and every folder above it must be passable (o+x) for it. */
function handOver(dir: string): void {
  if (!asRoot()) return;
  const user = postgresUser();
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    const st = statSync(d);
    const bit = st.uid === user.uid ? 0o100 : st.gid === user.gid ? 0o010 : 0o001;
    if ((st.mode & bit) === 0)
      throw new Error(`PostgreSQL runs as the postgres user and cannot reach ${dir}: ${d} is closed to it (chmod o+x, or move the folder)`);
    if (d === path.dirname(d)) break;
  }
  chownSync(dir, user.uid, user.gid);
}

export function postgresCluster(options: ClusterOptions): PostgresCluster {
  const bin = postgresBin();
  const { dir, port } = options;
  const data = path.join(dir, 'data');
  const run = (cmd: string, args: string[]) =>
    asRoot() ? execFile('runuser', ['-u', 'postgres', '--', path.join(bin, cmd), ...args]) : execFile(path.join(bin, cmd), args);
  const url = (database = options.database): string => `postgres://postgres@127.0.0.1:${port}/${database}`;
  const settings = [
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    'listen_addresses=127.0.0.1',
    ...(options.fast ? ['-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'synchronous_commit=off'] : []),
  ];

  const createDatabase = async (name: string, template?: string): Promise<string> => {
    const client = new pg.Client({ connectionString: url('postgres') });
    await client.connect();
    try {
      const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (found.rowCount === 0)
        await client.query(`CREATE DATABASE "${name.replaceAll('"', '')}"${template ? ` TEMPLATE "${template.replaceAll('"', '')}"` : ''}`);
    } finally {
      await client.end();
    }
    return url(name);
  };
  const start = async (): Promise<void> => {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    handOver(dir);
    if (!existsSync(path.join(data, 'PG_VERSION'))) {
      await run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', ...(options.fast ? ['--no-sync'] : [])]);
    }
    await run('pg_ctl', ['-D', data, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', '-o', settings.join(' '), 'start']);
    await createDatabase(options.database);
  };
  const stop = async (): Promise<void> => {
    if (existsSync(path.join(data, 'postmaster.pid'))) await run('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
  };
  return { url, port, dir, createDatabase, start, stop };
}

/** Stops a cluster at once from an exit handler (synchronous): `pg_ctl stop -m immediate`. */
export function stopClusterNow(dir: string): void {
  const data = path.join(dir, 'data');
  if (!existsSync(path.join(data, 'postmaster.pid'))) return;
  const pgCtl = path.join(postgresBin(), 'pg_ctl');
  const args = ['-D', data, '-m', 'immediate', '-w', 'stop'];
  try {
    if (asRoot()) execFileSync('runuser', ['-u', 'postgres', '--', pgCtl, ...args], { stdio: 'ignore' });
    else execFileSync(pgCtl, args, { stdio: 'ignore' });
  } catch {
    // Already stopped.
  }
}
