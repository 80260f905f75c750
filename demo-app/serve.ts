/**
 * Serving the demo panel: listening with the README's timeouts, and the drain on SIGTERM/SIGINT
 * (stop listening, files.close({ deadlineMs: DRAIN_MS }), close the database, exit 0). Used by
 * `npm run demo` (server.ts), so by every `demo:cluster` instance too.
 */
import type { Server } from 'node:http';
import type { DemoApp } from './app';
import type { DemoConfig } from './config';

/**
 * Starts listening on HOST:PORT; `onListening` runs once the port is open. The README's
 * "Timeouts and slow clients": request headers within 20 s, a whole request (uploads included)
 * within 2 min; requestTimeout does not bound responses, so long downloads are unaffected
 * (stalled ones are cut by the delivery's sendTimeoutMs).
 *
 * @example
 * const server = listenDemo(demo, readConfig(), () => console.log('listening'));
 */
export function listenDemo(demo: DemoApp, config: DemoConfig, onListening: () => void = () => {}): Server {
  const server = demo.app.listen(config.port, config.host, onListening);
  server.headersTimeout = 20_000;
  server.requestTimeout = 120_000;
  server.keepAliveTimeout = 5_000;
  return server;
}

/**
 * Drains one instance: `server.close()` (no new connections; idle keep-alive ones close), then
 * `files.close({ deadlineMs })` (downloads in flight finish, or are cut at the deadline and
 * logged `aborted` / `shutdown`), then the connections left (pages) are closed and the app's
 * database closed once its history inserts have returned. Never rejects on a closed server.
 *
 * @example
 * await drainDemo(server, demo, 20_000);
 * process.exit(0);
 */
export async function drainDemo(server: Server, demo: DemoApp, deadlineMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  await demo.files.close({ deadlineMs });
  server.closeAllConnections();
  await closed;
  await demo.close();
}

/**
 * On the first SIGTERM or SIGINT: drains (drainDemo with DRAIN_MS) and exits 0 (1 if closing
 * failed); a second SIGINT (Ctrl-C twice) exits 1 at once.
 *
 * @example
 * drainOnSignals(listenDemo(demo, config), demo, config, console.log);
 */
export function drainOnSignals(server: Server, demo: DemoApp, config: DemoConfig, log: (line: string) => void): void {
  let draining = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (draining) {
      // A SIGTERM while draining changes nothing (demo:cluster sends one after the terminal's
      // Ctrl-C reached every process of the group); Ctrl-C twice means now.
      if (signal !== 'SIGINT') return;
      log('demo: SIGINT again, exiting without waiting');
      process.exit(1);
    }
    draining = true;
    log(`demo: ${signal}: draining (downloads in flight get up to ${config.drainMs} ms)`);
    drainDemo(server, demo, config.drainMs).then(
      () => process.exit(0),
      (err: unknown) => {
        log(`demo: closing failed: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
