// DownloadEvents from the routers: exactly one per request, for every outcome, with the fields a
// panel's download history needs; sinks that fail never break a download; morgan lines agree.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import morgan from 'morgan';
import { DOWNLOAD_LOG_FORMAT, localStorage, registerMorganTokens, type DownloadEvent, type Storage } from '../../lib';
import { makeTempDir, type TempDir } from '../support/fixtures-local';
import { request, requestAbortAfter } from '../support/http';
import { FIXTURES, IDS, PATHS, USERS, startPanelApp, type PanelApp, type PanelUser } from '../support/panel-app';
import { writeDeterministicFile } from '../support/s3';

const BIG = 32 * 1024 * 1024; // big enough that socket buffers cannot swallow it before the client leaves
const ABORT_AFTER = 128 * 1024;
const FLAKY_SIZE = 256 * 1024;
const FAIL_AFTER = 64 * 1024;
const REC = FIXTURES.alphaRecording;

/** A storage whose stream breaks after FAIL_AFTER bytes, like a disk read error mid-file. */
const flaky: Storage = {
  kind: 'flaky',
  stat: async () => ({ size: FLAKY_SIZE, mtime: new Date('2026-01-01T00:00:00Z'), etag: '"flaky-1"' }),
  open: async () => {
    let sent = 0;
    return new Readable({
      read() {
        if (sent >= FAIL_AFTER) return void this.destroy(new Error('disk read error (test)'));
        sent += 16 * 1024;
        this.push(Buffer.alloc(16 * 1024, 0x55));
      },
    });
  },
};

/** A storage whose stream delivers every byte at once but signals its end 100 ms later (as S3 bodies can). */
const LAG_SIZE = 64 * 1024;
const lagging: Storage = {
  kind: 'lagging',
  stat: async () => ({ size: LAG_SIZE, mtime: new Date('2026-01-01T00:00:00Z'), etag: '"lagging-1"' }),
  open: async () => {
    const body = new Readable({ read() {} });
    body.push(Buffer.alloc(LAG_SIZE, 0x2a));
    setTimeout(() => body.push(null), 100).unref();
    return body;
  },
};

let app: PanelApp;
let tmp: TempDir;
const lines: string[] = [];
let sinkMode: 'ok' | 'throw' | 'reject' = 'ok';
const laterSinkSaw: string[] = [];
const badSinks = [
  () => {
    if (sinkMode === 'throw') throw new Error('sink exploded');
  },
  () => (sinkMode === 'reject' ? Promise.reject(new Error('sink rejected')) : undefined),
  (e: DownloadEvent) => {
    laterSinkSaw.push(e.id);
  },
];

before(async () => {
  tmp = await makeTempDir('station-files-events-');
  await writeDeterministicFile(path.join(tmp.dir, 'big show.mp3'), 'big', BIG);
  app = await startPanelApp({
    express: 'v5',
    storages: { archive: localStorage({ root: tmp.dir }), flaky, lagging },
    onDownload: badSinks,
    beforeRouter: (host) => {
      registerMorganTokens(morgan);
      host.use(morgan(DOWNLOAD_LOG_FORMAT, { stream: { write: (line: string) => void lines.push(line) } }));
    },
  });
  app.data.recordings.set('b777', { station: 'alpha', streamer: IDS.alphaStreamer, storage: 'archive', key: 'big show.mp3', filename: 'big show.mp3' });
  app.data.recordings.set('b666', { station: 'alpha', streamer: IDS.alphaStreamer, storage: 'flaky', key: 'any.mp3', filename: 'flaky.mp3' });
  app.data.recordings.set('b555', { station: 'alpha', streamer: IDS.alphaStreamer, storage: 'lagging', key: 'any.mp3', filename: 'lagging.mp3' });
  app.data.recordings.set('b404', { station: 'alpha', streamer: IDS.alphaStreamer, storage: 'recordings', key: 'alpha/gone.mp3', filename: 'gone.mp3' });
});
after(async () => {
  await app.close();
  await tmp.cleanup();
});

const recUrl = (broadcast: string): string => app.url('recording', PATHS.recording('alpha', IDS.alphaStreamer, broadcast));
const as = (u: PanelUser) => ({ 'x-api-key': u.apiKey });
const client = (name: string) => ({ 'user-agent': `PanelTest/1.0 (${name})`, referer: 'https://panel.example/station/alpha/recordings' });
const dj = { id: USERS.alphaDj.id, name: USERS.alphaDj.name };

