/**
 * A min-heap by time that lets events out once they are `horizonMs` older than the newest seen: a
 * log written when responses end is in time order of arrival only within the longest download.
 */

export class ReorderBuffer<T extends { t: number }> {
  private readonly heap: T[] = [];
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

  push(item: T): void {
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((h[parent] as T).t <= item.t) break;
      h[i] = h[parent] as T;
      i = parent;
    }
    h[i] = item;
    if (item.t > this.newest) this.newest = item.t;
  }

  /** The oldest item if it is at or before `until`, removed; else undefined. */
  shift(until: number): T | undefined {
    const h = this.heap;
    const top = h[0];
    if (top === undefined || top.t > until) return undefined;
    const last = h.pop() as T;
    if (h.length > 0) this.sink(last);
    return top;
  }

  private sink(item: T): void {
    const h = this.heap;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= h.length) break;
      if (child + 1 < h.length && (h[child + 1] as T).t < (h[child] as T).t) child += 1;
      if ((h[child] as T).t >= item.t) break;
      h[i] = h[child] as T;
      i = child;
    }
    h[i] = item;
  }
}
