// s3-accel: the library's S3 accel hand-off (nginx fetches a presigned URL; config from nginxConfig())
// vs the library's S3 stream mode, both through the same nginx, on the 1 GiB (× scale) object;
// throughput, best of 3, rotating order. Reported only (s3-proxy-compare has the targets).
import type { BenchContext } from '../lib/context';
import { bestThroughput, httpArm } from '../lib/client';
import { metric, notRun } from '../lib/report';
import type { ServerSpec } from '../lib/storages';

const NAME = 's3-accel';

export async function run(ctx: BenchContext): Promise<void> {
  const env = await ctx.s3();
  if (!env.cfg.endpoint.startsWith('http:')) {
    const why = `${env.cfg.endpoint} is not plain HTTP (the shipped location proxies over http://)`;
    ctx.log(`  skipped: ${why}`);
    ctx.emit(notRun(NAME, 'throughput', 'MB/s', why));
    return;
  }
  const obj = await ctx.object('gig');
  const spec: ServerSpec = { storages: { s3: { kind: 's3', accel: true }, s3stream: { kind: 's3' } } };
  const app = await ctx.server('library', spec);
  const nginx = await ctx.nginx(Number(new URL(app.url).port), spec);
  try {
    const expected = { bytes: obj.size, sha256: await obj.sha256() };
    const [accel, stream] = await bestThroughput(
      [httpArm('nginx S3 accel', `${nginx.url}/s3/${obj.key}`), httpArm('nginx → S3 stream', `${nginx.url}/s3stream/${obj.key}`)],
      expected,
      3,
      ctx.log,
    );
    const { outcomes } = await app.rss();
    ctx.log(`  app outcomes ${JSON.stringify(outcomes)}`);
    if (!Object.keys(outcomes).some((k) => k.endsWith('/accel'))) throw new Error(`no accel hand-off among the app's outcomes ${JSON.stringify(outcomes)}`);
    ctx.emit(metric(NAME, 'throughput', accel ?? 0, 'MB/s', { baseline: stream }));
  } finally {
    await nginx.stop();
    await app.stop();
  }
}
