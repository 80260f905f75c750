// The import picture of lib/ has layers, bottom up, and no import runs back up:
//   options (one option reader) → http (pure rules and their value types) → storage → delivery → access, log → routes, metrics
//   → the root files (station-files.ts, file-handler.ts, index.ts) → entry points and the CLI.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const lib = path.resolve(__dirname, '..', '..', 'lib');
const RANK: Record<string, number> = { options: -1, http: 0, storage: 1, delivery: 2, access: 3, log: 3, routes: 4, metrics: 4, '.': 5, entry: 6, cli: 6 };

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? files(path.join(dir, d.name)) : d.name.endsWith('.ts') ? [path.join(dir, d.name)] : [],
  );
}

/** The lib folder of a file: 'http', 'storage', …, or '.' for lib/ itself. */
const layer = (file: string): string => path.relative(lib, path.dirname(file)).split(path.sep)[0] || '.';

/** Relative imports of a file: static imports and exports, import() and require(). */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found = [...text.matchAll(/(?:from\s+|import\s*\(\s*|require\(\s*)'(\.{1,2}\/[^']*)'/g)].map((m) => m[1] as string);
  return found.map((spec) => path.resolve(path.dirname(file), spec));
}

describe('lib/ layers', () => {
  it('knows every folder of lib/', () => {
    for (const f of files(lib)) assert.ok(layer(f) in RANK, `${path.relative(lib, f)}: folder ${layer(f)} has no place in the layers`);
  });

  it('no import runs back up (http imports no other folder; storage nothing above it; …)', () => {
    const wrong: string[] = [];
    for (const f of files(lib)) {
      for (const target of imports(f)) {
        const from = layer(f);
        const to = layer(target);
        if (from === to) continue;
        const ok = (RANK[to] ?? 99) < (RANK[from] ?? -1) || (to === '.' && from === 'entry') || (from === 'cli' && to === 'entry');
        if (!ok) wrong.push(`${path.relative(lib, f)} → ${path.relative(lib, target)} (${from} may not import ${to})`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  it('the same-rank folders access and log do not import each other', () => {
    const across = files(lib).flatMap((f) =>
      imports(f)
        .filter((t) => {
          const pair = [layer(f), layer(t)].sort().join();
          return pair === 'access,log';
        })
        .map((t) => `${path.relative(lib, f)} → ${path.relative(lib, t)}`),
    );
    assert.deepEqual(across, []);
  });
});
