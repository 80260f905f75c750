// Hostile traffic against the routers (issue 10 of the audit): active content, client-chosen
// request ids, refusals aimed at made-up stations, a per-client cap on downloads in flight,
// malformed percent-escapes. Each case failed before the fix.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { localStorage } from '../../lib';
import { makeTempDir, type TempDir } from '../support/fixtures-local';
import { request } from '../support/http';
import { IDS, PATHS, USERS, startPanelApp, type PanelApp } from '../support/panel-app';
import { writeDeterministicFile } from '../support/s3';

const BIG = 64 * 1024 * 1024; // far more than loopback socket buffers hold: a reader that stops stays in flight
let tmp: TempDir;
const apps: PanelApp[] = [];

before(async () => {
  tmp = await makeTempDir('station-files-hostile-');
  await writeFile(path.join(tmp.dir, 'evil.html'), '<script>document.title = "pwned"</script>');
  await writeFile(path.join(tmp.dir, 'evil.svg'), '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
  await writeDeterministicFile(path.join(tmp.dir, 'big.mp3'), 'big', BIG);
});
after(async () => {
  for (const a of apps) await a.close();
  await tmp.cleanup();
});

async function panel(options: Parameters<typeof startPanelApp>[0]): Promise<PanelApp> {
  const app = await startPanelApp({ ...options, storages: { uploads: localStorage({ root: tmp.dir }) } });
  app.data.media.set('m-html', { station: 'alpha', storage: 'uploads', key: 'evil.html', filename: 'evil.html' });
  app.data.media.set('m-svg', { station: 'alpha', storage: 'uploads', key: 'evil.svg', filename: 'evil.svg' });
  app.data.recordings.set('b-big', { station: 'alpha', streamer: IDS.alphaStreamer, storage: 'uploads', key: 'big.mp3', filename: 'big.mp3' });
  apps.push(app);
  return app;
}

const as = { 'x-api-key': USERS.alphaAdmin.apiKey };

describe('uploaded active content', () => {
  test('HTML and SVG "media" are attachments with a sandbox CSP and nosniff, never inline', async () => {
    const app = await panel({ express: 'v5' });
    for (const id of ['m-html', 'm-svg']) {
      const r = await request(app.url('media', PATHS.media('alpha', id)), { headers: as });
      assert.equal(r.status, 200);
      assert.match(String(r.headers['content-disposition']), /^attachment;/, id);
      assert.equal(r.headers['content-security-policy'], "sandbox; default-src 'none'", id);
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
    }
    const mp3 = await request(app.url('media', PATHS.media('alpha', IDS.alphaMedia)), { headers: as });
    assert.match(String(mp3.headers['content-disposition']), /^inline;/, 'audio still plays inline');
    assert.equal(mp3.headers['content-security-policy'], "sandbox; default-src 'none'");
  });
});

describe('request ids', () => {
  test('an X-Request-Id is a correlation id only from a trusted proxy; the event id is always generated', async () => {
    const trusting = await panel({ express: 'v5', library: { trustProxy: 'loopback' } });
    const given = 'nginx-0123456789abcdef';
    const r = await request(trusting.url('recording', PATHS.recording('alpha', IDS.alphaStreamer, IDS.alphaBroadcast)), {
      headers: { ...as, 'x-request-id': given },
    });
    const id = String(r.headers['x-request-id']);
    assert.notEqual(id, given);
    const event = await trusting.eventFor(id);
    assert.equal(event.correlationId, given);
  });
});

describe('refusals before authentication', () => {
  test('say whether the request was authenticated and whether the station exists', async () => {
    const app = await panel({ express: 'v5', stationHook: true });
    const cases = [
      { station: 'alpha', headers: {}, authenticated: false, exists: true },
      { station: 'madeup', headers: {}, authenticated: false, exists: false },
      { station: 'alpha', headers: as, authenticated: true, exists: true },
    ];
    for (const c of cases) {
      const r = await request(app.url('recording', PATHS.recording(c.station, IDS.alphaStreamer, IDS.alphaBroadcast)), { headers: c.headers });
      const event = await app.eventFor(String(r.headers['x-request-id']));
      assert.equal(event.authenticated, c.authenticated, `${c.station} ${r.status}`);
      assert.equal(event.stationExists, c.exists, `${c.station} ${r.status}`);
    }
    const signed = await request(app.signedUrl({ kind: 'media', station: 'alpha', id: IDS.alphaMedia }));
    assert.equal(signed.status, 200);
    assert.equal((await app.eventFor(String(signed.headers['x-request-id']))).authenticated, true, 'a valid signed link authenticates');
  });

  test('without a station hook, a refusal before lookup does not know', async () => {
    const app = await panel({ express: 'v5' });
    const r = await request(app.url('recording', PATHS.recording('alpha', IDS.alphaStreamer, IDS.alphaBroadcast)));
    assert.equal(r.status, 401);
    assert.equal((await app.eventFor(String(r.headers['x-request-id']))).stationExists, null);
  });
});

/** Sends a GET and never reads the body: the download stays in flight. */
function stalledGet(url: URL, headers: Record<string, string>): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname, () => {
      const lines = [`GET ${url.pathname} HTTP/1.1`, `Host: ${url.host}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), '', ''];
      socket.write(lines.join('\r\n'));
      socket.once('data', () => {
        socket.pause();
        resolve(socket);
      });
    });
    socket.on('error', reject);
  });
}

describe('downloads in flight per client', () => {
  test('past the cap a client gets 429 with Retry-After; other clients and HEAD are not affected; slots come back', async () => {
    const app = await panel({ express: 'v5', library: { trustProxy: 'loopback', concurrentDownloads: { perClient: 2, retryAfterSeconds: 7 } } });
    const url = new URL(app.url('recording', PATHS.recording('alpha', IDS.alphaStreamer, 'b-big')));
    const from = (ip: string) => ({ ...as, 'x-forwarded-for': ip });
    const held = [await stalledGet(url, from('203.0.113.9')), await stalledGet(url, from('203.0.113.9'))];
    const third = await request(url.href, { headers: { ...from('203.0.113.9'), range: 'bytes=0-1' } });
    assert.equal(third.status, 429);
    assert.equal(third.headers['retry-after'], '7');
    assert.equal(third.body.toString(), 'Too many downloads at once\n');
    assert.equal((await app.eventFor(String(third.headers['x-request-id']))).outcome, 'denied');
    const head = await request(url.href, { method: 'HEAD', headers: from('203.0.113.9') });
    assert.equal(head.status, 200, 'HEAD sends no body and is not capped');
    const other = await request(url.href, { headers: { ...from('198.51.100.1'), range: 'bytes=0-1' } });
    assert.equal(other.status, 206, 'another client is not affected');
    const sameV6Net = [await stalledGet(url, from('2001:db8:1:2::a')), await stalledGet(url, from('2001:db8:1:2::b'))];
    const v6 = await request(url.href, { headers: { ...from('2001:db8:1:2::c'), range: 'bytes=0-1' } });
    assert.equal(v6.status, 429, 'IPv6 clients are counted by /64');
    for (const s of [...held, ...sameV6Net]) s.destroy();
    for (let i = 0; ; i++) {
      const again = await request(url.href, { headers: { ...from('203.0.113.9'), range: 'bytes=0-1' } });
      if (again.status === 206) break;
      assert.ok(i < 100, `slots never came back after the stalled clients left (last status ${again.status})`);
      await sleep(50);
    }
  });

  test('loopback clients are not capped (a proxy without trust settings would otherwise cap everyone at once)', async () => {
    const app = await panel({ express: 'v5', library: { concurrentDownloads: { perClient: 1 } } });
    const url = new URL(app.url('recording', PATHS.recording('alpha', IDS.alphaStreamer, 'b-big')));
    const held = await stalledGet(url, as);
    const next = await request(url.href, { headers: { ...as, range: 'bytes=0-1' } });
    assert.equal(next.status, 206);
    held.destroy();
  });
});

describe('malformed percent-escapes', () => {
  for (const version of ['v5', 'v4'] as const) {
    test(`Express ${version}: 400 with a short reason, nothing reported as an error`, async () => {
      const app = await panel({ express: version });
      for (const bad of ['/station/%ZZ/file/1/play', '/station/alpha/file/%E0%A4%A/play', '/station/%/public/podcast/p1/episode/e1/download.mp3']) {
        const r = await request(`${app.url('media', '')}${bad}`);
        assert.equal(r.status, 400, bad);
        assert.equal(r.body.toString(), 'Invalid URL encoding\n');
        assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
      }
      assert.deepEqual(app.errors, []);
    });
  }
});
