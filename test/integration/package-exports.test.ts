// The built package: every entry point loads with `require` and `import`, exports exactly the
// names listed here (a change to the public API shows up as a change to this file), and the root
// entry point never loads the AWS SDK.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const repo = path.resolve(__dirname, '..', '..');
const node = (args: string[]): string => execFileSync(process.execPath, args, { cwd: repo, encoding: 'utf8' }).trim();

/** The value exports of each entry point (types are checked by the type-checked README snippets). */
const EXPORTS: Record<string, string[]> = {
  'station-files': [
    'DOWNLOAD_LOG_FORMAT',
    'JsonLinesLogError',
    'PERMISSIONS',
    'StorageError',
    'createDelivery',
    'createNginxReports',
    'createStationFiles',
    'fileHandler',
    'isStorageError',
    'jsonLinesLog',
    'localStorage',
    'nginxConfig',
    'registerMorganTokens',
    'requestContext',
    'staticPermissions',
    'stationFileUrls',
  ],
  'station-files/s3': ['createS3Client', 's3Storage'],
  'station-files/http': [
    'FILE_CSP',
    'asciiFallback',
    'chooseContentType',
    'contentDisposition',
    'contentRange',
    'decideRange',
    'evaluatePreconditions',
    'fileEtag',
    'httpDate',
    'ifRangeAllows',
    'inlineAllowed',
    'isLoopback',
    'planResponse',
    'readAhead',
    'safeFilename',
    'truncateIp',
  ],
  'station-files/signing': ['createUrlSigner', 'deriveKeyId', 'readSignedQuery', 'signedQuery'],
  'station-files/podcast-stats': ['AGENT_RULES_SOURCE', 'classifyUserAgent', 'countPodcastDownloads', 'listenerKey', 'truncateIp'],
  'station-files/postgres': ['postgresLimitStore'],
  'station-files/metrics': ['s3ErrorType', 'stationFilesMetrics'],
};

before(() => {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: repo, stdio: 'inherit' });
});

test('the build emits JavaScript and type declarations for every entry point', () => {
  for (const f of ['index', 'entry/s3', 'entry/http', 'entry/signing', 'entry/podcast-stats', 'entry/postgres', 'entry/metrics']) {
    assert.ok(existsSync(path.join(repo, `dist/lib/${f}.js`)), f);
    assert.ok(existsSync(path.join(repo, `dist/lib/${f}.d.ts`)), f);
  }
});

describe('export lists', () => {
  for (const [entry, names] of Object.entries(EXPORTS)) {
    test(`require('${entry}') exports exactly its documented names`, () => {
      const out = node(['-e', `console.log(JSON.stringify(Object.keys(require(${JSON.stringify(entry)})).filter((k) => k !== '__esModule').sort()))`]);
      assert.deepEqual(JSON.parse(out), [...names].sort());
    });
    test(`import '${entry}' gives the same named exports`, () => {
      // Node 23+ adds a 'module.exports' key to the namespace of every CommonJS module: Node's, not ours.
      const out = node([
        '--input-type=module',
        '-e',
        `import * as m from ${JSON.stringify(entry)}; console.log(JSON.stringify(Object.keys(m).filter((k) => k !== 'default' && k !== '__esModule' && k !== 'module.exports').sort()))`,
      ]);
      assert.deepEqual(JSON.parse(out), [...names].sort());
    });
  }
});

test('the root entry point loads no AWS SDK module; station-files/s3 does', () => {
  const count = (entry: string): number =>
    Number(
      node([
        '-e',
        `require(${JSON.stringify(entry)}); console.log(Object.keys(require.cache).filter((k) => /[\\\\/]@(aws-sdk|smithy)[\\\\/]/.test(k)).length)`,
      ]),
    );
  assert.equal(count('station-files'), 0);
  assert.ok(count('station-files/s3') > 0);
});

test('only station-files/metrics loads prom-client, and no entry point loads pg (the host passes its Pool)', () => {
  const loaded = (entry: string, pkg: string): number =>
    Number(
      node([
        '-e',
        `require(${JSON.stringify(entry)}); console.log(Object.keys(require.cache).filter((k) => k.includes(${JSON.stringify(`/node_modules/${pkg}/`)})).length)`,
      ]),
    );
  for (const entry of ['station-files', 'station-files/s3', 'station-files/postgres']) assert.equal(loaded(entry, 'prom-client'), 0, entry);
  assert.ok(loaded('station-files/metrics', 'prom-client') > 0);
  for (const entry of ['station-files', 'station-files/postgres', 'station-files/metrics']) assert.equal(loaded(entry, 'pg'), 0, entry);
});
