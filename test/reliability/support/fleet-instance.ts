// One demo panel instance for test/reliability/fleet.test.ts: the demo server (createDemoApp,
// listenDemo, drainOnSignals, as demo-app/server.ts) plus a synchronous witness of its history
// sink: `c <id>` when an event reached the sink, `r <id>` when its INSERT returned, appended to
// WITNESS with writeSync, so the lines survive a kill -9. Prints `ready` once listening.
import { openSync, writeSync } from 'node:fs';
import { createDemoApp } from '../../../demo-app/app';
import { readConfig } from '../../../demo-app/config';
import { drainOnSignals, listenDemo } from '../../../demo-app/serve';

async function main(): Promise<void> {
  const witness = openSync(String(process.env.WITNESS), 'a');
  const config = readConfig();
  const demo = await createDemoApp(config, { accessLog: false, log: (l) => console.error(l) });
  const record = demo.db.recordDownload.bind(demo.db);
  demo.db.recordDownload = async (event) => {
    writeSync(witness, `c ${event.id}\n`);
    await record(event);
    writeSync(witness, `r ${event.id}\n`);
  };
  const server = listenDemo(demo, config, () => console.log('ready'));
  drainOnSignals(server, demo, config, (l) => console.error(l));
}

main().catch((err: unknown) => {
  console.error(`fleet-instance: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
