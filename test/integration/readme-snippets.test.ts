// Every code snippet in the README is code that runs or type-checks: each line of each ```ts
// block stands, in order, in one of the fixture programs (whose imports of '../../lib' read as
// 'station-files'), and the JSON nginx config is accepted by `station-files nginx --config`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const repo = path.resolve(__dirname, '..', '..');
const readme = readFileSync(path.join(repo, 'README.md'), 'utf8');
const FIXTURES = ['quick-start.ts', 'mounting-guide.ts', 'readme-snippets.ts'];
const asPackage = (text: string): string =>
  text.replace(/'\.\.\/\.\.\/lib(?:\/entry\/([\w-]+))?'/g, (_m, sub?: string) => (sub ? `'station-files/${sub}'` : "'station-files'"));
const fixtures = FIXTURES.map((f) =>
  asPackage(readFileSync(path.join(repo, 'test/fixtures', f), 'utf8'))
    .split('\n')
    .map((l) => l.trim()),
);
const blocks = (lang: string): string[] => [...readme.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1] as string);

/** True when the lines stand in this order (not necessarily adjacent) in one fixture. */
function inSomeFixture(lines: string[]): boolean {
  return fixtures.some((fixture) => {
    let at = 0;
    for (const line of lines) {
      const found = fixture.indexOf(line, at);
      if (found < 0) return false;
      at = found + 1;
    }
    return true;
  });
}

test('every TypeScript snippet of the README is fixture code', () => {
  const code = blocks('ts').filter((b) => !b.startsWith('{ id, correlationId')); // the event's field list is a shape, not code
  assert.ok(code.length >= 8, `found ${code.length} ts snippets`);
  for (const block of code) {
    const lines = block
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');
    assert.ok(inSomeFixture(lines), `README snippet not found in test/fixtures (${FIXTURES.join(', ')}):\n${block}`);
  }
});

test('the JSON nginx config of the README is accepted by station-files nginx --config', () => {
  const json = blocks('json').find((b) => b.includes('"storages"'));
  assert.ok(json, 'the README shows a JSON config');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'readme-json-'));
  try {
    writeFileSync(path.join(dir, 'nginx-options.json'), json);
    const r = spawnSync(process.execPath, ['--import', require.resolve('tsx'), path.join(repo, 'lib/cli/bin.ts'), 'nginx', '--config', 'nginx-options.json'], {
      cwd: dir,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /location = \/_station_files\/s3 \{/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
