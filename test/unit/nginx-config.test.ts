import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { createS3Client, s3Storage } from '../../lib/entry/s3';
import { localStorage, nginxConfig } from '../../lib';

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
    await assert.rejects(
      nginxConfig({
        listen: '80',
        app: 'x:1',
        storages: {
          a: s3Storage({ client: client('http://127.0.0.1:7480'), bucket: 'one', accel: {} }),
          b: s3Storage({ client: client('http://127.0.0.2:7480'), bucket: 'two', accel: {} }),
        },
      }),
      /two S3 endpoints/,
    );
  });
});

/** The body of the `location = PATH { ... }` or `location ^~ PATH/ { ... }` block. */
function block(conf: string, head: string): string {
  const start = conf.indexOf(head);
  assert.notEqual(start, -1, `no ${head} in the config`);
  return conf.slice(start, conf.indexOf('\n    }', start));
}

const HELMET_HEADERS = [
  'Content-Security-Policy',
  'Cross-Origin-Opener-Policy',
  'Cross-Origin-Resource-Policy',
  'Origin-Agent-Cluster',
  'Referrer-Policy',
  'Strict-Transport-Security',
  'X-DNS-Prefetch-Control',
  'X-Download-Options',
  'X-Frame-Options',
  'X-Permitted-Cross-Domain-Policies',
  'X-XSS-Protection',
];

