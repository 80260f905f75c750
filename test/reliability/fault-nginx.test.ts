// Accel mode with nginx missing or misconfigured: the app reached directly (no nginx), an internal
// location aliasing a wrong root, and an S3 upstream that refuses connections. Each ends promptly
// with a defined answer, never a hang; what clients and logs see is documented here.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createS3Client, s3Storage, type S3Storage } from '../../lib/entry/s3';
import { localStorage, nginxConfig, type LocalStorage } from '../../lib';
import { startFileApp, type FileApp } from '../support/file-app';
import { request } from '../support/http';
import { freePort, startNginx, type NginxInstance } from '../support/nginx';
import { createTestS3Client, deterministicRange, ensureBucket, putObjectStream, s3TestConfig, writeDeterministicFile } from '../support/s3';
import { figure } from './support/fault-figures';

const SIZE = 200_000;
const cfg = s3TestConfig();
const setup = createTestS3Client().client;
const client = createS3Client({
  endpoint: cfg.endpoint,
  region: cfg.region,
  forcePathStyle: cfg.forcePathStyle,
  credentials: { accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey },
});
const prefix = `fault-nginx-${Date.now().toString(36)}/`;
let root: string;
let storages: { local: LocalStorage; s3: S3Storage };
let app: FileApp;
const localBytes = deterministicRange('nginx-local', SIZE, 0, SIZE - 1);
const s3Bytes = deterministicRange('nginx-s3', SIZE, 0, SIZE - 1);

before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'sf-fault-nginx-'));
  await writeDeterministicFile(path.join(root, 'show.mp3'), 'nginx-local', SIZE);
  await ensureBucket(setup, cfg.bucket);
  await putObjectStream(setup, cfg.bucket, `${prefix}show.mp3`, 'nginx-s3', SIZE);
  storages = {
    local: localStorage({ root, accelPrefix: '/_station_files/local' }),
    s3: s3Storage({ client, bucket: cfg.bucket, prefix, accel: {} }),
  };
  app = await startFileApp(storages);
});
after(async () => {
  await app.close();
  client.destroy();
  setup.destroy();
  await rm(root, { recursive: true, force: true });
});

/** nginx with the generated config, after `edit` (which must change it). */
async function brokenNginx(edit: (conf: string) => string): Promise<NginxInstance> {
  const port = await freePort();
  const conf = await nginxConfig({ listen: `127.0.0.1:${port}`, app: `127.0.0.1:${app.port}`, storages });
  const broken = edit(conf);
  assert.notEqual(broken, conf, 'the edit applies to the generated config');
  return startNginx({ listenPort: port, config: broken });
}

describe('accel mode reached without nginx', () => {
  test('local file: a 502 with a short reason, the cause for the log, and nothing that looks like a finished download', async (t) => {
    const r = await request(`${app.url}/local/show.mp3?direct`);
    const result = await app.resultFor('/local/show.mp3?direct');
    t.diagnostic(`status ${r.status}, body ${JSON.stringify(r.body.toString())}; DeliveryResult ${result.outcome}: ${result.error?.message}`);
    assert.equal(r.status, 502);
    assert.equal(r.headers['x-accel-redirect'], undefined);
    assert.equal(r.headers['content-disposition'], undefined);
    assert.equal(r.body.toString(), 'Storage unavailable\n');
    assert.equal(result.outcome, 'failed');
    assert.match(String(result.error?.message), /accel delivery needs nginx in front/);
  });

  test('S3 object: the same 502, and no presigned URL reaches the client', async () => {
    const r = await request(`${app.url}/s3/show.mp3?direct`);
    assert.equal(r.status, 502);
    assert.equal(r.headers['x-station-files-s3-uri'], undefined);
    assert.equal(r.headers['x-accel-redirect'], undefined);
  });

  test('with accel.proxyHeader: false the app hands off blindly (for hand-written nginx configs)', async () => {
    const blind = await startFileApp({ local: localStorage({ root, accelPrefix: '/_station_files/local' }) }, { accel: { proxyHeader: false } });
    try {
      const r = await request(`${blind.url}/local/show.mp3`);
      assert.equal(r.status, 200);
      assert.equal(r.headers['x-accel-redirect'], '/_station_files/local.full/show.mp3');
      assert.equal(r.body.length, 0);
    } finally {
      await blind.close();
    }
  });
});

