import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { createS3Client, localStorage, nginxConfig, s3Storage } from '../../lib';

const repo = path.resolve(__dirname, '..', '..');
const client = (endpoint: string) => createS3Client({ endpoint, forcePathStyle: true, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });

describe('nginxConfig', () => {
  it('has one internal alias per local storage with accelPrefix, none for stream-only storages', async () => {
    const conf = await nginxConfig({
      listen: '8080',
      app: '127.0.0.1:3000',
      storages: {
        media: localStorage({ root: '/srv/media', accelPrefix: '/_sf/media' }),
        plain: localStorage({ root: '/srv/plain' }),
      },
    });
    assert.match(conf, /location \^~ \/_sf\/media\/ \{\n\s+internal;\n\s+alias \/srv\/media\/;/);
    assert.doesNotMatch(conf, /\/srv\/plain/);
    assert.match(conf, /upstream station_files_app \{ server 127\.0\.0\.1:3000;/);
  });

  it('proxies S3 hand-offs to the storage client endpoint, never to a host from the app', async () => {
    const conf = await nginxConfig({
      listen: '8080',
      app: '127.0.0.1:3000',
      storages: { rec: s3Storage({ client: client('http://10.1.2.3:7480'), bucket: 'radio', accel: {} }) },
    });
    assert.match(conf, /upstream station_files_s3_0 \{ server 10\.1\.2\.3:7480;/);
    assert.match(conf, /location = \/_station_files\/s3 \{/);
    assert.match(conf, /proxy_pass http:\/\/station_files_s3_0\$sf_uri;/);
    assert.match(conf, /proxy_set_header If-Match \$sf_if_match;/);
    assert.match(conf, /proxy_hide_header Content-Disposition;/);
    assert.match(conf, /add_header Access-Control-Allow-Origin \$sf_access_control_allow_origin always;/);
  });

  it('refuses values that could break out of a directive, and one location for two endpoints', async () => {
    await assert.rejects(nginxConfig({ listen: '80; evil', app: 'x:1', storages: {} }), TypeError);
    await assert.rejects(nginxConfig({ listen: '80', app: 'x:1', storages: { m: localStorage({ root: '/srv/a b', accelPrefix: '/_m' }) } }), /root/);
    await assert.rejects(nginxConfig({
      listen: '80',
      app: 'x:1',
      storages: {
        a: s3Storage({ client: client('http://127.0.0.1:7480'), bucket: 'one', accel: {} }),
        b: s3Storage({ client: client('http://127.0.0.2:7480'), bucket: 'two', accel: {} }),
      },
    }), /two S3 endpoints/);
  });
});

describe('station-files nginx (command)', () => {
  it('prints the config for a config module', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'lib/cli.ts', 'nginx', '--config', 'test/fixtures/nginx-options.ts'], { cwd: repo, encoding: 'utf8' });
    assert.match(out, /alias \/var\/radio\/media\/;/);
    assert.match(out, /location = \/_station_files\/s3 \{/);
  });
  it('explains its usage on bad arguments', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'lib/cli.ts', 'nginx'], { cwd: repo, encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /usage: station-files nginx --config FILE/);
  });
});
