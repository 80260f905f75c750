// Uploaded active content in a real browser (issue 10, finding 1): a "media file" evil.html or
// evil.svg opened through the media route never runs its script in the panel's origin. Before the
// fix both were served inline with their own type, and Chromium ran the script.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { localStorage } from '../../lib';
import { launchBrowser } from '../support/browser';
import { makeTempDir, type TempDir } from '../support/fixtures-local';
import { IDS, startPanelApp, type PanelApp } from '../support/panel-app';

// Each file records that it ran by calling back to the app's own origin (a same-origin request
// with the viewer's cookies is exactly what an attacker wants) and by setting document.title.
const SCRIPT = "document.title='pwned'; fetch('/ran?'+location.pathname).catch(function(){});";
const FILES: Record<string, string> = {
  'evil.html': `<!doctype html><title>x</title><script>${SCRIPT}</script><p>hello</p>`,
  'evil.svg': `<svg xmlns="http://www.w3.org/2000/svg" onload="${SCRIPT}"><script>${SCRIPT}</script><rect width="9" height="9"/></svg>`,
};

let tmp: TempDir;
let app: PanelApp;
let browser: Browser;
const ran: string[] = [];

before(async () => {
  tmp = await makeTempDir('station-files-active-');
  for (const [name, body] of Object.entries(FILES)) await writeFile(path.join(tmp.dir, name), body);
  app = await startPanelApp({
    express: 'v5',
    storages: { uploads: localStorage({ root: tmp.dir }) },
    beforeRouter: (host) =>
      host.get('/ran', (req, res) => {
        ran.push(req.url);
        res.status(204).end();
      }),
  });
  app.data.media.set('m-html', { station: 'alpha', storage: 'uploads', key: 'evil.html', filename: 'evil.html' });
  app.data.media.set('m-svg', { station: 'alpha', storage: 'uploads', key: 'evil.svg', filename: 'evil.svg' });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await app?.close();
  await tmp?.cleanup();
});

describe('uploaded HTML and SVG opened in Chromium', () => {
  for (const id of ['m-html', 'm-svg']) {
    test(`${id}: no script runs in the panel's origin (downloaded, sandboxed)`, async () => {
      const context = await browser.newContext({ acceptDownloads: true });
      try {
        const page = await context.newPage();
        const url = app.signedUrl({ kind: 'media', station: 'alpha', id });
        const download = page.waitForEvent('download', { timeout: 10_000 }).catch(() => null);
        await page.goto(url).catch(() => undefined); // an attachment aborts the navigation
        const got = await download;
        assert.ok(got, 'the browser treated the file as a download');
        assert.equal(got.suggestedFilename(), id === 'm-html' ? 'evil.html' : 'evil.svg');
        assert.notEqual(await page.title().catch(() => ''), 'pwned');
        // Even rendered directly (as if a browser ignored Content-Disposition), the sandbox CSP
        // gives the document an opaque origin with scripts off.
        const res = await fetch(url);
        assert.equal(res.headers.get('content-security-policy'), "sandbox; default-src 'none'");
        assert.match(String(res.headers.get('content-disposition')), /^attachment;/);
        await page.setContent(`<iframe src="${url.replace(/^https?:\/\/[^/]+/, '')}"></iframe>`, { waitUntil: 'load' }).catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.deepEqual(ran, [], "the file's script never called back to the panel");
      } finally {
        await context.close();
      }
    });
  }

  test('audio still plays inline from the same route', async () => {
    const res = await fetch(app.signedUrl({ kind: 'media', station: 'alpha', id: IDS.alphaMedia }));
    assert.equal(res.status, 200);
    assert.match(String(res.headers.get('content-disposition')), /^inline;/);
    await res.arrayBuffer();
  });
});
