/**
 * Items to look at again once log time passes their deadline, in 6-hour slots: a sweep visits only
 * the slots that are due, not every open record (a month has hundreds of thousands open at once,
 * and visiting them all four times a day cost more than counting). An item may be looked at up to
 * a slot late; that only keeps its memory a little longer.
 */
export class Deadlines<T> {
  private readonly slots = new Map<number, T[]>();

  constructor(private readonly slotMs: number) {}

  /** Look at `item` again once the time reaches `at` (at the first sweep, if `at` has passed). */
  add(item: T, at: number): void {
    const slot = Number.isFinite(at) ? Math.ceil(at / this.slotMs) : at > 0 ? Infinity : -Infinity;
    const list = this.slots.get(slot);
    if (list === undefined) this.slots.set(slot, [item]);
    else list.push(item);
  }

  /** Takes out every item whose slot ends by `now` (everything for Infinity), oldest slot first. */
  due(now: number): T[] {
    const ready = [...this.slots.keys()].filter((slot) => slot * this.slotMs <= now).sort((a, b) => a - b);
    const out: T[] = [];
    for (const slot of ready) {
      for (const item of this.slots.get(slot) as T[]) out.push(item);
      this.slots.delete(slot);
    }
    return out;
  }
}
