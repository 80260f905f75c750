/** Starts the demo panel: `npm run demo` (PORT, HOST, DATA_DIR, DATABASE_URL, DELIVERY, S3_* — see config.ts). */
import { createDemoApp } from './app';
import { readConfig } from './config';
import { describeDatabase } from './db/database';
import { DEMO_LOGINS } from './seed';

async function main(): Promise<void> {
  const config = readConfig();
  const { app, close } = await createDemoApp(config, { log: (line) => console.log(line) });
  const server = app.listen(config.port, config.host, () => {
    const url = `http://${config.host}:${config.port}/`;
    console.log(`\nstation-files demo panel: ${url}`);
    console.log(
      `data: ${config.dataDir} · database: ${describeDatabase(config)} · storage: ${config.s3 ? `S3 for ${config.s3.kinds.join(', ')}` : 'local'} · delivery: ${config.delivery}`,
    );
    console.log('logins:');
    for (const l of DEMO_LOGINS) console.log(`  ${l.email.padEnd(24)} ${l.password.padEnd(22)} ${l.role}`);
  });
  // The README's "Timeouts and slow clients": request headers within 20 s, a whole request
  // (uploads included) within 2 min; requestTimeout does not bound responses, so long downloads
  // are unaffected. Stalled downloads are cut by the delivery's sendTimeoutMs (60 s default).
  server.headersTimeout = 20_000;
  server.requestTimeout = 120_000;
  server.keepAliveTimeout = 5_000;
  const stop = (): void => {
    server.close(() => {
      close().finally(() => process.exit(0));
    });
    server.closeAllConnections();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(`demo: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
