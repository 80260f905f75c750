// `station-files nginx --config FILE`: JavaScript modules of every flavour, TypeScript through the
// host's tsx, and a declarative JSON file; clear usage errors (exit 2) for anything else.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

const repo = path.resolve(__dirname, '..', '..');
let dir: string;

before(async () => {
  await import('node:fs').then((fs) => fs.mkdirSync(path.join(repo, '.test-tmp'), { recursive: true }));
  dir = await mkdtemp(path.join(repo, '.test-tmp', 'nginx-cli-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(repo, 'lib/cli/bin.ts'), ...args], { cwd: dir, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const lib = JSON.stringify(path.join(repo, 'lib/index.ts'));
const LOCAL = { root: '/var/radio/media', accelPrefix: '/_station_files/media' };

describe('station-files nginx --config', () => {
  test('a CommonJS module (.cjs) exporting a function', async () => {
    await writeFile(
      path.join(dir, 'opts.cjs'),
      `const { localStorage } = require(${lib});
module.exports = async () => ({ listen: '8080', app: '127.0.0.1:3000', storages: { media: localStorage(${JSON.stringify(LOCAL)}) } });`,
    );
    const r = cli('nginx', '--config', 'opts.cjs');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /location \^~ \/_station_files\/media\/ \{/);
  });

  test('an ES module (.mjs) with a default export', async () => {
    await writeFile(
      path.join(dir, 'opts.mjs'),
      `import { localStorage } from ${JSON.stringify(`file://${path.join(repo, 'lib/index.ts')}`)};
export default { listen: '8080', app: '127.0.0.1:3000', storages: { media: localStorage(${JSON.stringify(LOCAL)}) } };`,
    );
    const r = cli('nginx', '--config', 'opts.mjs');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /alias \/var\/radio\/media\/;/);
  });

  test("a TypeScript module, through the project's tsx", () => {
    const r = cli('nginx', '--config', path.join(repo, 'test/fixtures/nginx-options.ts'));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /location = \/_station_files\/s3 \{/);
  });

  test('a JSON file describing local and S3 storages', async () => {
    await writeFile(
      path.join(dir, 'opts.json'),
      JSON.stringify({
        listen: '8080',
        app: '127.0.0.1:3000',
        clientMaxBodySize: '500m',
        storages: {
          media: { type: 'local', ...LOCAL },
          recordings: {
            type: 's3',
            endpoint: 'https://s3.example.com',
            region: 'eu-central-1',
            bucket: 'radio',
            forcePathStyle: true,
            accelLocation: '/_station_files/s3',
          },
        },
      }),
    );
    const r = cli('nginx', '--config', 'opts.json');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /alias \/var\/radio\/media\/;/);
    assert.match(r.stdout, /location = \/_station_files\/s3 \{/);
    assert.match(r.stdout, /proxy_pass https:\/\//);
    assert.match(r.stdout, /client_max_body_size 500m;/);
  });

  test('usage errors exit 2 with a reason: unknown extension, bad JSON, unknown keys and storage types', async () => {
    await writeFile(path.join(dir, 'opts.yaml'), 'listen: 80');
    await writeFile(path.join(dir, 'bad.json'), '{ "listen": ');
    await writeFile(path.join(dir, 'extra.json'), JSON.stringify({ listen: '80', app: 'a:1', storages: {}, lisen: '81' }));
    await writeFile(path.join(dir, 'type.json'), JSON.stringify({ listen: '80', app: 'a:1', storages: { x: { type: 'ftp' } } }));
    for (const [file, message] of [
      ['opts.yaml', /use a \.js, \.mjs, \.cjs or \.json file/],
      ['bad.json', /not valid JSON/],
      ['extra.json', /unknown key "lisen"/],
      ['type.json', /storages\.x\.type must be "local" or "s3"/],
    ] as const) {
      const r = cli('nginx', '--config', file);
      assert.equal(r.status, 2, `${file}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    assert.equal(cli('nginx').status, 2);
    assert.equal(cli('nginx', '--config', 'opts.json', 'extra').status, 2);
  });
});
