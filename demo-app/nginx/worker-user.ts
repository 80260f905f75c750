/**
 * Who nginx's workers run as when `npm run demo:nginx` is started as root: never root unless
 * NGINX_USER=root says so. By default `nobody` with group `nogroup` (or `nobody`); the data folder
 * (0700, root's) then gets that group with traverse-only access (0710, no listing; the database
 * and secrets stay 0600 root's) and files/ becomes readable by the group (0750 / 0640), which is
 * all nginx reads. Every folder above the data folder must let the workers pass (o+x); if one
 * does not, demo:nginx stops with a message saying which, instead of serving 403s.
 */
import { chmodSync, chownSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { NGINX_TRAVERSE_MODE } from '../data-dir';

export interface WorkerUser {
  /** For nginx's `user` directive: "name group". */
  directive: string;
  uid: number;
  gid: number;
}

function lookup(file: string, name: string): number | null {
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f[2] !== undefined && /^\d+$/.test(f[2])) return Number(f[2]);
  }
  return null;
}

/** The workers' user and group from NGINX_USER ("name" or "name group"; default "nobody nogroup"). */
export function resolveWorkerUser(spec = 'nobody nogroup'): WorkerUser {
  const [name = '', groupName] = spec.trim().split(/\s+/);
  const uid = lookup('/etc/passwd', name);
  if (uid === null) throw new Error(`NGINX_USER: no user "${name}" in /etc/passwd`);
  let group = groupName ?? name;
  let gid = lookup('/etc/group', group);
  if (gid === null && groupName === 'nogroup') {
    group = 'nobody'; // distributions without nogroup
    gid = lookup('/etc/group', group);
  }
  if (gid === null) throw new Error(`NGINX_USER: no group "${group}" in /etc/group`);
  return { directive: `${name} ${group}`, uid, gid };
}

function canPass(dir: string, w: WorkerUser): boolean {
  const st = statSync(dir);
  const bits = st.uid === w.uid ? 0o100 : st.gid === w.gid ? 0o010 : 0o001;
  return (st.mode & bits) !== 0;
}

/**
 * Lets the workers read DATA_DIR/files: group of DATA_DIR and files/ set to the workers' group,
 * DATA_DIR 0710, files/ tree 0750 (folders) and 0640 (files). Throws when a folder above
 * DATA_DIR is closed to them.
 */
export function grantWorkerAccess(dataDir: string, w: WorkerUser): void {
  if (w.uid === 0) return;
  const blocked: string[] = [];
  for (let dir = path.dirname(dataDir); ; dir = path.dirname(dir)) {
    if (!canPass(dir, w)) blocked.push(dir);
    if (dir === path.dirname(dir)) break;
  }
  if (blocked.length) {
    throw new Error(
      `nginx workers run as ${w.directive} and cannot reach ${dataDir}: ${blocked.reverse().join(', ')} ` +
        `${blocked.length === 1 ? 'is' : 'are'} closed to them (chmod o+x, or move DATA_DIR, or set NGINX_USER)`,
    );
  }
  const owner = statSync(dataDir).uid;
  chownSync(dataDir, owner, w.gid);
  chmodSync(dataDir, NGINX_TRAVERSE_MODE);
  const walk = (p: string): void => {
    const st = statSync(p);
    chownSync(p, st.uid, w.gid);
    if (st.isDirectory()) {
      chmodSync(p, 0o750);
      for (const name of readdirSync(p)) walk(path.join(p, name));
    } else {
      chmodSync(p, 0o640);
    }
  };
  walk(path.join(dataDir, 'files'));
}
