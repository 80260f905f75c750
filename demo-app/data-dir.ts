/**
 * File modes of the data folder: it holds password and API key hashes, client IPs, sessions and
 * the cookie and link secrets, so the folder is 0700 and those files 0600, created so and fixed
 * on every start when an older version (or a umask) left them readable by other local users.
 */
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';

export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;
/**
 * The one wider folder mode kept as it is: `npm run demo:nginx` started as root gives the
 * unprivileged nginx workers' group traverse-only access (no listing) so they can reach files/.
 */
export const NGINX_TRAVERSE_MODE = 0o710;

const code = (err: unknown): unknown => (err as { code?: unknown } | null)?.code;

/** Creates `dir` (and its parents) 0700, or narrows an existing one to 0700 (0710 is kept). */
export function prepareDataDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  const mode = statSync(dir).mode & 0o777;
  if (mode !== DIR_MODE && mode !== NGINX_TRAVERSE_MODE) chmodSync(dir, DIR_MODE);
}

/** Sets `file` to 0600 if it exists and is wider (a file owned by someone else is left alone). */
export function restrictFile(file: string): void {
  try {
    if ((statSync(file).mode & 0o777) !== FILE_MODE) chmodSync(file, FILE_MODE);
  } catch (err) {
    if (code(err) !== 'ENOENT' && code(err) !== 'EPERM') throw err;
  }
}

/**
 * Makes sure the SQLite file exists with mode 0600 before SQLite opens it: SQLite creates the
 * -wal and -shm files with the database file's mode, so they are 0600 too.
 */
export function createPrivateFile(file: string): void {
  try {
    closeSync(openSync(file, 'wx', FILE_MODE));
  } catch (err) {
    if (code(err) !== 'EEXIST') throw err;
  }
  restrictFile(file);
}
