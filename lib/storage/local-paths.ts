/**
 * Where a key's file is under a localStorage root. Keys never escape the root: `..`, absolute
 * paths, NUL and symlinks that resolve outside the root all read as "not found". A key's real
 * path is remembered for `cacheMs` (see LocalStorageOptions.pathCacheMs for why that is safe).
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
  /** Taken from the path cache rather than resolved for this request. */
  cached?: boolean;
}

/** The most keys whose real paths are remembered at once (the oldest goes first). */
export const PATH_CACHE_ENTRIES = 4096;

/**
 * Resolves keys to real paths inside one root, and remembers where `stat` found each key, keyed
 * by the metadata object it returned: `open` and `accel` of the same request reuse it instead of
 * resolving the path again (realpath was a quarter of the app's CPU under a small-range load).
 * Across requests, a key's real path is reused for `cacheMs` (0: resolved every time).
 */
export class LocalPaths {
  private realRoot: Promise<string> | undefined;
  private readonly located = new WeakMap<ObjectMeta, Located & { key: string }>();
  private readonly recent = new Map<string, { located: Located; until: number }>();

  constructor(
    readonly root: string,
    private readonly cacheMs = 0,
  ) {}

  /**
   * The real path of a key's file, or null when the key is invalid, the file is missing, or it
   * lies outside the root (a symlink that leaves it). Rejects `unavailable` when the root itself
   * cannot be resolved.
   *
   * @example
   * await new LocalPaths('/srv/media').resolve('shows/a.mp3') // { file: '/srv/media/shows/a.mp3', relative: ['shows', 'a.mp3'] }
   */
  async resolve(key: string): Promise<Located | null> {
    if (this.cacheMs > 0) {
      const hit = this.recent.get(key);
      if (hit && hit.until > Date.now()) return { ...hit.located, cached: true };
      if (hit) this.recent.delete(key);
    }
    const located = await this.resolveNow(key);
    if (located && this.cacheMs > 0) this.keep(key, located);
    return located;
  }

  /**
   * Forgets a key's remembered real path (its file was not there): the next resolve looks again.
   *
   * @example
   * paths.forget('shows/a.mp3');
   */
  forget(key: string): void {
    this.recent.delete(key);
  }

  private keep(key: string, located: Located): void {
    this.recent.delete(key);
    if (this.recent.size >= PATH_CACHE_ENTRIES) {
      const oldest = this.recent.keys().next().value;
      if (oldest !== undefined) this.recent.delete(oldest);
    }
    this.recent.set(key, { located, until: Date.now() + this.cacheMs });
  }

  private async resolveNow(key: string): Promise<Located | null> {
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
