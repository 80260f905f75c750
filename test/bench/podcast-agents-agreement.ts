// How well classifyUserAgent agrees with the OPAWG user-agents v2 list, run by hand:
//   npx tsx test/bench/podcast-agents-agreement.ts /path/to/opawg [--misses]
// The folder holds the list's apps.json, bots.json, browsers.json, libraries.json and devices.json (github.com/opawg/
// user-agents-v2, MIT; not part of this repository). Every example user agent in them is classified, and the expected
// kind is what the list's own procedure gives (its patterns tried in its order: bots, apps, libraries, browsers; a
// library of category "bot" is a bot; devices are listeners). Prints one JSON object: per file, examples, agreement on
// "counted or not" (what a download count depends on) and on the exact kind; `--misses` lists the disagreements on stderr.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { classifyUserAgent, isListener } from '../../lib/log/podcast/agents';

type Expected = 'app' | 'browser' | 'bot';
interface Entry {
  name: string;
  pattern: string;
  examples?: string[];
  category?: string;
}
interface Rule {
  kind: Expected;
  name: string;
  re: RegExp | null;
}

const FILES = ['bots', 'apps', 'libraries', 'browsers', 'devices'] as const;

function entries(dir: string, file: string): Entry[] {
  return (JSON.parse(readFileSync(path.join(dir, `${file}.json`), 'utf8')) as { entries: Entry[] }).entries;
}

function compile(source: string): RegExp | null {
  try {
    return new RegExp(source);
  } catch {
    return null; // a pattern JavaScript cannot read: that entry is skipped by the list's procedure here
  }
}

function kindOf(file: string, entry: Entry): Expected {
  if (file === 'bots' || (file === 'libraries' && entry.category === 'bot')) return 'bot';
  return file === 'browsers' ? 'browser' : 'app';
}

function main(): void {
  const [dir, ...flags] = process.argv.slice(2);
  if (dir === undefined) throw new Error('usage: tsx test/bench/podcast-agents-agreement.ts <opawg folder> [--misses]');
  const rules: Rule[] = FILES.filter((f) => f !== 'devices').flatMap((f) =>
    entries(dir, f).map((e) => ({ kind: kindOf(f, e), name: e.name, re: compile(e.pattern) })),
  );
  const result: Record<string, { examples: number; countedAgreement: number; kindAgreement: number; misses: number }> = {};
  for (const file of FILES) {
    let n = 0;
    let counted = 0;
    let exact = 0;
    for (const entry of entries(dir, file)) {
      for (const ua of entry.examples ?? []) {
        const expected = rules.find((r) => r.re?.test(ua))?.kind ?? kindOf(file, entry);
        const got = classifyUserAgent(ua);
        n += 1;
        const sameCount = isListener(got.kind) === (expected !== 'bot');
        if (sameCount) counted += 1;
        if (got.kind === expected || (got.kind === 'preloader' && expected === 'bot')) exact += 1;
        else if (flags.includes('--misses'))
          process.stderr.write(`${file}\t${entry.name}\texpected ${expected}\tgot ${got.kind} (${got.name})\t${sameCount ? '' : 'COUNT '}${ua}\n`);
      }
    }
    const pct = (k: number): number => Math.round((k / Math.max(n, 1)) * 10_000) / 100;
    result[file] = { examples: n, countedAgreement: pct(counted), kindAgreement: pct(exact), misses: n - counted };
  }
  process.stdout.write(`${JSON.stringify({ source: dir, result }, null, 2)}\n`);
}

main();
