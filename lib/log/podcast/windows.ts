/**
 * One listener's requests for one episode over time (IAB v2.3 §5.5.1, §5.5.3, §5.5.4): bytes add
 * up until they reach the episode's threshold (for at most 24 h from the first of them, across
 * midnight too); that request makes a download, counted on its own UTC day, and opens the
 * measurement window in which later requests are the same download (play, pause, play).
 */
import type { PodcastWindow } from './options';
import { SpanSet } from './spans';

export const DAY_MS = 86_400_000;

/** How long bytes of a download that has not reached its threshold keep adding up. */
export const ASSEMBLY_MS = DAY_MS;

export interface ListenerState {
  /** Requests before this time belong to the last counted download. */
  countedUntil: number;
  /** Time of the first request whose bytes are still adding up; NaN when none. */
  pendingSince: number;
  /** Those bytes; null when none (most downloads qualify in one request and never need it). */
  spans: SpanSet | null;
}

export function newListenerState(): ListenerState {
  return { countedUntil: -Infinity, pendingSince: Number.NaN, spans: null };
}

/** The end of the window a download counted at `t` opens. */
export function windowEnd(window: PodcastWindow, t: number): number {
  return window === 'utc-day' ? (Math.floor(t / DAY_MS) + 1) * DAY_MS : t + DAY_MS;
}

/**
 * Applies a request of bytes [start, end) at `t` against `threshold` (null: cannot count); true when
 * it made a new download. An earlier attempt that stayed under the threshold for 24 h is dropped
 * and added to `tally.under`.
 */
export function step(
  st: ListenerState,
  t: number,
  start: number,
  end: number,
  threshold: number | null,
  window: PodcastWindow,
  tally: { under: number },
): boolean {
  if (t < st.countedUntil) {
    if (window === 'rolling-24h-last-touch') st.countedUntil = t + DAY_MS;
    return false;
  }
  if (st.spans !== null && t - st.pendingSince >= ASSEMBLY_MS) {
    st.spans = null;
    tally.under += 1;
  }
  if (st.spans === null && threshold !== null && end - start < threshold) {
    st.spans = new SpanSet();
    st.pendingSince = t;
  }
  if (threshold === null || (st.spans !== null && st.spans.add(start, end) < threshold)) return false;
  st.spans = null;
  st.pendingSince = Number.NaN;
  st.countedUntil = windowEnd(window, t);
  return true;
}

/** True when nothing about this listener can matter after `now`; an attempt it drops under the threshold is added to `tally.under`. */
export function finished(st: ListenerState, now: number, tally: { under: number }): boolean {
  const pendingOver = st.spans === null || now - st.pendingSince >= ASSEMBLY_MS;
  if (now < st.countedUntil || !pendingOver) return false;
  if (st.spans !== null) tally.under += 1;
  return true;
}

/** The time from which `finished` is true if no request comes first. */
export function deadline(st: ListenerState): number {
  return st.spans === null ? st.countedUntil : Math.max(st.countedUntil, st.pendingSince + ASSEMBLY_MS);
}
