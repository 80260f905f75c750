// The server a durability test kills with SIGKILL, run in a child process:
//   node --import tsx fault-kill9-server.ts log <root> <logFile> <witnessFile>
//     createStationFiles over localStorage(<root>); media id X serves <root>/X.bin; onDownload: jsonLinesLog(<logFile>),
//     then a witness sink appending each event id to <witnessFile> synchronously (writeSync): what was emitted
//   node --import tsx fault-kill9-server.ts demo <dataDir> <witnessFile>
//     the demo panel (createDemoApp, local storage only, no access log); downloads go to its SQLite history;
//     each id whose insert returned is then appended to <witnessFile> synchronously
// Once listening it prints one JSON line to stdout: { port, apiKey?, files? }.
import { openSync, writeSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { createStationFiles, jsonLinesLog, localStorage } from '../../../lib';
import { createDemoApp } from '../../../demo-app/app';
import { readConfig } from '../../../demo-app/config';
import { fileUrls } from '../../../demo-app/urls';

export interface Kill9Ready {
  port: number;
  /** demo: an X-API-Key of the global administrator. */
  apiKey?: string;
  /** demo: every seeded file's download path and size. */
  files?: { url: string; size: number; kind: string }[];
}

function listen(app: express.Express): Promise<number> {
  return new Promise((resolve) => {
    const server: Server = app.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

async function logServer(root: string, logFile: string, witnessFile: string): Promise<Kill9Ready> {
  const witness = openSync(witnessFile, 'a');
  const files = createStationFiles<{ id: string; name: string }>({
    authorize: () => true,
    storages: { disk: localStorage({ root }) },
    catalog: { mediaFile: ({ station, id }) => ({ station, storage: 'disk', key: `${id}.bin`, filename: `${id}.bin` }) },
    onDownload: [jsonLinesLog(logFile, { onError: (err) => console.error(`log: ${err.message}`) }), (event) => void writeSync(witness, `${event.id}\n`)],
    onError: (err) => console.error(`station-files: ${err.message}`),
  });
  const app = express();
  app.use((req, _res, next) => {
    req.user = { id: 'listener', name: 'Kill Nine' };
    next();
  });
  app.use('/api', files.router());
  return { port: await listen(app) };
}

async function demoServer(dataDir: string, witnessFile: string): Promise<Kill9Ready> {
  // Only these settings: no S3_* from the test environment, so every file is on local disk.
  const config = readConfig({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', DELIVERY: 'stream' });
  const { app, db } = await createDemoApp(config, { accessLog: false });
  // The panel's sink calls db.recordDownload at each event: witness the inserts that returned.
  const witness = openSync(witnessFile, 'a');
  const record = db.recordDownload;
  db.recordDownload = async (event) => {
    await record(event);
    writeSync(witness, `${event.id}\n`);
  };
  const admin = await db.userByEmail('admin@example.com');
  if (!admin) throw new Error('the demo has no admin user');
  const files: NonNullable<Kill9Ready['files']> = [];
  for (const station of await db.stations()) {
    for (const row of await db.stationFiles(station.id)) {
      const { url } = fileUrls(station, row);
      if (url) files.push({ url, size: row.size, kind: row.kind });
    }
  }
  return { port: await listen(app), apiKey: await db.createApiKey(admin.id), files };
}

async function main(): Promise<void> {
  const [mode, a, b, c] = process.argv.slice(2);
  let ready: Kill9Ready;
  if (mode === 'log' && a && b && c) ready = await logServer(a, b, c);
  else if (mode === 'demo' && a && b) ready = await demoServer(a, b);
  else throw new Error('usage: fault-kill9-server.ts log <root> <logFile> <witnessFile> | demo <dataDir> <witnessFile>');
  process.stdout.write(`${JSON.stringify(ready)}\n`);
}

main().catch((err: unknown) => {
  console.error(`fault-kill9-server: ${err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});
