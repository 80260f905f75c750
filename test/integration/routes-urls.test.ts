// URL builders that follow the mounted paths, richer download events (how a request got in, whose
// signed link, the route's ids, the bytes served), and the onUnauthenticated hook for browsers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createStationFiles, localStorage } from '../../lib';
import { request } from '../support/http';
import { FIXTURES, IDS, USERS, startPanelApp, type PanelApp } from '../support/panel-app';

let app: PanelApp;
before(async () => {
  app = await startPanelApp({
    express: 'v5',
    mount: '/panel/api',
    library: {
      baseUrl: '/panel/api',
      onUnauthenticated: (req, res) => {
        if (String(req.headers.accept ?? '').includes('text/html')) {
          res.writeHead(302, { Location: `/login?next=${encodeURIComponent(req.url ?? '/')}` }).end();
        }
      },
    },
  });
});
after(async () => {
  await app.close();
});

const as = { 'x-api-key': USERS.alphaAdmin.apiKey };

describe('files.url', () => {
  test('builds every endpoint below the mount point, and the routers answer them', async () => {
    const files = app.files;
    const rec = files.url.recording({ station: 'alpha', streamer: IDS.alphaStreamer, broadcast: IDS.alphaBroadcast });
    assert.equal(rec, `/panel/api/station/alpha/streamer/${IDS.alphaStreamer}/broadcast/${IDS.alphaBroadcast}/download`);
    const media = files.url.media({ station: 'alpha', id: IDS.alphaMedia });
    const episode = files.url.episode({ station: 'alpha', podcast: IDS.podcast, episode: IDS.publishedEpisode });
    const enclosure = files.url.publicEpisode({ station: 'alpha', podcast: IDS.podcast, episode: IDS.publishedEpisode, ext: 'mp3' });
    for (const [url, headers] of [
      [rec, as],
      [media, as],
      [episode, as],
      [enclosure, {}],
    ] as const) {
      const r = await request(`${app.origin}${url}`, { headers: { ...headers, range: 'bytes=0-1' } });
      assert.equal(r.status, 206, url);
    }
    assert.equal(
      files.url.publicEpisode({ station: 'alpha', podcast: 'p1', episode: 'e1', ext: 'mp3' }, { base: 'https://radio.example/api/' }),
      'https://radio.example/api/station/alpha/public/podcast/p1/episode/e1/download.mp3',
    );
  });

  test('refuses ids that would point elsewhere, and bad bases', () => {
    assert.throws(() => app.files.url.media({ station: 'alpha', id: '../1' }), /url\.media: invalid id/);
    assert.throws(() => app.files.url.media({ station: 'alpha', id: '1' }, { base: 'javascript:alert(1)' }), /base must be/);
    assert.throws(
      () =>
        createStationFiles({
          authorize: () => true,
          storages: { s: localStorage({ root: '/tmp' }) },
          catalog: { mediaFile: () => null },
          baseUrl: 'api',
        }),
      /baseUrl/,
    );
  });

  test('a signed URL with a subject serves without a session and names its subject in the event; a changed subject is refused', async () => {
    const url = app.files.url.media({ station: 'alpha', id: IDS.alphaMedia }, { signed: { expiresIn: 60, subject: USERS.alphaMedia.id } });
    const r = await request(`${app.origin}${url}`, { headers: { 'user-agent': 'shared-link-test' } });
    assert.equal(r.status, 200);
    const event = await app.eventFor(String(r.headers['x-request-id']));
    assert.equal(event.via, 'signed-link');
    assert.equal(event.linkSubject, USERS.alphaMedia.id);
    assert.equal(event.authenticated, true);
    const forged = await request(`${app.origin}${url.replace(`sub=${USERS.alphaMedia.id}`, 'sub=someone-else')}`);
    assert.equal(forged.status, 403);
    const dropped = await request(`${app.origin}${url.replace(`&sub=${USERS.alphaMedia.id}`, '')}`);
    assert.equal(dropped.status, 403);
  });
});

describe('download events', () => {
  test('carry how the request got in, the route ids and the served bytes', async () => {
    const key = await request(`${app.origin}${app.files.url.recording({ station: 'alpha', streamer: IDS.alphaStreamer, broadcast: IDS.alphaBroadcast })}`, {
      headers: { ...as, range: 'bytes=10-19' },
    });
    const e1 = await app.eventFor(String(key.headers['x-request-id']));
    assert.equal(e1.via, 'authenticate');
    assert.deepEqual(e1.ids, { station: 'alpha', streamer: IDS.alphaStreamer, broadcast: IDS.alphaBroadcast });
    assert.deepEqual(e1.served, { start: 10, end: 19 });

    const cookie = await app.login(USERS.alphaPodcaster);
    const full = await request(`${app.origin}${app.files.url.episode({ station: 'alpha', podcast: IDS.podcast, episode: IDS.publishedEpisode })}`, {
      headers: { cookie },
    });
    const e2 = await app.eventFor(String(full.headers['x-request-id']));
    assert.equal(e2.via, 'session');
    assert.deepEqual(e2.ids, { station: 'alpha', podcast: IDS.podcast, episode: IDS.publishedEpisode });
    assert.deepEqual(e2.served, { start: 0, end: FIXTURES.publishedEpisode.size - 1 });

    const head = await request(
      `${app.origin}${app.files.url.publicEpisode({ station: 'alpha', podcast: IDS.podcast, episode: IDS.publishedEpisode, ext: 'mp3' })}`,
      { method: 'HEAD' },
    );
    const e3 = await app.eventFor(String(head.headers['x-request-id']));
    assert.equal(e3.via, 'public');
    assert.equal(e3.authenticated, false);
    assert.equal(e3.served, null, 'HEAD serves no bytes');

    const refused = await request(`${app.origin}/panel/api/station/alpha/file/${IDS.alphaMedia}/play`);
    const e4 = await app.eventFor(String(refused.headers['x-request-id']));
    assert.equal(e4.via, null);
    assert.equal(e4.served, null);
  });
});

describe('onUnauthenticated', () => {
  test('a browser without a session is sent to the login page; a script still gets the 401; both are denied', async () => {
    const path = `/panel/api/station/alpha/file/${IDS.alphaMedia}/play`;
    const browser = await request(`${app.origin}${path}`, { headers: { accept: 'text/html,application/xhtml+xml' } });
    assert.equal(browser.status, 302);
    assert.equal(browser.headers.location, `/login?next=${encodeURIComponent(`/station/alpha/file/${IDS.alphaMedia}/play`)}`);
    assert.equal((await app.eventFor(String(browser.headers['x-request-id']))).outcome, 'denied');
    const script = await request(`${app.origin}${path}`);
    assert.equal(script.status, 401);
    assert.equal((await app.eventFor(String(script.headers['x-request-id']))).outcome, 'denied');
    const wrong = await request(`${app.origin}${path}`, { headers: { accept: 'text/html', 'x-api-key': USERS.bravoDj.apiKey } });
    assert.equal(wrong.status, 403, 'a user without the permission is not redirected');
  });
});
