/**
 * LineQueue: the in-memory FIFO of serialized lines a {@link jsonLinesLog} sink holds until its
 * writer takes them.
 */

/** One serialized event: its text, newline included, and that text's length in UTF-8 bytes. */
export interface Line {
  readonly text: string;
  readonly bytes: number;
}

/** A FIFO of lines with O(1) shift (an array with a moving head, compacted now and then). */
export class LineQueue {
  private items: Array<Line | undefined> = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(line: Line): void {
    this.items.push(line);
  }

  /**
   * Removes and returns the first line and, after it, as many of the following lines as fit
   * with it in `maxBytes`; so a line longer than `maxBytes` comes alone, and `maxBytes` 0 takes
   * one line at a time. Returns an empty array when the queue is empty.
   *
   * @example
   * const queue = new LineQueue();
   * for (const text of ['a\n', 'b\n', 'c\n']) queue.push({ text, bytes: 2 });
   * queue.take(4).map((line) => line.text); // ['a\n', 'b\n']
   */
  take(maxBytes: number): Line[] {
    const batch: Line[] = [];
    let bytes = 0;
    for (let next = this.items[this.head]; next && (batch.length === 0 || bytes + next.bytes <= maxBytes); next = this.items[this.head]) {
      this.shift();
      batch.push(next);
      bytes += next.bytes;
    }
    return batch;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }

  private shift(): void {
    this.items[this.head++] = undefined;
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
