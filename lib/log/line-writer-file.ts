/**
 * FileLineWriter: the {@link LineWriter} of a {@link jsonLinesLog} sink given a file path. The
 * file is opened in append mode (O_APPEND), so several processes or sinks can append to it
 * without interleaving inside a line; every operation (open, write, reopen, close) runs after the
 * one before it, so a reopen never splits a batch and the old file keeps every line handed to it.
 */
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import type { Line } from './line-queue';
import type { LineWriter, LineWriterHooks } from './line-writer';

/** Several whole lines share one write(2) up to this size (a longer line is written alone). */
const FILE_BATCH_BYTES = 64 * 1024;

/**
 * Writes batches of whole lines to a file, one write(2) per batch (a short write is completed,
 * not re-sent), and can reopen the file at the same path, for log rotation. The file is opened
 * when the writer is made, with mode 0o640 if it is created; its directory must exist.
 *
 * @example
 * const writer = new FileLineWriter('/var/log/station-files/downloads.jsonl', hooks);
 * await writer.write([{ text: '{"id":"1"}\n', bytes: 11 }]); // hooks.written(1, 11)
 * await writer.reopen(); // after logrotate moved the file away: later lines go to a new file
 * await writer.close();
 */
export class FileLineWriter implements LineWriter {
  readonly batchBytes = FILE_BATCH_BYTES;
  private handle: FileHandle | undefined;
  private broken = false;
  private closed = false;
  /** The last operation queued; the next one starts when it is over. Never rejects. */
  private turn: Promise<void>;

  constructor(
    private readonly path: string,
    private readonly hooks: LineWriterHooks,
  ) {
    this.turn = this.openFile('cannot open').then((handle) => {
      this.handle = handle;
    });
  }

  write(lines: readonly Line[]): Promise<void> {
    return this.next(() => this.writeBatch(lines));
  }

  /** Opens the path anew once the write under way is done; a no-op after close() or a failure. */
  reopen(): Promise<void> {
    if (this.closed || this.broken) return Promise.resolve();
    return this.next(() => this.swapHandle());
  }

  close(): Promise<void> {
    this.closed = true;
    return this.next(() => this.closeHandle());
  }

  private next(operation: () => Promise<void>): Promise<void> {
    this.turn = this.turn.then(operation);
    return this.turn;
  }

  /** Opens the path for appending; on failure reports it (the sink stops) and returns undefined. */
  private async openFile(what: 'cannot open' | 'cannot reopen'): Promise<FileHandle | undefined> {
    try {
      return await open(this.path, 'a', 0o640);
    } catch (err) {
      const missingDir = (err as NodeJS.ErrnoException | null)?.code === 'ENOENT';
      this.fail(missingDir ? `${what}: its directory does not exist (it is not created)` : what, err);
      return undefined;
    }
  }

  private async writeBatch(lines: readonly Line[]): Promise<void> {
    const handle = this.handle;
    if (!handle) return; // failed: these lines are counted lost already
    const buffer = Buffer.from(lines.map((line) => line.text).join(''), 'utf8');
    try {
      let offset = 0;
      while (offset < buffer.length) {
        const { bytesWritten } = await handle.write(buffer, offset, buffer.length - offset, null);
        if (bytesWritten <= 0) throw new Error('the file accepted no bytes');
        offset += bytesWritten;
      }
    } catch (err) {
      this.fail('write failed', err);
      return;
    }
    this.hooks.written(lines.length, buffer.length);
  }

  private async swapHandle(): Promise<void> {
    if (this.broken) return;
    const fresh = await this.openFile('cannot reopen');
    if (!fresh) return; // reported like an open failure: the sink stopped, the old file is closed
    const old = this.handle;
    this.handle = fresh;
    await old?.close().catch((err: unknown) => this.hooks.problem('close failed', err));
  }

  private async closeHandle(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close().catch((err: unknown) => this.hooks.problem('close failed', err));
  }

  /** Reports the failure once (the sink stops) and lets go of the file. */
  private fail(message: string, cause: unknown): void {
    if (this.broken) return;
    this.broken = true;
    const handle = this.handle;
    this.handle = undefined;
    this.hooks.failed(message, cause);
    void handle?.close().catch(() => undefined); // the failure is reported already
  }
}
