/**
 * StreamLineWriter: the {@link LineWriter} of a {@link jsonLinesLog} sink given a writable stream
 * (process.stdout, a pipe, a socket). Each line is one `write()` call, backpressure is honoured,
 * and the stream is never ended: it belongs to the caller.
 */
import { once } from 'node:events';
import type { Line } from './line-queue';
import type { LineWriter, LineWriterHooks } from './line-writer';

/**
 * Writes lines to a stream, one `write()` each, waiting for 'drain' when the stream asks to;
 * a line counts as written when its write callback confirms it. An 'error' of the stream, a
 * failed write, or the stream closing before the sink is done stops the sink. It has no
 * reopen(): a stream cannot be reopened by the sink.
 *
 * @example
 * const writer = new StreamLineWriter(process.stdout, hooks);
 * await writer.write([{ text: '{"id":"1"}\n', bytes: 11 }]); // hooks.written(1, 11) once flushed
 * await writer.close(); // takes its listeners back, leaves process.stdout open
 */
export class StreamLineWriter implements LineWriter {
  readonly batchBytes = 0;
  private broken = false;
  /** Aborted on failure, to end a wait for 'drain' that will never come. */
  private readonly failure = new AbortController();

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly hooks: LineWriterHooks,
  ) {
    stream.on('error', this.onError);
    stream.on('close', this.onClose);
  }

  async write(lines: readonly Line[]): Promise<void> {
    for (const line of lines) {
      if (this.broken) return;
      if (this.stream.writable === false) {
        this.fail('stream is not writable', new Error('the stream was ended or destroyed'));
        return;
      }
      let more: boolean;
      try {
        more = this.stream.write(line.text, (err?: Error | null) => {
          if (err) this.fail('write failed', err);
          else this.hooks.written(1, line.bytes);
        });
      } catch (err) {
        this.fail('write failed', err);
        return;
      }
      if (!more && !this.broken) await this.drained();
    }
  }

  async close(): Promise<void> {
    this.stream.removeListener('close', this.onClose);
    // Errors the stream emits after this are the owner's again; keep swallowing until the next
    // tick so an error raised by our last write cannot crash a process without a listener.
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.stream.removeListener('error', this.onError);
  }

  /** Resolves on 'drain', or when the sink fails (an 'error' is handled by onError). */
  private async drained(): Promise<void> {
    await once(this.stream, 'drain', { signal: this.failure.signal }).catch(() => undefined);
  }

  private readonly onError = (err: unknown): void => this.fail('stream failed', err);

  private readonly onClose = (): void => {
    // A stream that closes with writes unconfirmed (or before close()) will not take more.
    if (!this.hooks.finished()) this.fail('stream closed', new Error('the stream was closed'));
  };

  private fail(message: string, cause: unknown): void {
    if (this.broken) return;
    this.broken = true;
    this.hooks.failed(message, cause);
    this.failure.abort();
  }
}
