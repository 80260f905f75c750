// Screenshots of the demo panel for the README: `npx tsx test/e2e/screenshots.ts`.
// Starts the demo in local mode on a temp DATA_DIR, drives headless Chromium at 1280×800 and
// writes demo-app/screenshots/{login,stations,station-alpha,history}.png.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { fileUrl, publicEpisodeUrl } from '../../demo-app/catalog';
import { launchBrowser } from '../support/browser';
import { login, seeded, startDemo } from './harness';

const OUT = path.resolve(__dirname, '..', '..', 'demo-app', 'screenshots');
const VIEWPORT = { width: 1280, height: 800 };

/** Notes problems the pages show (failed requests, script errors) so the run can report them. */
function watch(page: Page, problems: string[]): void {
  page.on('pageerror', (e) => problems.push(`${page.url()}: script error: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 500) problems.push(`${page.url()}: ${r.status()} for ${r.url()}`);
  });
}

async function main(): Promise<void> {
  await mkdir(OUT, { recursive: true });
  const d = await startDemo('local');
  const browser = await launchBrowser();
  const problems: string[] = [];
  const shot = async (page: Page, name: string, fullPage = false): Promise<void> => {
    const file = path.join(OUT, name);
    await page.screenshot({ path: file, fullPage });
    console.log(`wrote ${path.relative(process.cwd(), file)}`);
  };
  try {
    const anonymous = await browser.newContext({ baseURL: d.base, viewport: VIEWPORT });
    const loginPage = await anonymous.newPage();
    watch(loginPage, problems);
    await loginPage.goto('/login');
    // The demo logins are shown only for the default DATA_DIR (this one is a temp folder).
    const hint = loginPage.locator('details.hint summary');
    if (await hint.count()) await hint.click();
    await shot(loginPage, 'login.png');

    const { context, page } = await login(browser, d.base, 'admin@example.com');
    watch(page, problems);
    await shot(page, 'stations.png');

    await page.goto('/station/alpha');
    await shot(page, 'station-alpha.png', true);

    // A few fresh downloads for the history table: staff downloads and podcast-app fetches.
    for (const row of [seeded(d, 'alpha', 'recording', 'Late Night Mix #42.wav'), seeded(d, 'alpha', 'media')]) {
      const r = await page.request.get(fileUrl('alpha', row));
      if (r.status() !== 200) problems.push(`download of ${row.filename}: ${r.status()}`);
    }
    const episode = seeded(d, 'alpha', 'episode', 'alpha-talks-001.wav');
    for (const headers of [{}, { range: 'bytes=0-1' }, { range: 'bytes=1000-' }] as Record<string, string>[]) {
      const r = await anonymous.request.get(publicEpisodeUrl('alpha', episode), {
        headers: { ...headers, 'user-agent': 'Overcast/3.0 (+http://overcast.fm/; iOS podcast app)' },
      });
      if (r.status() >= 300) problems.push(`enclosure fetch: ${r.status()}`);
    }

    await page.goto('/station/alpha/history');
    const ready = await page.waitForSelector('body[data-charts="ready"]', { timeout: 10_000 }).then(
      () => true,
      () => false,
    );
    if (!ready) problems.push('history: the charts never became ready (body[data-charts="ready"] missing)');
    await shot(page, 'history.png');
    await context.close();
    await anonymous.close();
  } finally {
    await browser.close();
    await d.stop();
  }
  if (problems.length) {
    console.error(`\n${problems.length} problem(s) seen:\n  ${problems.join('\n  ')}`);
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
