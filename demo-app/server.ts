/**
 * The demo server (until the full admin panel lands): seeds a local media folder with generated
 * WAV files on first start and serves them through station-files with full Range support.
 *   PORT (3000), DATA_DIR (demo-app/data)
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import express from 'express';
import { fileHandler, localStorage } from '../lib';
import { encodePath } from '../lib/storage/keys';
import { wavTone } from './wav';

const port = Number(process.env.PORT ?? 3000);
const dataDir = path.resolve(process.env.DATA_DIR ?? path.join(__dirname, 'data'));
const mediaDir = path.join(dataDir, 'media');

function seed(): void {
  if (existsSync(mediaDir)) return;
  mkdirSync(path.join(mediaDir, 'Morning Show'), { recursive: true });
  writeFileSync(path.join(mediaDir, 'Morning Show', 'Frühstück – 2026-11-29.wav'), wavTone({ seconds: 120, frequency: 440 }));
  writeFileSync(path.join(mediaDir, 'jingle 100% ☕.wav'), wavTone({ seconds: 5, frequency: 660 }));
  writeFileSync(path.join(mediaDir, 'station-id.wav'), wavTone({ seconds: 3, frequency: 880 }));
}

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

seed();
const media = localStorage({ root: mediaDir });
const app = express();
app.disable('x-powered-by');
app.get('/', (_req, res) => {
  const rows = listFiles(mediaDir).map((key) => {
    const href = `/files/${encodePath(key.split('/'))}`;
    const size = statSync(path.join(mediaDir, key)).size;
    return `<li>${escapeHtml(key)} (${size} bytes)<br><audio controls preload="none" src="${href}?inline"></audio> <a href="${href}">download</a></li>`;
  });
  res.type('html').send(`<!doctype html><meta charset="utf-8"><title>station-files demo</title>
<h1>station-files demo</h1><p>Files served from ${escapeHtml(mediaDir)} with Range and conditional requests.</p><ul>${rows.join('')}</ul>`);
});
app.get('/files/*key', fileHandler({
  resolve: (req) => ({
    storage: media,
    key: (req.params.key as unknown as string[]).join('/'),
    disposition: req.query.inline !== undefined ? 'inline' : 'attachment',
  }),
  onResult: (r, req) => console.log(`${req.method} ${req.originalUrl} → ${r.status} ${r.outcome} ${r.bytesSent ?? '-'} bytes`),
}));

app.listen(port, '127.0.0.1', () => {
  console.log(`station-files demo on http://127.0.0.1:${port}/`);
  for (const key of listFiles(mediaDir)) console.log(`  curl -r 0-1 -i http://127.0.0.1:${port}/files/${encodePath(key.split('/'))}`);
});
