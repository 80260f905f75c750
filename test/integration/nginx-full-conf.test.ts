// The README's complete nginx.conf is valid: `nginx -t` on its text, with the generated server
// block for a local and an S3 storage included where the README includes it, and Debian's paths
// moved into a temp folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { localStorage, nginxConfig } from '../../lib';
import { createS3Client, s3Storage } from '../../lib/entry/s3';

const repo = path.resolve(__dirname, '..', '..');
const NGINX = '/usr/sbin/nginx';
const HEADERS_MORE = '/usr/lib/nginx/modules/ngx_http_headers_more_filter_module.so';

test("the README's nginx.conf passes nginx -t with the generated server block", async () => {
  assert.ok(existsSync(NGINX), 'nginx not found: install the Debian package nginx (bash test/install-system-deps.sh)');
  assert.ok(existsSync(HEADERS_MORE), 'headers-more not found: install libnginx-mod-http-headers-more-filter (bash test/install-system-deps.sh)');
  const readme = readFileSync(path.join(repo, 'README.md'), 'utf8');
  const conf = /```nginx\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(conf, 'the README shows a complete nginx.conf');
  mkdirSync(path.join(repo, '.test-tmp'), { recursive: true });
  const dir = mkdtempSync(path.join(repo, '.test-tmp', 'nginx-conf-'));
  try {
    const storages = {
      media: localStorage({ root: dir, accelPrefix: '/_station_files/media' }),
      recordings: s3Storage({ client: createS3Client({ endpoint: 'https://127.0.0.1:9443', forcePathStyle: true }), bucket: 'radio', accel: {} }),
    };
    writeFileSync(path.join(dir, 'station-files.conf'), await nginxConfig({ listen: '127.0.0.1:8099', app: '127.0.0.1:3000', storages }));
    // (an IP endpoint: nginx resolves upstream host names when it loads the config, and this test has no DNS)
    // Debian's folders, moved into the temp folder: the modules-enabled include becomes the module's own line.
    const local = conf
      .replace('include /etc/nginx/modules-enabled/*.conf;', `load_module ${HEADERS_MORE};`)
      .replace('/run/nginx.pid', path.join(dir, 'nginx.pid'))
      .replaceAll('/var/log/nginx/', `${dir}/`)
      .replace('include /etc/nginx/conf.d/station-files.conf;', `include ${path.join(dir, 'station-files.conf')};`)
      .replace('user www-data;', process.getuid?.() === 0 ? 'user www-data;' : '');
    writeFileSync(path.join(dir, 'nginx.conf'), local);
    const r = spawnSync(NGINX, ['-t', '-p', dir, '-c', path.join(dir, 'nginx.conf')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /test is successful/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
