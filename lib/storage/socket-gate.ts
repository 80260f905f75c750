/**
 * SocketGate: the pooled S3 sockets of one client as permits. A request takes a permit before it
 * is sent and gives it back when its body is done, so requests that find every socket in use wait
 * here, where no SDK timer runs: the SDK's connection and request timeouts then measure S3, not
 * the wait for a socket. Waiters are served in arrival order, first reads before continuations
 * (the next window of a download already playing), so a listener who just pressed play waits for
 * one socket, not for everyone's next window.
 */

/** Gives a permit back; calling it again does nothing. */
export type Release = () => void;

/** One waiting request: called with its permit. */
type Waiter = (release: Release) => void;

/**
 * `size` permits, handed out first reads first, each kind in arrival order. `crowded()` says
 * whether a request waits.
 *
 * @example
 * const gate = new SocketGate(50);
 * const release = await gate.acquire(signal);
 * try { await send(); } finally { release(); }
 */
export class SocketGate {
  private free: number;
  /** Who waits, in arrival order (a Set keeps insertion order and drops an aborted waiter in O(1)). */
  private readonly firsts = new Set<Waiter>();
  private readonly continuations = new Set<Waiter>();

  constructor(size: number) {
    this.free = size;
  }

  /** Whether a request waits for a socket. */
  crowded(): boolean {
    return this.firsts.size > 0 || this.continuations.size > 0;
  }

  /** How many requests wait for a socket (for tests and stats). */
  get waiting(): number {
    return this.firsts.size + this.continuations.size;
  }

  /**
   * A permit, now or once one is given back (`continuation`: after every first read waiting);
   * rejects with the signal's reason if it aborts first.
   */
  acquire(signal?: AbortSignal, continuation = false): Promise<Release> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.free > 0) {
      this.free -= 1;
      return Promise.resolve(this.permit());
    }
    const waiters = continuation ? this.continuations : this.firsts;
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        waiters.delete(take);
        reject(signal?.reason);
      };
      const take = (release: Release): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(release);
      };
      waiters.add(take);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private permit(): Release {
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      const waiters = this.firsts.size > 0 ? this.firsts : this.continuations;
      const next = waiters.values().next();
      if (next.done) {
        this.free += 1;
        return;
      }
      waiters.delete(next.value);
      next.value(this.permit());
    };
  }
}