/** Waits for the event of response `id`, then makes sure no second one follows. */
async function onlyEventFor(id: string): Promise<DownloadEvent> {
  const event = await app.eventFor(id);
  await sleep(25);
  assert.equal(app.events.filter((e) => e.id === id).length, 1, `exactly one event for ${id}`);
  return event;
}

interface Case {
  name: string;
  send(headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }>;
  status: number;
  expect: Partial<DownloadEvent>;
}

const CASES: Case[] = [
  {
    name: 'completed 200',
    send: (h) => request(recUrl(IDS.alphaBroadcast), { headers: { ...h, ...as(USERS.alphaDj) } }),
    status: 200,
    expect: {
      outcome: 'completed',
      status: 200,
      user: dj,
      storage: 'recordings',
      delivery: 'stream',
      method: 'GET',
      range: null,
      bytesSent: REC.size,
      size: REC.size,
    },
  },
  {
    name: 'completed 206 (range)',
    send: (h) => request(recUrl(IDS.alphaBroadcast), { headers: { ...h, ...as(USERS.alphaDj), range: 'bytes=100-1099' } }),
    status: 206,
    expect: { outcome: 'completed', status: 206, delivery: 'stream', range: 'bytes=100-1099', bytesSent: 1000, size: REC.size },
  },
  {
    name: 'completed HEAD',
    send: (h) => request(recUrl(IDS.alphaBroadcast), { method: 'HEAD', headers: { ...h, ...as(USERS.alphaDj) } }),
    status: 200,
    expect: { outcome: 'completed', status: 200, method: 'HEAD', delivery: null, bytesSent: 0, size: REC.size },
  },
  {
    name: 'not-modified (If-None-Match)',
    status: 304,
    send: async (h) => {
      const head = await request(recUrl(IDS.alphaBroadcast), { method: 'HEAD', headers: as(USERS.alphaDj) });
      return request(recUrl(IDS.alphaBroadcast), { headers: { ...h, ...as(USERS.alphaDj), 'if-none-match': String(head.headers.etag) } });
    },
    expect: { outcome: 'not-modified', status: 304, user: dj, storage: 'recordings', delivery: null, bytesSent: 0, size: REC.size },
  },
  {
    name: 'not-found: unknown id',
    send: (h) => request(recUrl('b999'), { headers: { ...h, ...as(USERS.alphaDj) } }),
    status: 404,
    expect: { outcome: 'not-found', status: 404, user: dj, fileId: 'b999', storage: null, bytesSent: 0, size: null },
  },
  {
    name: 'not-found: file missing from storage',
    send: (h) => request(recUrl('b404'), { headers: { ...h, ...as(USERS.alphaDj) } }),
    status: 404,
    expect: { outcome: 'not-found', status: 404, fileId: 'b404', storage: 'recordings', bytesSent: 0, size: null },
  },
  {
    name: 'denied 401 (anonymous)',
    send: (h) => request(recUrl(IDS.alphaBroadcast), { headers: h }),
    status: 401,
    expect: { outcome: 'denied', status: 401, user: null, storage: null, delivery: null, bytesSent: 0, size: null },
  },
  {
    name: 'denied 403 (other station)',
    send: (h) => request(recUrl(IDS.alphaBroadcast), { headers: { ...h, ...as(USERS.bravoDj) } }),
    status: 403,
    expect: { outcome: 'denied', status: 403, user: { id: USERS.bravoDj.id, name: USERS.bravoDj.name }, storage: null },
  },
  {
    name: 'rejected 400 (malformed id)',
    send: (h) => request(recUrl('a.b'), { headers: { ...h, ...as(USERS.alphaDj) } }),
    status: 400,
    expect: { outcome: 'rejected', status: 400, fileId: 'a.b', user: null },
  },
  {
    name: 'rejected 405 (POST)',
    send: (h) => request(recUrl(IDS.alphaBroadcast), { method: 'POST', headers: { ...h, ...as(USERS.alphaDj) } }),
    status: 405,
    expect: { outcome: 'rejected', status: 405, method: 'POST' },
  },
  {
    name: 'rejected 416',
    send: (h) => request(recUrl(IDS.alphaBroadcast), { headers: { ...h, ...as(USERS.alphaDj), range: 'bytes=9999999-' } }),
    status: 416,
    expect: { outcome: 'rejected', status: 416, user: dj, storage: 'recordings', range: 'bytes=9999999-', size: REC.size },
  },
];

