// The demo panel in a real browser (headless Chromium), in three setups with the same tests:
// local disk, S3 (all kinds), and local disk behind nginx with X-Accel-Redirect hand-offs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Parser from 'rss-parser';
import type { Browser, Response } from 'playwright-core';
import { fileUrl, publicEpisodeUrl } from '../../demo-app/catalog';
import type { FileRow } from '../../demo-app/db/database';
import { launchBrowser } from '../support/browser';
import { request } from '../support/http';
import { login, must, seeded, sha256File, startDemo, station, storedBytes, storedSha256, storedSize, type Demo, type ModeName, type Session } from './harness';

const LONG = 'Morning Show – Frühstück mit Nova.wav';
const DJ = 'dj@example.com';
const PODCASTER = 'podcaster@example.com';
const MEDIA = 'media@example.com';
const SEEK_TO = 3000;

/** The bits of an HTMLAudioElement the page-side code uses (the project has no DOM lib). */
interface AudioLike {
  muted: boolean;
  currentTime: number;
  duration: number;
  paused: boolean;
  error: { code: number; message: string } | null;
  play(): Promise<void>;
}
interface RowLike {
  cells: ArrayLike<{ textContent: string | null }>;
}
interface EpisodeJson {
  id: number;
  title: string;
  size: number;
  url: string;
  published: boolean;
  publicUrl: string | null;
}
interface PodcastJson {
  id: number;
  title: string;
  feedUrl: string;
  episodes: EpisodeJson[];
}

// E2E_MODES=local,nginx runs a subset (default: all three).
const MODES = (process.env.E2E_MODES ?? 'local,s3,nginx')
  .split(',')
  .map((m) => m.trim())
  .filter(Boolean)
  .map((m): ModeName => {
    if (m !== 'local' && m !== 's3' && m !== 'nginx') throw new Error(`E2E_MODES: unknown mode "${m}" (local, s3, nginx)`);
    return m;
  });

