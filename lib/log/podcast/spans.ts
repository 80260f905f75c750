/**
 * Byte spans a listener received, united: overlapping and repeated bytes count once (IAB v2.3
 * §5.5.2 Step 1.3 item 2b, "reassembling requests"). A player's ranges arrive mostly in order and
 * merge as they come, so the list stays short.
 */

/** Sorted, disjoint [start, end) spans and their total length. */
export class SpanSet {
  private starts: number[] = [];
  private ends: number[] = [];
  /** Bytes covered. */
  total = 0;

  /** Adds [start, end); returns the new total. */
  add(start: number, end: number): number {
    if (end <= start) return this.total;
    const { starts, ends } = this;
    let i = 0;
    while (i < starts.length && (ends[i] as number) < start) i += 1;
    let j = i;
    let s = start;
    let e = end;
    while (j < starts.length && (starts[j] as number) <= end) {
      s = Math.min(s, starts[j] as number);
      e = Math.max(e, ends[j] as number);
      this.total -= (ends[j] as number) - (starts[j] as number);
      j += 1;
    }
    starts.splice(i, j - i, s);
    ends.splice(i, j - i, e);
    this.total += e - s;
    return this.total;
  }
}