describe('one DownloadEvent per request, for every outcome', () => {
  for (const c of CASES) {
    test(c.name, async () => {
      const headers = client(c.name);
      const started = Date.now();
      const r = await c.send(headers);
      assert.equal(r.status, c.status);
      const id = String(r.headers['x-request-id']);
      const event = await onlyEventFor(id);
      assert.deepEqual({ ...event, ...c.expect }, event, 'expected fields');
      assert.equal(event.station, 'alpha');
      assert.equal(event.kind, 'recording');
      assert.equal(event.fileId, c.expect.fileId ?? IDS.alphaBroadcast);
      assert.equal(event.ip, '127.0.0.1');
      assert.equal(event.userAgent, headers['user-agent']);
      assert.equal(event.referer, headers.referer);
      assert.ok(event.durationMs >= 0 && event.durationMs <= Date.now() - started + 5);
      assert.ok(Math.abs(Date.parse(event.at) - started) < 2000);
    });
  }

  test('kind, fileId, storage and user for every route', async () => {
    const routes = [
      { kind: 'media', url: app.url('media', PATHS.media('alpha', IDS.alphaMedia)), user: USERS.alphaMedia, fileId: IDS.alphaMedia, storage: 'media' },
      {
        kind: 'episode',
        url: app.url('episode', PATHS.episode('alpha', IDS.podcast, IDS.publishedEpisode)),
        user: USERS.alphaPodcaster,
        fileId: IDS.publishedEpisode,
        storage: 'podcasts',
      },
      {
        kind: 'public-episode',
        url: app.url('public-episode', PATHS.publicEpisode('alpha', IDS.podcast, IDS.publishedEpisode)),
        user: null,
        fileId: IDS.publishedEpisode,
        storage: 'podcasts',
      },
    ] as const;
    for (const r of routes) {
      const res = await request(r.url, { headers: r.user ? as(r.user) : {} });
      assert.equal(res.status, 200, r.kind);
      const e = await onlyEventFor(String(res.headers['x-request-id']));
      assert.deepEqual([e.kind, e.fileId, e.storage, e.station, e.outcome, e.bytesSent], [r.kind, r.fileId, r.storage, 'alpha', 'completed', res.body.length]);
      assert.deepEqual(e.user, r.user ? { id: r.user.id, name: r.user.name } : null);
    }
  });

  test('aborted: the client leaves after N bytes; bytesSent ≥ N and < size', async () => {
    const r = await requestAbortAfter(recUrl('b777'), ABORT_AFTER, { headers: { ...client('abort'), ...as(USERS.alphaDj) } });
    assert.equal(r.status, 200);
    assert.equal(r.complete, false);
    const event = await onlyEventFor(String(r.headers['x-request-id']));
    assert.equal(event.outcome, 'aborted');
    assert.equal(event.status, 200);
    assert.deepEqual(event.user, dj);
    assert.equal(event.storage, 'archive');
    assert.equal(event.size, BIG);
    assert.ok(event.bytesSent !== null && event.bytesSent >= r.bytes && event.bytesSent < BIG, `bytesSent ${event.bytesSent}, client got ${r.bytes}`);
  });

  test('failed: a storage stream that errors midway', async () => {
    const before = app.errors.length;
    const r = await request(recUrl('b666'), { headers: { ...client('flaky'), ...as(USERS.alphaDj) } });
    assert.equal(r.status, 200);
    assert.equal(r.complete, false, 'the client sees a cut-off body');
    const event = await onlyEventFor(String(r.headers['x-request-id']));
    assert.equal(event.outcome, 'failed');
    assert.equal(event.storage, 'flaky');
    assert.equal(event.size, FLAKY_SIZE);
    assert.ok(event.bytesSent !== null && event.bytesSent >= r.body.length && event.bytesSent <= FAIL_AFTER, `bytesSent ${event.bytesSent}`);
    assert.deepEqual(
      app.errors.slice(before).map((e) => e.message),
      ['disk read error (test)'],
    );
  });

  test('the event id is always generated: a client-chosen X-Request-Id is neither the id nor, from an untrusted peer, the correlation id', async () => {
    const given = 'panel-req:2026.01.05-0001';
    const ids = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const r = await request(recUrl(IDS.alphaBroadcast), { headers: { ...as(USERS.alphaDj), 'x-request-id': given } });
      const id = String(r.headers['x-request-id']);
      assert.match(id, /^[0-9a-f-]{36}$/);
      const event = await onlyEventFor(id);
      assert.equal(event.outcome, 'completed');
      assert.equal(event.correlationId, null, 'this app trusts no proxy, so the header is not believed');
      ids.add(id);
    }
    assert.equal(ids.size, 3, 'three downloads with one X-Request-Id are three events');
  });

  test('a sink that throws and a sink that rejects never break the download; both go to onError', async () => {
    for (const mode of ['throw', 'reject'] as const) {
      sinkMode = mode;
      const before = app.errors.length;
      try {
        const r = await request(recUrl(IDS.alphaBroadcast), { headers: as(USERS.alphaDj) });
        assert.equal(r.status, 200);
        assert.equal(r.complete, true);
        assert.equal(r.body.length, REC.size);
        const id = String(r.headers['x-request-id']);
        await onlyEventFor(id);
        assert.ok(laterSinkSaw.includes(id), 'sinks after the failing one still get the event');
        assert.deepEqual(
          app.errors.slice(before).map((e) => e.message),
          [mode === 'throw' ? 'sink exploded' : 'sink rejected'],
        );
      } finally {
        sinkMode = 'ok';
      }
    }
    // The server is still fine afterwards.
    assert.equal((await request(recUrl(IDS.alphaBroadcast), { headers: as(USERS.alphaDj) })).status, 200);
  });
});