describe('nginx misconfigured', () => {
  test('internal location aliasing a wrong root: a prompt 404 from nginx, named in error.log', async (t) => {
    const nginx = await brokenNginx((conf) => conf.replaceAll(`alias ${root}/;`, `alias ${root}/moved-away/;`));
    try {
      const started = performance.now();
      const r = await request(`${nginx.url}/local/show.mp3?wrong-root`, { timeoutMs: 10_000 });
      const ms = performance.now() - started;
      figure(t, 'fault-nginx', 'wrong alias root: time to answer', Math.round(ms), 'ms');
      t.diagnostic(`status ${r.status}, content-type ${r.headers['content-type']}, x-request-id ${r.headers['x-request-id']}`);
      assert.equal(r.status, 404);
      assert.equal(r.complete, true);
      // Prompt, not hung: the request's 10 s timeout would have cut a hang; the time itself is a figure.
      assert.doesNotMatch(r.body.toString(), new RegExp(root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'the disk path is not shown');
      assert.match(nginx.errorLog(), /open\(\) ".*moved-away\/show\.mp3" failed \(2: No such file or directory\)/);
      const logged = await app.resultFor('/local/show.mp3?wrong-root');
      assert.equal(logged.outcome, 'completed', "the app's log says handed off; only nginx's log has the 404");
      // S3 hand-offs through the same nginx are unaffected.
      const s3 = await request(`${nginx.url}/s3/show.mp3?wrong-root`);
      assert.equal(s3.status, 200);
      assert.deepEqual(s3.body, s3Bytes);
    } finally {
      await nginx.stop();
    }
  });

  test('S3 upstream refusing connections: a prompt 502 "Storage unavailable", no internals, named in error.log', async (t) => {
    const closed = await freePort();
    const nginx = await brokenNginx((conf) => conf.replace(/(upstream station_files_s3_0 \{ server )[^;]+;/, `$1127.0.0.1:${closed};`));
    try {
      for (const attempt of [1, 2]) {
        const started = performance.now();
        const r = await request(`${nginx.url}/s3/show.mp3?refused=${attempt}`, { timeoutMs: 30_000 });
        const ms = performance.now() - started;
        figure(t, 'fault-nginx', `S3 upstream refused: time to 502 (request ${attempt})`, Math.round(ms), 'ms');
        assert.equal(r.status, 502);
        assert.equal(r.body.toString(), 'Storage unavailable\n');
        assert.match(String(r.headers['content-type']), /^text\/plain/);
        assert.equal(r.headers['x-station-files-s3-uri'], undefined);
        assert.doesNotMatch(r.body.toString(), /<\?xml|<html|nginx|Amz|127\.0\.0\.1/);
        // Answered before the request's 30 s timeout (not hung on a connect timeout); the time is a figure.
        assert.equal(r.complete, true);
      }
      const log = nginx.errorLog();
      t.diagnostic(
        log
          .split('\n')
          .filter((l) => /upstream/.test(l))
          .map((l) => l.replace(/^.*\[(\w+)\]/, '[$1]').slice(0, 160))
          .join('\n'),
      );
      assert.match(log, /connect\(\) failed \(111: Connection refused\) while connecting to upstream/);
      // Local hand-offs through the same nginx are unaffected.
      const local = await request(`${nginx.url}/local/show.mp3?refused`);
      assert.equal(local.status, 200);
      assert.deepEqual(local.body, localBytes);
    } finally {
      await nginx.stop();
    }
  });
});