describe('nginxConfig: headers across the hand-off (audit issue 10)', () => {
  const storages = {
    media: localStorage({ root: '/srv/media', accelPrefix: '/_sf/media' }),
    rec: s3Storage({ client: client('http://10.1.2.3:7480'), bucket: 'radio', accel: {} }),
  };

  it("restores every helmet header the app set, in every internal location, from the app's response", async () => {
    const conf = await nginxConfig({ listen: '8080', app: '127.0.0.1:3000', storages });
    for (const head of ['location ^~ /_sf/media/ {', 'location ^~ /_sf/media.full/ {', 'location = /_station_files/s3 {']) {
      const b = block(conf, head);
      for (const h of [...HELMET_HEADERS, 'X-Request-Id', 'Access-Control-Allow-Origin', 'Access-Control-Expose-Headers']) {
        const v = h.toLowerCase().replace(/-/g, '_');
        assert.match(b, new RegExp(`set \\$sf_${v} \\$upstream_http_${v};`), `${head} ${h}`);
        assert.match(b, new RegExp(`add_header ${h} \\$sf_${v} always;`), `${head} ${h}`);
      }
      assert.equal(b.match(/add_header X-Content-Type-Options/g)?.length, 1);
    }
  });

  it("hides S3's copies of the restored headers, so each reaches the client once", async () => {
    const b = block(await nginxConfig({ listen: '8080', app: '127.0.0.1:3000', storages }), 'location = /_station_files/s3 {');
    for (const h of [...HELMET_HEADERS, 'X-Content-Type-Options', 'Access-Control-Allow-Origin', 'Content-Type', 'Set-Cookie', 'Server']) {
      assert.match(b, new RegExp(`proxy_hide_header ${h};`), h);
    }
  });

  it('sends S3 only an allowlist of request headers, and clears every x-amz-* / x-rgw-* response header', async () => {
    const conf = await nginxConfig({ listen: '8080', app: '127.0.0.1:3000', storages });
    const b = block(conf, 'location = /_station_files/s3 {');
    assert.match(b, /proxy_pass_request_headers off;/);
    assert.match(b, /proxy_pass_request_body off;/);
    assert.deepEqual([...b.matchAll(/proxy_set_header (\S+) /g)].map((m) => m[1]).sort(), ['Connection', 'Host', 'If-Match', 'Range']);
    assert.match(b, /more_clear_headers 'x-amz-\*' 'x-rgw-\*';/);
    assert.match(conf, /^# Needs nginx's headers-more module \(Debian: apt-get install libnginx-mod-http-headers-more-filter/m);
    const localOnly = await nginxConfig({ listen: '8080', app: '127.0.0.1:3000', storages: { media: storages.media } });
    assert.doesNotMatch(localOnly, /more_clear_headers|headers-more/);
  });
});

describe('nginxConfig: HTTPS and AWS S3 endpoints (audit issue 10)', () => {
  const s3Block = async (c: ReturnType<typeof client>, extra: { s3TrustedCertificate?: string } = {}, bucket = 'radio') => {
    const conf = await nginxConfig({ listen: '8080', app: '127.0.0.1:3000', storages: { rec: s3Storage({ client: c, bucket, accel: {} }) }, ...extra });
    return { conf, b: block(conf, 'location = /_station_files/s3 {') };
  };

  it('keeps https and verifies the certificate against the system bundle by default', async () => {
    const { conf, b } = await s3Block(client('https://s3.example.com'));
    assert.match(conf, /upstream station_files_s3_0 \{ server s3\.example\.com:443;/);
    assert.match(b, /proxy_pass https:\/\/station_files_s3_0\$sf_uri;/);
    assert.match(b, /proxy_ssl_server_name on;/);
    assert.match(b, /proxy_ssl_name s3\.example\.com;/);
    assert.match(b, /proxy_ssl_verify on;/);
    assert.match(b, /proxy_ssl_verify_depth \d+;/);
    assert.match(b, /proxy_ssl_trusted_certificate \/etc\/ssl\/certs\/ca-certificates\.crt;/);
  });

  it('keeps a non-default port, and takes the CA bundle from s3TrustedCertificate', async () => {
    const { conf, b } = await s3Block(client('https://s3.example.com:8443'), { s3TrustedCertificate: '/etc/station/s3-ca.pem' });
    assert.match(conf, /server s3\.example\.com:8443;/);
    assert.match(b, /proxy_ssl_trusted_certificate \/etc\/station\/s3-ca\.pem;/);
    const plain = await s3Block(client('http://10.1.2.3:7480'));
    assert.match(plain.b, /proxy_pass http:\/\//);
    assert.doesNotMatch(plain.b, /proxy_ssl/);
  });

  it('refuses a bad s3TrustedCertificate, naming the option', async () => {
    for (const bad of ['relative/ca.pem', '/etc/ssl/ca.pem; evil', '/etc/../tmp/ca.pem', 42]) {
      await assert.rejects(
        nginxConfig({ listen: '80', app: 'x:1', storages: {}, s3TrustedCertificate: bad as string }),
        (err: unknown) => err instanceof TypeError && /s3TrustedCertificate/.test(err.message),
      );
    }
  });

  // AWS itself (no explicit endpoint): the upstream is the host the app presigns for, so Host,
  // SNI and certificate name agree. No network: the presigned URL is computed locally.
  for (const [label, forcePathStyle, bucket, host] of [
    ['virtual-hosted', false, 'radio', 'radio.s3.eu-west-1.amazonaws.com'],
    ['path style', true, 'radio', 's3.eu-west-1.amazonaws.com'],
    ['a dotted bucket (path style, as the SDK does over HTTPS)', false, 'radio.example', 's3.eu-west-1.amazonaws.com'],
  ] as const) {
    it(`AWS S3 without an endpoint, ${label}: the regional HTTPS endpoint the presigned URL names`, async () => {
      const c = createS3Client({ region: 'eu-west-1', forcePathStyle, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
      const storage = s3Storage({ client: c, bucket, accel: {} });
      const conf = await nginxConfig({ listen: '8080', app: '127.0.0.1:3000', storages: { rec: storage } });
      const b = block(conf, 'location = /_station_files/s3 {');
      const presigned = new URL(await storage.presign('show.mp3', { expiresIn: 60 }));
      assert.equal(presigned.protocol, 'https:');
      assert.equal(presigned.host, host);
      assert.match(conf, new RegExp(`upstream station_files_s3_0 \\{ server ${host.replace(/\./g, '\\.')}:443;`));
      assert.match(b, /proxy_pass https:\/\/station_files_s3_0\$sf_uri;/);
      assert.match(b, new RegExp(`proxy_ssl_name ${host.replace(/\./g, '\\.')};`));
      // nginx sends the presigned URL's own Host and path, which the app passes in these headers.
      const target = await storage.accel!('show.mp3', { meta: { size: 10, mtime: new Date(0), etag: '"e"' } });
      assert.equal(target.headers?.['X-Station-Files-S3-Host'], presigned.host);
      assert.equal(new URL(String(target.headers?.['X-Station-Files-S3-Uri']), presigned).pathname, presigned.pathname);
      c.destroy();
    });
  }
});

describe('nginxConfig: client address and body size (audit issues 10 and 11)', () => {
  const base = { listen: '8080', app: '127.0.0.1:3000', storages: {} };

  it("sets X-Forwarded-For to the address nginx saw, never appending the client's", async () => {
    const conf = await nginxConfig(base);
    assert.match(block(conf, 'location / {'), /proxy_set_header X-Forwarded-For \$remote_addr;/);
    assert.doesNotMatch(conf, /proxy_add_x_forwarded_for|set_real_ip_from/);
  });

  it('realIpFrom: believes X-Forwarded-For from the listed proxies only', async () => {
    const conf = await nginxConfig({ ...base, realIpFrom: ['10.0.0.0/8', '192.168.1.7', 'fd00::/8'] });
    assert.match(conf, /set_real_ip_from 10\.0\.0\.0\/8;\n\s+set_real_ip_from 192\.168\.1\.7;\n\s+set_real_ip_from fd00::\/8;/);
    assert.match(conf, /real_ip_header X-Forwarded-For;/);
    assert.match(conf, /real_ip_recursive on;/);
    for (const bad of [['10.0.0.0/33'], ['example.com'], ['10.0.0.1; evil'], '10.0.0.0/8', [42]]) {
      await assert.rejects(nginxConfig({ ...base, realIpFrom: bad as string[] }), (err: unknown) => err instanceof TypeError && /realIpFrom/.test(err.message));
    }
  });

  it('clientMaxBodySize: not emitted by default (the panel takes uploads), emitted for the app when given', async () => {
    assert.doesNotMatch(await nginxConfig(base), /client_max_body_size/);
    assert.match(block(await nginxConfig({ ...base, clientMaxBodySize: '500m' }), 'location / {'), /client_max_body_size 500m;/);
    assert.match(await nginxConfig({ ...base, clientMaxBodySize: 0 }), /client_max_body_size 0;/);
    for (const bad of ['500 MB', '-1', 1.5, '1m; evil']) {
      await assert.rejects(
        nginxConfig({ ...base, clientMaxBodySize: bad }),
        (err: unknown) => err instanceof TypeError && /clientMaxBodySize/.test(err.message),
      );
    }
  });
});

describe('nginxConfig app servers and nextUpstream', () => {
  const base = { listen: '8080', app: '127.0.0.1:3000', storages: {} };
  const upstream = (conf: string): string => /upstream station_files_app \{[^}]*\}/.exec(conf)?.[0] ?? '';

  it('one host:port, or a list of them, becomes the servers of one upstream', async () => {
    assert.equal(upstream(await nginxConfig(base)), 'upstream station_files_app { server 127.0.0.1:3000; keepalive 64; keepalive_timeout 4s; }');
    assert.equal(
      upstream(await nginxConfig({ ...base, app: ['127.0.0.1:3000'] })),
      'upstream station_files_app { server 127.0.0.1:3000; keepalive 64; keepalive_timeout 4s; }',
    );
    const fleet = await nginxConfig({ ...base, app: ['10.0.0.5:3000', 'app-2.internal:3000', '[::1]:3001', 'unix:/run/panel.sock'] });
    assert.equal(
      upstream(fleet),
      'upstream station_files_app { server 10.0.0.5:3000; server app-2.internal:3000; server [::1]:3001; server unix:/run/panel.sock; keepalive 64; keepalive_timeout 4s; }',
    );
    assert.equal(fleet.match(/^upstream station_files_app/gm)?.length, 1);
  });

  it('by default a request no server answered goes to one other server (error, timeout), nothing more', async () => {
    const app = block(await nginxConfig(base), 'location / {');
    assert.match(app, /\n\s+proxy_next_upstream error timeout http_503;\n\s+proxy_next_upstream_tries 2;\n/);
    assert.doesNotMatch(app, /^\s*proxy_next_upstream [^;]*non_idempotent/m);
  });

  it('nextUpstream: conditions and tries as given, or off', async () => {
    const app = block(await nginxConfig({ ...base, nextUpstream: { when: ['error', 'timeout', 'http_503'], tries: 3 } }), 'location / {');
    assert.match(app, /proxy_next_upstream error timeout http_503;\n\s+proxy_next_upstream_tries 3;/);
    const tries = block(await nginxConfig({ ...base, nextUpstream: { tries: 5 } }), 'location / {');
    assert.match(tries, /proxy_next_upstream error timeout http_503;\n\s+proxy_next_upstream_tries 5;/);
    const off = block(await nginxConfig({ ...base, nextUpstream: false }), 'location / {');
    assert.match(off, /proxy_next_upstream off;/);
    assert.doesNotMatch(off, /proxy_next_upstream_tries/);
  });

  it('refuses a bad app list or nextUpstream, naming the option', async () => {
    const appMessage = 'nginxConfig: app must be a host:port (or unix:/path), or a non-empty list of them without repeats';
    for (const bad of [[], ['127.0.0.1'], ['a:1', 'a:1'], ['a:1; evil'], 'a:1 b:2', [3000], undefined]) {
      await assert.rejects(nginxConfig({ ...base, app: bad as string[] }), (err: unknown) => err instanceof TypeError && err.message === appMessage);
    }
    const cases: [unknown, string][] = [
      [{ tries: 0 }, 'nginxConfig: nextUpstream.tries must be a whole number from 1 to 100'],
      [{ tries: 2.5 }, 'nginxConfig: nextUpstream.tries must be a whole number from 1 to 100'],
      [{ when: ['error', 'non_idempotent'] }, /^nginxConfig: nextUpstream\.when must be a non-empty list of error, timeout, /.source],
      [{ when: [] }, /^nginxConfig: nextUpstream\.when must be a non-empty list/.source],
      [{ when: ['error', 'error'] }, /^nginxConfig: nextUpstream\.when must be/.source],
      [{ retries: 2 }, /^nginxConfig: unknown option nextUpstream\.retries \(known: when, tries\)$/.source],
      [true, /^nginxConfig: nextUpstream must be an object$/.source],
    ];
    for (const [nextUpstream, message] of cases) {
      await assert.rejects(
        nginxConfig({ ...base, nextUpstream: nextUpstream as false }),
        (err: unknown) => err instanceof TypeError && (err.message === message || new RegExp(message).test(err.message)),
        JSON.stringify(nextUpstream),
      );
    }
  });
});

describe('station-files nginx (command)', () => {
  it('prints the config for a config module', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'lib/cli/bin.ts', 'nginx', '--config', 'test/fixtures/nginx-options.ts'], {
      cwd: repo,
      encoding: 'utf8',
    });
    assert.match(out, /alias \/var\/radio\/media\/;/);
    assert.match(out, /location = \/_station_files\/s3 \{/);
  });
  it('explains its usage on bad arguments', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'lib/cli/bin.ts', 'nginx'], { cwd: repo, encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /usage: station-files nginx --config FILE/);
  });
});