describe('morgan access log with the station-files tokens', () => {
  const lineFor = async (id: string): Promise<string> => {
    for (let i = 0; i < 100; i++) {
      const line = lines.find((l) => l.includes(` ${id} `));
      if (line) return line.trimEnd();
      await sleep(10);
    }
    throw new Error(`no morgan line for ${id}`);
  };
  const logged = async (r: { headers: Record<string, string | string[] | undefined> }): Promise<string[]> =>
    (await lineFor(String(r.headers['x-request-id']))).split(' ');

  test('completed: station, user name, outcome and every byte', async () => {
    // Keep-alive: the client does not hang up right after the body (see the next test for that case).
    const agent = new http.Agent({ keepAlive: true });
    const r = await request(recUrl(IDS.alphaBroadcast), { headers: as(USERS.alphaDj), agent });
    const [ip, id, userName, station, , , status, outcome, bytes] = await logged(r);
    agent.destroy();
    assert.deepEqual(
      [ip, id, userName, station, status, outcome, bytes],
      ['127.0.0.1', r.headers['x-request-id'], 'Dee_Jay', 'alpha', '200', 'completed', String(REC.size)],
    );
  });

  test('a client that hangs up right after the last byte: the line says completed, like the DownloadEvent', async () => {
    const r = await requestAbortAfter(recUrl('b555'), LAG_SIZE, { headers: as(USERS.alphaDj) });
    assert.equal(r.bytes, LAG_SIZE, 'the client got every byte');
    const event = await app.eventFor(String(r.headers['x-request-id']));
    assert.deepEqual([event.outcome, event.bytesSent], ['completed', LAG_SIZE]);
    const [, , , , , , status, outcome, bytes] = await logged(r);
    assert.deepEqual([status, outcome, bytes], ['200', 'completed', String(LAG_SIZE)]);
  });

  test('aborted: the partial byte count', async () => {
    const r = await requestAbortAfter(recUrl('b777'), ABORT_AFTER, { headers: as(USERS.alphaDj) });
    await sleep(100); // the line is written when the connection closes
    const [, , userName, station, , , status, outcome, bytes] = await logged(r);
    assert.deepEqual([userName, station, status, outcome], ['Dee_Jay', 'alpha', '200', 'aborted']);
    const n = Number(bytes);
    assert.ok(n >= r.bytes && n < BIG, `logged ${bytes} bytes, client got ${r.bytes}`);
    const event = await app.eventFor(String(r.headers['x-request-id']));
    // The line is written when the socket closes; a chunk the source emitted just then may still be
    // counted by the event afterwards, so the event can only be the same or larger.
    assert.ok(event.bytesSent !== null && n <= event.bytesSent, `line ${n} ≤ event ${event.bytesSent}`);
  });

  test('denied (403): the user who was refused, no bytes', async () => {
    const r = await request(recUrl(IDS.alphaBroadcast), { headers: as(USERS.bravoDj) });
    const [, , userName, station, , , status, outcome, bytes] = await logged(r);
    assert.deepEqual([userName, station, status, outcome, bytes], ['Bruno_Bravo', 'alpha', '403', 'denied', '0']);
  });

  test('denied (401) and not-found (404)', async () => {
    const anon = await logged(await request(recUrl(IDS.alphaBroadcast)));
    assert.deepEqual([anon[2], anon[3], anon[6], anon[7], anon[8]], ['-', 'alpha', '401', 'denied', '0']);
    const missing = await logged(await request(recUrl('b999'), { headers: as(USERS.alphaDj) }));
    assert.deepEqual([missing[2], missing[3], missing[6], missing[7], missing[8]], ['Dee_Jay', 'alpha', '404', 'not-found', '0']);
  });
});
