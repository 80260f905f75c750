// local-stream: a 1 GiB (× scale) file streamed from disk by the library vs express.static serving
// the same file from the same process; throughput, best of 3 each, in alternation (page cache warm).
import { bestThroughput, httpArm } from '../lib/client';
import type { BenchContext } from '../lib/context';
import { metric } from '../lib/report';

const NAME = 'local-stream';

export async function run(ctx: BenchContext): Promise<void> {
  const file = await ctx.localFile();
  const expected = { bytes: file.size, sha256: await file.sha256() };
  const app = await ctx.server('library', { storages: { local: { kind: 'local', root: ctx.mediaRoot } }, staticRoot: ctx.mediaRoot });
  try {
    const [lib, stat] = await bestThroughput(
      [httpArm('library', `${app.url}/local/${file.key}`), httpArm('express.static', `${app.url}/__static/${file.key}`)],
      expected,
      3,
      ctx.log,
    );
    ctx.emit(metric(NAME, 'throughput', lib ?? 0, 'MB/s', { baseline: stat, target: { on: 'ratio', op: '>=', limit: 0.95 } }));
  } finally {
    await app.stop();
  }
}
