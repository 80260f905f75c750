/**
 * Lets events out in time order once they are `horizonMs` older than the newest seen: a log written
 * when responses end is in time order of arrival only within the longest download. Most events do
 * arrive in order, so they wait in a plain queue (O(1) each); only those older than the queue's
 * newest go to a min-heap, and the two are merged on the way out.
 */

interface Late<T> {
  t: number;
  item: T;
}

/** How many let-out slots the queue tolerates at its front before it is compacted. */
const COMPACT = 4096;

export class ReorderBuffer<T> {
  private queue: (T | undefined)[] = [];
  private times: number[] = [];
  private head = 0;
  private readonly heap: Late<T>[] = [];
  private newest = -Infinity;

  constructor(private readonly horizonMs: number) {}

  /** The newest time pushed so far. */
  get latest(): number {
    return this.newest;
  }

  /** The time before which nothing can still be let out in order (events older are late). */
  get floor(): number {
    return this.newest - this.horizonMs;
  }

  push(item: T, t: number): void {
    const last = this.times.length - 1;
    if (last < this.head || (this.times[last] as number) <= t) {
      this.queue.push(item);
      this.times.push(t);
    } else {
      this.heapPush({ t, item });
    }
    if (t > this.newest) this.newest = t;
  }

  /** Calls `out` for every item at or before `until`, oldest first. */
  drain(until: number, out: (item: T, t: number) => void): void {
    for (;;) {
      const queued = this.head < this.times.length ? (this.times[this.head] as number) : Infinity;
      const top = this.heap[0];
      if (top !== undefined && top.t < queued) {
        if (top.t > until) return;
        this.heapPop();
        out(top.item, top.t);
      } else {
        if (queued > until || queued === Infinity) return;
        const item = this.queue[this.head] as T;
        this.queue[this.head] = undefined; // let the event go
        this.head += 1;
        this.compact();
        out(item, queued);
      }
    }
  }

  /** Drops let-out slots at the front once they are many and at least half of the queue. */
  private compact(): void {
    if (this.head === this.times.length) {
      this.queue.length = 0;
      this.times.length = 0;
      this.head = 0;
    } else if (this.head >= COMPACT && this.head * 2 >= this.times.length) {
      this.queue = this.queue.slice(this.head);
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }

  private heapPush(entry: Late<T>): void {
    const h = this.heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((h[parent] as Late<T>).t <= entry.t) break;
      h[i] = h[parent] as Late<T>;
      i = parent;
    }
    h[i] = entry;
  }

  private heapPop(): void {
    const h = this.heap;
    const last = h.pop() as Late<T>;
    if (h.length === 0) return;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= h.length) break;
      if (child + 1 < h.length && (h[child + 1] as Late<T>).t < (h[child] as Late<T>).t) child += 1;
      if ((h[child] as Late<T>).t >= last.t) break;
      h[i] = h[child] as Late<T>;
      i = child;
    }
    h[i] = last;
  }
}
