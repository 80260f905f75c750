// A fileHandler app (test/support/file-app.ts) in its own process, so the servers' CPU (the S3 SDK's
// above all) does not compete with the fuzzing client's event loop. Prints `{"port":N}` once listening.
//   node --import tsx fuzz-server.ts local <root>            → /local/<key>  (stream)
//   node --import tsx fuzz-server.ts accel <root> <prefix>   → /acc/<key>    (X-Accel-Redirect to <prefix>)
//   node --import tsx fuzz-server.ts s3 <bucket> <prefix>    → /s3/<key>     (stream, S3_* from the environment)
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createS3Client, s3Storage } from '../../../lib/entry/s3';
import { localStorage, type Storage } from '../../../lib';
import { startFileApp } from '../../support/file-app';
import { s3TestConfig } from '../../support/s3';

function storagesFor(kind: string, a: string, b: string): Record<string, Storage> {
  if (kind === 'local') return { local: localStorage({ root: a }) };
  if (kind === 'accel') return { acc: localStorage({ root: a, accelPrefix: b }) };
  const cfg = s3TestConfig();
  const client = createS3Client({
    endpoint: cfg.endpoint,
    region: cfg.region,
    forcePathStyle: cfg.forcePathStyle,
    maxSockets: 64,
    credentials: { accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey },
  });
  return { s3: s3Storage({ client, bucket: a, prefix: b }) };
}

export interface ServerProcess {
  port: number;
  stop(): Promise<void>;
}

/** Starts this file as a child process and resolves once it listens. */
export function startServerProcess(kind: 'local' | 'accel' | 's3', a: string, b = ''): Promise<ServerProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', __filename, kind, a, b], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`fuzz server ${kind} exited with ${code} before listening`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', (line) => {
      const { port } = JSON.parse(line) as { port: number };
      resolve({
        port,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

if (require.main === module) {
  const [kind = 'local', a = '', b = ''] = process.argv.slice(2);
  void startFileApp(storagesFor(kind, a, b)).then((app) => {
    process.stdout.write(`${JSON.stringify({ port: app.port })}\n`);
    process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
    // stdin is a pipe from the test process: when it closes (the test process died), stop too.
    process.stdin.once('close', () => process.exit(0)).resume();
  });
}
