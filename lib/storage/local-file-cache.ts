/**
 * Open descriptors of local files, shared by the requests that read them for a short time (as
 * nginx's `open_file_cache`): under podcast-app traffic most requests are small ranges of a few
 * episodes, and opening, stat'ing and closing the file per request cost more than reading it.
 */
import { close, constants, fstat, open, type Stats } from 'node:fs';
import { StorageError } from './errors';

/** A regular file opened for reading, and what fstat said about it when it was opened. */
export interface OpenedFile {
  readonly fd: number;
  readonly stats: Stats;
}

/** One request's use of an {@link OpenedFile}; call `release` exactly once when done with `fd`. */
export interface FileLease {
  readonly file: OpenedFile;
  release(): void;
}

/** Read-only, non-blocking (a FIFO put in the root must not hold a thread), never through a symlink. */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/** An opened file and the leases on it; closed once retired (expired, evicted) and unleased. */
class Entry {
  refs = 0;
  retired = false;
  closed = false;
  constructor(
    readonly file: OpenedFile,
    readonly until: number,
    private readonly onClose: () => void,
  ) {}

  lease(): FileLease {
    this.refs++;
    let released = false;
    return {
      file: this.file,
      release: () => {
        if (released) return;
        released = true;
        this.refs--;
        this.closeIfIdle();
      },
    };
  }

  retire(): void {
    this.retired = true;
    this.closeIfIdle();
  }

  private closeIfIdle(): void {
    if (!this.retired || this.refs > 0 || this.closed) return;
    this.closed = true;
    this.onClose();
    close(this.file.fd, () => undefined);
  }
}

/**
 * Opens regular files by real path and keeps each descriptor, with its fstat, for `ms` after it
 * was opened, for at most `max` files at once (the oldest goes first). A descriptor still leased
 * when it expires stays open until its last lease is released. `ms = 0` opens per lease.
 *
 * @example
 * const files = new OpenFiles(1000, 128);
 * const lease = await files.lease('/srv/media/show.mp3'); // null: missing, or not a regular file
 * if (lease) { console.log(lease.file.stats.size); lease.release(); }
 */
export class OpenFiles {
  private readonly entries = new Map<string, Entry>();
  private readonly opening = new Map<string, Promise<Entry | null>>();
  private sweep: NodeJS.Timeout | undefined;
  private open = 0;

  constructor(
    private readonly ms: number,
    private readonly max: number,
  ) {}

  /** Descriptors open now (cached or leased): for tests and metrics. */
  get descriptors(): number {
    return this.open;
  }

  /**
   * A lease on `file` opened for reading; null when it is missing, cannot be opened, is not a
   * regular file, or its last part is a symlink (`file` is a real path: one put there since).
   * Rejects with StorageError `unavailable` when the process cannot open files (EMFILE, EIO, …).
   *
   * @example
   * const lease = await files.lease(located.file);
   */
  async lease(file: string): Promise<FileLease | null> {
    for (;;) {
      const entry = this.fresh(file) ?? (await this.opened(file));
      if (!entry) return null;
      // Another lease may have evicted and closed it between its opening and this continuation.
      if (!entry.closed) return entry.lease();
    }
  }

  private fresh(file: string): Entry | undefined {
    const entry = this.entries.get(file);
    if (!entry || entry.until > Date.now()) return entry;
    this.drop(file, entry);
    return undefined;
  }

  /** Opens `file` once for all the leases asking at the same time. */
  private opened(file: string): Promise<Entry | null> {
    let pending = this.opening.get(file);
    if (!pending) {
      pending = this.openEntry(file).finally(() => this.opening.delete(file));
      this.opening.set(file, pending);
    }
    return pending;
  }

  private async openEntry(file: string): Promise<Entry | null> {
    const opened = await openRegular(file);
    if (!opened) return null;
    this.open++;
    const entry = new Entry(opened, Date.now() + this.ms, () => this.open--);
    if (this.ms === 0) {
      entry.retired = true;
      return entry;
    }
    this.keep(file, entry);
    return entry;
  }

  private keep(file: string, entry: Entry): void {
    if (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.drop(oldest, this.entries.get(oldest));
    }
    this.entries.set(file, entry);
    this.sweep ??= setTimeout(() => this.expire(), this.ms + 1).unref();
  }

  private drop(file: string, entry: Entry | undefined): void {
    this.entries.delete(file);
    entry?.retire();
  }

  /** Closes what expired (a deleted file's space is freed), and looks again while any is kept. */
  private expire(): void {
    this.sweep = undefined;
    const now = Date.now();
    for (const [file, entry] of this.entries) if (entry.until <= now) this.drop(file, entry);
    if (this.entries.size > 0) this.sweep = setTimeout(() => this.expire(), this.ms + 1).unref();
  }
}

/**
 * Open failures that say nothing about the file but about the process or the disk: the request
 * fails as `unavailable` (502, retry later), never as a 404 a podcast app would take for a deleted
 * episode. Every other failure (missing, a directory on the way, a symlink, no permission) is "not
 * found", as a key outside the root is.
 */
const PROCESS_FAILURES = new Set(['EMFILE', 'ENFILE', 'EIO', 'ENOMEM', 'EAGAIN']);

/**
 * open + fstat, as callbacks (no FileHandle: it would be shared, and closed by its first stream).
 * Resolves null when the file is not there to serve; rejects `unavailable` when it could not be
 * opened for a reason of the process or the disk (see PROCESS_FAILURES).
 */
function openRegular(file: string): Promise<OpenedFile | null> {
  return new Promise((resolve, reject) => {
    open(file, OPEN_FLAGS, (err, fd) => {
      if (err) {
        if (PROCESS_FAILURES.has(err.code ?? '')) reject(new StorageError('unavailable', `cannot open a local file: ${err.code}`, { cause: err }));
        else resolve(null);
        return;
      }
      fstat(fd, (statErr, stats) => {
        if (!statErr && stats.isFile()) return resolve({ fd, stats });
        close(fd, () => resolve(null));
      });
    });
  });
}
