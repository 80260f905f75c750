// The nginx S3 hand-off against an HTTPS S3 endpoint (audit issue 10, finding 5): a TLS-terminating
// nginx in front of the suite's radosgw, with a CA made by openssl for this run. The storage's
// client talks HTTPS (trusting that CA); the generated config proxies the presigned URL over
// verified HTTPS (s3TrustedCertificate), byte-exact; with the wrong CA the hand-off fails closed
// with the plain 502.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { nginxConfig } from '../../lib';
import { s3Storage, type S3Storage } from '../../lib/entry/s3';
import { startFileApp, type FileApp } from '../support/file-app';
import { request, requestHash } from '../support/http';
import { freePort, startNginx, type NginxInstance } from '../support/nginx';
import { createTestS3Client, ensureBucket, putObjectStream, s3TestConfig, sha256OfRange } from '../support/s3';
import { makeTestCa, type TestCa } from '../support/test-ca';

const SIZE = 6 * 1024 * 1024;
const cfg = s3TestConfig();
const setup = createTestS3Client().client;
const prefix = `nginx-https-${Date.now().toString(36)}/`;
const tmp = path.resolve(__dirname, '..', '..', '.test-tmp');
let dir: string;
let ca: TestCa;
let wrongCa: TestCa;
let tlsFront: NginxInstance;
let client: S3Client;
let storage: S3Storage;
let app: FileApp;
const started: NginxInstance[] = [];

/** nginx terminating TLS with a test CA's server certificate, proxying to radosgw. */
function tlsFrontConfig(s3: URL, cert: TestCa): string {
  return `server {
    listen 127.0.0.1:{{PORT}} ssl;
    ssl_certificate ${cert.serverCert};
    ssl_certificate_key ${cert.serverKey};
    client_max_body_size 0;
    location / {
        proxy_pass http://${s3.host};
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $http_host;
        proxy_buffering off;
        proxy_request_buffering off;
    }
}`;
}

/** An S3 client over HTTPS to `endpoint`, trusting `cert`'s CA. */
function httpsClient(endpoint: string, cert: TestCa, checkNames = true): S3Client {
  const agent = new https.Agent({ keepAlive: true, ca: cert.caPem, ...(checkNames ? {} : { checkServerIdentity: () => undefined }) });
  return new S3Client({
    endpoint,
    region: cfg.region,
    forcePathStyle: true,
    credentials: { accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: new NodeHttpHandler({ httpsAgent: agent }),
  });
}

async function generatedNginx(trusted: string, target: FileApp = app, s3: S3Storage = storage): Promise<NginxInstance> {
  const port = await freePort();
  const conf = await nginxConfig({ listen: `127.0.0.1:${port}`, app: `127.0.0.1:${target.port}`, storages: { s3 }, s3TrustedCertificate: trusted });
  const n = await startNginx({ listenPort: port, config: conf });
  started.push(n);
  return n;
}

before(async () => {
  mkdirSync(tmp, { recursive: true });
  dir = mkdtempSync(path.join(tmp, 'nginx-https-'));
  ca = makeTestCa(path.join(dir, 'ca'));
  wrongCa = makeTestCa(path.join(dir, 'wrong-ca'), 'some other CA');
  await ensureBucket(setup, cfg.bucket);
  await putObjectStream(setup, cfg.bucket, `${prefix}show.bin`, 'https-show', SIZE);
  tlsFront = await startNginx({ config: tlsFrontConfig(new URL(cfg.endpoint), ca) });
  client = httpsClient(`https://127.0.0.1:${tlsFront.port}`, ca);
  storage = s3Storage({ client, bucket: cfg.bucket, prefix, accel: {} });
  app = await startFileApp({ s3: storage });
});

after(async () => {
  for (const n of started) await n.stop();
  await tlsFront?.stop();
  await app?.close();
  client?.destroy();
  setup.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('S3 hand-off to an HTTPS endpoint', () => {
  test('the generated config speaks verified HTTPS to the endpoint the client uses', async () => {
    const conf = await nginxConfig({ listen: '127.0.0.1:1', app: '127.0.0.1:2', storages: { s3: storage }, s3TrustedCertificate: ca.caCert });
    assert.match(conf, new RegExp(`server 127\\.0\\.0\\.1:${tlsFront.port};`));
    assert.match(conf, /proxy_pass https:\/\/station_files_s3_0\$sf_uri;/);
    assert.match(conf, /proxy_ssl_verify on;/);
  });

  test('downloads through nginx over HTTPS are byte-exact, whole and ranged', async () => {
    const nginx = await generatedNginx(ca.caCert);
    const whole = await requestHash(`${nginx.url}/s3/show.bin`);
    assert.equal(whole.status, 200, nginx.errorLog().slice(-1500));
    assert.equal(whole.complete, true);
    assert.equal(whole.bytes, SIZE);
    assert.equal(whole.sha256, await sha256OfRange('https-show', SIZE, 0, SIZE - 1));
    const part = await requestHash(`${nginx.url}/s3/show.bin`, { headers: { range: 'bytes=1000000-1999999' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], `bytes 1000000-1999999/${SIZE}`);
    assert.equal(part.sha256, await sha256OfRange('https-show', SIZE, 1000000, 1999999));
    assert.equal(app.results.at(-1)?.delivery, 'accel');
  });

  test('a certificate from a CA nginx does not trust: the plain 502, nothing from S3', async () => {
    const nginx = await generatedNginx(wrongCa.caCert);
    const r = await request(`${nginx.url}/s3/show.bin`);
    assert.equal(r.status, 502);
    assert.equal(r.body.toString(), 'Storage unavailable\n');
    assert.match(nginx.errorLog(), /certificate verify failed|upstream SSL certificate/);
  });

  test('a trusted CA but a certificate for another host: the plain 502 (the name is checked)', async () => {
    const misnamed = makeTestCa(path.join(dir, 'misnamed'), 'misnamed CA', 'DNS:s3.other.example');
    const front = await startNginx({ config: tlsFrontConfig(new URL(cfg.endpoint), misnamed) });
    started.push(front);
    // The app's own S3 requests ignore the name here, so only nginx's check can refuse.
    const c = httpsClient(`https://127.0.0.1:${front.port}`, misnamed, false);
    const s3 = s3Storage({ client: c, bucket: cfg.bucket, prefix, accel: {} });
    const misnamedApp = await startFileApp({ s3 });
    try {
      const nginx = await generatedNginx(misnamed.caCert, misnamedApp, s3);
      const r = await request(`${nginx.url}/s3/show.bin`);
      assert.equal(r.status, 502);
      assert.equal(r.body.toString(), 'Storage unavailable\n');
      assert.match(nginx.errorLog(), /upstream SSL certificate does not match "127\.0\.0\.1"/);
    } finally {
      await misnamedApp.close();
      c.destroy();
    }
  });
});