for (const mode of MODES) {
  describe(`demo panel in a browser (${mode})`, () => {
    let d: Demo;
    let browser: Browser;
    let startedAt: string;
    const sessions = new Map<string, Promise<Session>>();
    const session = (email: string): Promise<Session> => {
      let s = sessions.get(email);
      if (!s) sessions.set(email, (s = login(browser, d.base, email)));
      return s;
    };
    const long = (): FileRow => seeded(d, 'alpha', 'recording', LONG);

    before(
      async () => {
        startedAt = new Date().toISOString();
        d = await startDemo(mode);
        browser = await launchBrowser({ args: ['--autoplay-policy=no-user-gesture-required'] });
      },
      { timeout: 180_000 },
    );

    after(async () => {
      await browser?.close();
      await d?.stop();
    });

    test('a. dj logs in through the form and sees only Radio Alpha', { timeout: 30_000 }, async () => {
      const { page } = await session(DJ);
      assert.equal(new URL(page.url()).pathname, '/');
      const tiles = (await page.locator('ul.tiles li').allInnerTexts()).join('\n');
      assert.match(tiles, /Radio Alpha/);
      assert.doesNotMatch(tiles, /Bravo FM/);
      assert.match(await page.locator('header .who').innerText(), /dj@example\.com/);
    });

    test('b. the Download button saves the 65-minute WAV byte for byte, Unicode name intact', { timeout: 90_000 }, async () => {
      const { page } = await session(DJ);
      const row = long();
      await page.goto('/station/alpha');
      const button = page.locator(`tr[data-file-id="${row.id}"] a.button`, { hasText: 'Download' });
      const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
      assert.equal(download.suggestedFilename(), LONG);
      const saved = await download.path();
      assert.equal(await download.failure(), null);
      assert.equal(await sha256File(saved), await storedSha256(d, row));
    });

    test('c. the inline player plays and seeks to 50 min with a far range request', { timeout: 90_000 }, async () => {
      const { page } = await session(DJ);
      const row = long();
      const url = new URL(fileUrl('alpha', row), d.base).href;
      const seen: { status: number; range: string }[] = [];
      const onResponse = (r: Response): void => {
        if (r.url() === url) seen.push({ status: r.status(), range: r.headers()['content-range'] ?? '' });
      };
      page.on('response', onResponse);
      try {
        await page.goto('/station/alpha');
        const audio = page.locator(`tr[data-file-id="${row.id}"] audio`);
        // No named functions in page code: tsx (esbuild keepNames) would wrap them in __name().
        const played = await audio.evaluate((el) => {
          const a = el as unknown as AudioLike;
          a.muted = true;
          return Promise.race([
            a.play().then(() => 'playing'),
            new Promise<string>((resolve) => setTimeout(() => resolve(`play() pending after 20 s, error ${a.error?.code}`), 20_000)),
          ]);
        });
        assert.equal(played, 'playing');
        await audio.evaluate((el, t) => void ((el as unknown as AudioLike).currentTime = t), SEEK_TO);
        const readState = () =>
          audio.evaluate((el) => {
            const a = el as unknown as AudioLike;
            return { currentTime: a.currentTime, duration: a.duration, paused: a.paused, error: a.error ? `${a.error.code} ${a.error.message}` : null };
          });
        let state = await readState();
        for (const deadline = Date.now() + 20_000; Date.now() < deadline && !state.error && state.currentTime < SEEK_TO + 0.5; ) {
          await new Promise((r) => setTimeout(r, 100));
          state = await readState();
        }
        assert.equal(state.error, null);
        assert.ok(state.currentTime > 2900, `currentTime ${state.currentTime}`);
        assert.ok(Math.abs(state.duration - 65 * 60) < 1, `duration ${state.duration}`);
        assert.equal(state.paused, false);
        const far = (): boolean =>
          seen.some((s) => {
            const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(s.range);
            return s.status === 206 && m !== null && Number(m[1]) > 0.4 * row.size && Number(m[3]) === row.size;
          });
        for (let i = 0; i < 100 && !far(); i++) await new Promise((r) => setTimeout(r, 50));
        assert.ok(far(), `no 206 past 40 % of ${row.size} bytes among ${JSON.stringify(seen)}`);
      } finally {
        page.off('response', onResponse);
        await page.goto('about:blank'); // stop the player's connection
      }
    });

    test('d. stations are isolated: 403 across stations, 401 anonymous', { timeout: 30_000 }, async () => {
      const { page } = await session(DJ);
      const bravoRecording = fileUrl('bravo', seeded(d, 'bravo', 'recording'));
      assert.equal((await page.goto('/station/bravo'))?.status(), 403);
      const denied = await page.request.get(bravoRecording);
      assert.equal(denied.status(), 403);
      const body = await denied.body();
      assert.ok(body.length < 1000 && !body.includes('RIFF'), `403 body: ${body.length} bytes`);
      const fromPage = await page.evaluate(async (u) => {
        const r = await fetch(u);
        const b = new Uint8Array(await r.arrayBuffer());
        return { status: r.status, length: b.length, riff: String.fromCharCode(...b.subarray(0, 4)) === 'RIFF' };
      }, bravoRecording);
      assert.deepEqual({ status: fromPage.status, riff: fromPage.riff }, { status: 403, riff: false });
      const api = await page.request.get('/api/station/bravo/recordings');
      assert.equal(api.status(), 403);
      assert.match(api.headers()['content-type'] ?? '', /json/);

      const media = await session(MEDIA);
      assert.equal((await media.page.request.get(fileUrl('alpha', seeded(d, 'alpha', 'media')))).status(), 403);

      const anonymous = await browser.newContext({ baseURL: d.base });
      try {
        const r = await anonymous.request.get(fileUrl('alpha', long()));
        assert.equal(r.status(), 401);
        assert.ok(!(await r.body()).includes('RIFF'));
      } finally {
        await anonymous.close();
      }
    });

    test('e. the podcast feed lists published episodes with exact, range-capable enclosures', { timeout: 60_000 }, async () => {
      const feedRes = await request(`${d.base}/feeds/alpha/1.xml`);
      assert.equal(feedRes.status, 200);
      assert.equal(feedRes.headers['set-cookie'], undefined);
      const feed = await new Parser().parseString(feedRes.body.toString('utf8'));
      assert.equal(feed.title, 'Alpha Talks');
      assert.equal(feed.items.length, 2, 'drafts excluded');
      const episodes = await d.demo.db.files(station(d, 'alpha').id, 'episode');
      for (const item of feed.items) {
        const enc = must(item.enclosure, `enclosure of ${item.title}`);
        assert.match(enc.url, /\.wav$/);
        assert.equal(enc.type, 'audio/wav');
        const row = must(
          episodes.find((e) => d.base + publicEpisodeUrl('alpha', e) === enc.url),
          `episode for ${enc.url}`,
        );
        assert.notEqual(row.published_at, null);
        const size = await storedSize(d, row);
        assert.equal(Number(enc.length), size, `${enc.url}: length`);

        const head = await request(enc.url, { method: 'HEAD' });
        assert.equal(head.status, 200, `HEAD ${enc.url}`);
        assert.equal(Number(head.headers['content-length']), size);
        assert.equal(head.headers['accept-ranges'], 'bytes');
        const first = await request(enc.url, { headers: { range: 'bytes=0-1' } });
        assert.equal(first.status, 206);
        assert.deepEqual(first.body, await storedBytes(d, row, 0, 1));
        assert.equal(first.body.toString('latin1'), 'RI');
        const start = Math.floor(size / 2) + 13;
        const end = start + 4095;
        const mid = await request(enc.url, { headers: { range: `bytes=${start}-${end}` } });
        assert.equal(mid.status, 206);
        assert.equal(mid.headers['content-range'], `bytes ${start}-${end}/${size}`);
        assert.ok(mid.body.equals(await storedBytes(d, row, start, end)), 'mid-file bytes differ');
        for (const r of [head, first, mid]) {
          assert.equal(r.headers['access-control-allow-origin'], '*');
          assert.equal(r.headers['set-cookie'], undefined);
          assert.ok(r.complete);
        }
      }
    });

    test('f. the reports page draws both charts', { timeout: 60_000 }, async () => {
      const { page } = await session(PODCASTER);
      const problems: string[] = [];
      const onError = (e: Error): void => void problems.push(`page error: ${e.message}`);
      const onResponse = (r: Response): void => void (r.status() >= 400 && problems.push(`${r.status()} for ${r.url()}`));
      page.on('pageerror', onError);
      page.on('response', onResponse);
      try {
        const res = await page.goto('/station/alpha/history');
        assert.equal(res?.status(), 200);
        const ready = await page.waitForSelector('body[data-charts="ready"]', { timeout: 10_000 }).then(
          () => true,
          () => false,
        );
        assert.ok(ready, `charts never became ready: ${problems.join('; ') || 'no errors seen'}`);
        for (const id of ['daily', 'episodes']) {
          const box = await page.locator(`canvas#${id}`).boundingBox();
          assert.ok(box && box.width > 100 && box.height > 100, `canvas#${id}: ${JSON.stringify(box)}`);
        }
        assert.deepEqual(problems, []);
      } finally {
        page.off('pageerror', onError);
        page.off('response', onResponse);
      }
    });

    test("f. the reports table and the DB list this run's downloads", { timeout: 60_000 }, async () => {
      const since = await d.demo.db.downloads('alpha', startedAt);
      const mine = since.filter(
        (r) => r.user_name === 'dj' && r.kind === 'recording' && r.file_id === String(long().id) && r.method === 'GET' && r.range === null,
      );
      assert.equal(mine.length, 1, `the dj's download in the DB: ${JSON.stringify(mine)}`);
      const dj = must(mine[0], 'dj download');
      assert.equal(dj.outcome, 'completed');
      assert.equal(dj.status, 200);

      const { page } = await session(PODCASTER);
      assert.equal((await page.goto('/station/alpha/history'))?.status(), 200);
      const cells = await page
        .locator('table.files tbody tr')
        .evaluateAll((rows) => rows.map((r) => Array.from((r as unknown as RowLike).cells, (c) => (c.textContent ?? '').trim())));
      // Columns: Time, User, Kind, File, Outcome, Status, Range, Bytes, Client.
      const sig = (...parts: string[]): string => parts.join('|');
      const shown = cells.map((c) => sig(...[1, 2, 3, 4, 5, 6].map((i) => c[i] ?? '')));
      const djRows = cells.filter(
        (c) => sig(c[1] ?? '', c[2] ?? '', c[3] ?? '', c[4] ?? '', c[8] ?? '') === sig('dj', 'recording', String(long().id), 'completed', dj.user_agent ?? ''),
      );
      assert.ok(djRows.length >= 1, "the dj's download is in the table");
      for (const r of since) {
        const want = sig(r.user_name ?? '–', r.kind, r.file_id ?? '', r.outcome, String(r.status), r.range ?? '');
        assert.ok(shown.includes(want), `history table lacks ${want}`);
      }
    });

    test('g. the JSON API takes an API key', { timeout: 30_000 }, async () => {
      const podcaster = must(await d.demo.db.userByEmail(PODCASTER), 'podcaster');
      const key = await d.demo.db.createApiKey(podcaster.id);
      const url = `${d.base}/api/station/alpha/podcasts`;
      const r = await request(url, { headers: { 'x-api-key': key } });
      assert.equal(r.status, 200);
      assert.match(String(r.headers['content-type']), /^application\/json/);
      const podcasts = JSON.parse(r.body.toString('utf8')) as PodcastJson[];
      assert.equal(podcasts.length, 1);
      const talks = must(podcasts[0], 'podcast');
      assert.equal(talks.title, 'Alpha Talks');
      assert.equal(talks.feedUrl, '/feeds/alpha/1.xml');
      assert.equal(talks.episodes.length, 3);
      assert.deepEqual(talks.episodes.map((e) => e.published).sort(), [false, true, true]);
      for (const e of talks.episodes) assert.equal(e.publicUrl === null, !e.published, e.title);
      const anonymous = await request(url);
      assert.equal(anonymous.status, 401);
      assert.equal((await request(url, { headers: { 'x-api-key': `${key}x` } })).status, 401);
    });
  });
}
