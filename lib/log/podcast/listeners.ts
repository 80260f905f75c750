/**
 * Listeners (IAB v2.3 §5.5.4: truncated IP + user agent) and their state per episode, found without
 * building a key string per event: a record per truncated IP holds its listeners by user agent, and
 * each listener its states by episode. A listener's hash for the distinct-listener count is made
 * once, when it is first seen. Records live only while they hold an open window: each state and
 * each IP window is looked at again when it may have closed (deadlines.ts), and records left empty
 * are dropped (marked dead, so a cached reference knows to look again). Memory follows the open
 * windows, not the month.
 */
import { Deadlines } from './deadlines';
import type { Bucket, GateHolder, IpGate } from './ip-gate';
import { listenerHash, type EpisodeTotals } from './totals';
import { deadline, finished, type ListenerState } from './windows';

/** One user agent at one truncated IP, with its state per episode. */
export interface Listener {
  address: Address;
  userAgent: string;
  /** listenerHash of the listener key, for the distinct-listener count. */
  hash: number;
  states: Map<EpisodeTotals, OpenState>;
}

/** A listener's state for one episode, with what the sweep needs to drop it. */
export interface OpenState extends ListenerState {
  listener: Listener;
  episode: EpisodeTotals;
}

/** One truncated IP: its listeners and its per-IP window. */
export interface Address extends GateHolder {
  ip: string;
  listeners: Map<string, Listener>;
  /** The listener found last: most IPs have one user agent, so this spares the map. */
  last: Listener | null;
  bucket: Bucket | null;
  /** Its open IP window is in the deadlines. */
  bucketDue: boolean;
  /** Swept away: a holder of this reference must ask the table again. */
  dead: boolean;
}

export class ListenerTable {
  private readonly addresses = new Map<string, Address>();
  private readonly states: Deadlines<OpenState>;
  private readonly buckets: Deadlines<Address>;

  constructor(sweepMs: number) {
    this.states = new Deadlines(sweepMs);
    this.buckets = new Deadlines(sweepMs);
  }

  /**
   * The live record of truncated IP `ip`. `known` is a record the caller kept from an earlier event
   * (it costs no lookup while it lives); a dead one is brought back unless `ip` has a new record.
   */
  address(ip: string, known: Address | null): Address {
    if (known !== null && !known.dead) return known;
    let a = this.addresses.get(ip);
    if (a === undefined) {
      a = known ?? { ip, listeners: new Map(), last: null, bucket: null, bucketDue: false, dead: false };
      a.dead = false;
      this.addresses.set(ip, a);
    }
    return a;
  }

  /** The listener `userAgent` (as sent) at `a`, made on first sight. */
  listener(a: Address, userAgent: string): Listener {
    if (a.last !== null && a.last.userAgent === userAgent) return a.last;
    let l = a.listeners.get(userAgent);
    if (l === undefined) {
      l = { address: a, userAgent, hash: listenerHash(`${a.ip} ${userAgent}`), states: new Map() };
      a.listeners.set(userAgent, l);
    }
    a.last = l;
    return l;
  }

  /** `l`'s state for `episode`; a new one is looked at again after `now`. */
  state(l: Listener, episode: EpisodeTotals, now: number): OpenState {
    let st = l.states.get(episode);
    if (st === undefined) {
      st = { countedUntil: -Infinity, pendingSince: Number.NaN, spans: null, listener: l, episode }; // newListenerState's fields, one shape
      l.states.set(episode, st);
      this.states.add(st, now);
    }
    return st;
  }

  /** Call after the per-IP gate held a download of `a`: its window is looked at again when it ends. */
  held(a: Address): void {
    if (a.bucket === null || a.bucketDue) return;
    a.bucketDue = true;
    this.buckets.add(a, a.bucket.until);
  }

  /**
   * Drops the listener states that cannot matter after `now` (an attempt left under the minimum is
   * added to `tally.under`), commits the IP windows that ended, and drops records left empty.
   */
  sweep(now: number, tally: { under: number }, gate: IpGate): void {
    for (const st of this.states.due(now)) {
      if (!finished(st, now, tally)) {
        this.states.add(st, deadline(st));
        continue;
      }
      const l = st.listener;
      l.states.delete(st.episode);
      if (l.states.size > 0) continue;
      l.address.listeners.delete(l.userAgent);
      if (l.address.last === l) l.address.last = null;
      this.dropIfEmpty(l.address);
    }
    for (const a of this.buckets.due(now)) {
      a.bucketDue = false;
      gate.sweep(a, now);
      this.held(a); // a newer window opened since
      this.dropIfEmpty(a);
    }
  }

  private dropIfEmpty(a: Address): void {
    if (a.listeners.size > 0 || a.bucket !== null || a.dead) return;
    a.dead = true;
    this.addresses.delete(a.ip);
  }
}
