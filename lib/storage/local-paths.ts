/**
 * Where a key's file is under a localStorage root. Keys never escape the root: `..`, absolute
 * paths, NUL and symlinks that resolve outside the root all read as "not found".
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { StorageError } from './errors';
import { keySegments } from './keys';
import type { ObjectMeta } from './types';

/** A key's file: its real path, and its path under the real root in segments. */
export interface Located {
  file: string;
  relative: string[];
}

/**
 * Resolves keys to real paths inside one root, and remembers where `stat` found each key, keyed
 * by the metadata object it returned: `open` and `accel` of the same request reuse it instead of
 * resolving the path again (realpath was a quarter of the app's CPU under a small-range load).
 */
export class LocalPaths {
  private realRoot: Promise<string> | undefined;
  private readonly located = new WeakMap<ObjectMeta, Located & { key: string }>();

  constructor(readonly root: string) {}

  /**
   * The real path of a key's file, or null when the key is invalid, the file is missing, or it
   * lies outside the root (a symlink that leaves it). Rejects `unavailable` when the root itself
   * cannot be resolved.
   *
   * @example
   * await new LocalPaths('/srv/media').resolve('shows/a.mp3') // { file: '/srv/media/shows/a.mp3', relative: ['shows', 'a.mp3'] }
   */
  async resolve(key: string): Promise<Located | null> {
    const segments = keySegments(key);
    if (!segments) return null;
    const base = await this.rootReal();
    let file: string;
    try {
      file = await realpath(path.join(base, ...segments));
    } catch {
      return null;
    }
    if (!file.startsWith(base + path.sep)) return null;
    return { file, relative: path.relative(base, file).split(path.sep) };
  }

  /**
   * Records that the stat which returned `meta` found `key` at `located`.
   *
   * @example
   * paths.remember(meta, key, located);
   */
  remember(meta: ObjectMeta, key: string, located: Located): void {
    this.located.set(meta, { key, ...located });
  }

  /**
   * Where `key` is: remembered for `meta` when this storage's stat returned it for that key,
   * else resolved again.
   *
   * @example
   * const located = await paths.locate(key, opts.meta);
   */
  locate(key: string, meta?: ObjectMeta): Promise<Located | null> {
    const known = meta && this.located.get(meta);
    return known && known.key === key ? Promise.resolve(known) : this.resolve(key);
  }

  /** The root's real path, resolved once (and again after a failure). */
  private rootReal(): Promise<string> {
    this.realRoot ??= realpath(this.root).catch((err: unknown) => {
      this.realRoot = undefined;
      throw new StorageError('unavailable', `localStorage root ${this.root} is not readable`, { cause: err });
    });
    return this.realRoot;
  }
}
