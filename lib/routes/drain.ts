/**
 * Drain: what `files.close()` runs on. Every request is registered from its arrival until its
 * DownloadEvent is emitted; once closing, new requests are refused (503), the ones in flight get
 * until the deadline, then their responses are cut (`aborted`, reason `shutdown`), and close()
 * resolves when every one of them has emitted its event.
 */
import type { ServerResponse } from 'node:http';

/** One request in flight. */
export interface DrainEntry {
  /** Set when close() cut this response at its deadline: its event says `reason: 'shutdown'`. */
  readonly cutByShutdown: boolean;
  /** The request's event was emitted: it no longer holds close() back. Idempotent. */
  done(): void;
}

/** The in-flight register of one createStationFiles. */
export interface Drain {
  /** True once close() was called: new requests are answered 503. */
  readonly closing: boolean;
  /** Requests registered and not done. */
  readonly inFlight: number;
  enter(res: ServerResponse): DrainEntry;
  /**
   * Stops taking requests; waits for those in flight up to `deadlineMs`, then cuts the responses
   * still open and waits for their events. Resolves when none is left (never rejects); calling
   * it again returns the same promise.
   */
  close(deadlineMs: number, atDeadline?: () => void): Promise<void>;
}

/** After the deadline's cut, how long close() still waits for the events of requests stuck elsewhere. */
const STUCK_GRACE_MS = 5000;

interface Live {
  res: ServerResponse;
  cut: boolean;
}

/**
 * Creates the register.
 *
 * @example
 * const drain = createDrain();
 * const entry = drain.enter(res);          // at the start of a request
 * entry.done();                            // when its event was emitted
 * await drain.close(10_000);               // at shutdown
 */
export function createDrain(): Drain {
  const live = new Set<Live>();
  let closing: Promise<void> | null = null;
  let idle: (() => void) | null = null;
  const settle = (): void => {
    if (live.size === 0 && idle) idle();
  };
  return {
    get closing() {
      return closing !== null;
    },
    get inFlight() {
      return live.size;
    },
    enter(res) {
      const item: Live = { res, cut: false };
      live.add(item);
      return {
        get cutByShutdown() {
          return item.cut;
        },
        done() {
          if (live.delete(item)) settle();
        },
      };
    },
    close(deadlineMs, atDeadline) {
      closing ??= new Promise<void>((resolve) => {
        let grace: NodeJS.Timeout | undefined;
        const timer = setTimeout(() => {
          for (const item of live) {
            if (item.res.writableFinished || item.res.destroyed) continue;
            item.cut = true;
            item.res.destroy();
          }
          atDeadline?.();
          // A request stuck in the host's own code (a catalog call that never returns) must not
          // hold the shutdown forever.
          grace = setTimeout(resolve, STUCK_GRACE_MS);
        }, deadlineMs);
        idle = () => {
          clearTimeout(timer);
          clearTimeout(grace);
          resolve();
        };
        settle();
      });
      return closing;
    },
  };
}
