// The built package: `require` and `import` of 'station-files' both work on Node 20, with types.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const repo = path.resolve(__dirname, '..', '..');
const node = (args: string[]): string => execFileSync(process.execPath, args, { cwd: repo, encoding: 'utf8' }).trim();

before(() => {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: repo, stdio: 'inherit' });
});

test('the build emits JavaScript and type declarations', () => {
  assert.ok(existsSync(path.join(repo, 'dist/lib/index.js')));
  assert.ok(existsSync(path.join(repo, 'dist/lib/index.d.ts')));
});

test('require("station-files") gives the factories', () => {
  const out = node(['-e', "const m = require('station-files'); console.log([typeof m.createDelivery, typeof m.localStorage, typeof m.s3Storage, typeof m.planResponse].join())"]);
  assert.equal(out, 'function,function,function,function');
});

test('import "station-files" gives the same named exports', () => {
  const out = node(['--input-type=module', '-e', "import { createDelivery, localStorage, s3Storage, fileHandler } from 'station-files'; console.log([createDelivery, localStorage, s3Storage, fileHandler].map((f) => typeof f).join())"]);
  assert.equal(out, 'function,function,function,function');
});
