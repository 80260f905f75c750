/**
 * Starts the demo panel: `npm run demo` (PORT, HOST, DATA_DIR, DATABASE_URL, DELIVERY, DRAIN_MS,
 * S3_* — see config.ts). SIGTERM or Ctrl-C drains it (serve.ts): it stops listening, downloads in
 * flight get DRAIN_MS to finish (then are cut and logged `shutdown`), the database is closed, exit 0.
 */
import { createDemoApp } from './app';
import { readConfig } from './config';
import { describeDatabase } from './db/database';
import { DEMO_LOGINS } from './seed';
import { drainOnSignals, listenDemo } from './serve';

async function main(): Promise<void> {
  const config = readConfig();
  const demo = await createDemoApp(config, { log: (line) => console.log(line) });
  const server = listenDemo(demo, config, () => {
    const url = `http://${config.host}:${config.port}/`;
    console.log(`\nstation-files demo panel: ${url}`);
    console.log(
      `data: ${config.dataDir} · database: ${describeDatabase(config)} · storage: ${config.s3 ? `S3 for ${config.s3.kinds.join(', ')}` : 'local'} · delivery: ${config.delivery}`,
    );
    console.log('logins:');
    for (const l of DEMO_LOGINS) console.log(`  ${l.email.padEnd(24)} ${l.password.padEnd(22)} ${l.role}`);
  });
  drainOnSignals(server, demo, config, (line) => console.log(line));
}

main().catch((err: unknown) => {
  console.error(`demo: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
