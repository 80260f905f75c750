import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AGENT_RULES, AGENT_RULES_SOURCE } from '../../lib/log/podcast/agent-rules';
import { classifyUserAgent, isListener } from '../../lib/log/podcast/agents';
import { AGENT_SAMPLES } from '../fixtures/podcast-agents';

describe('classifyUserAgent', () => {
  it('agrees with the fixture on at least 99 % of apps, bots, browsers and pre-loaders (own samples, not the OPAWG examples)', (t) => {
    const report: Record<string, { samples: number; agree: number; wrong: string[] }> = {};
    for (const s of AGENT_SAMPLES) {
      const r = (report[s.kind] ??= { samples: 0, agree: 0, wrong: [] });
      r.samples += 1;
      const got = classifyUserAgent(s.ua);
      if (got.kind === s.kind) r.agree += 1;
      else r.wrong.push(`${s.what}: ${got.kind} (${got.name}) ${s.ua}`);
    }
    t.diagnostic(JSON.stringify(Object.fromEntries(Object.entries(report).map(([k, r]) => [k, `${r.agree}/${r.samples}`]))));
    assert.ok(AGENT_SAMPLES.length >= 250, `${AGENT_SAMPLES.length} samples`);
    for (const [kind, r] of Object.entries(report)) assert.ok(r.agree / r.samples >= 0.99, `${kind}: ${r.agree}/${r.samples}; ${r.wrong.join('\n')}`);
  });

  it('counts the players issue 16 found dropped as bots', () => {
    const players = [
      'AmazonMusic',
      'Echo/1.0(APNG)',
      'com.google.android.apps.youtube.music/7.02.51 (Linux; U; Android 14; en_GB; Pixel 8; Build/AP1A.240305.019; Cronet/121.0.6167.71)',
      'Fountain/1.1.4 iOS https://www.fountain.fm',
      'TuneIn Radio',
      'Stitcher/Android',
      'gPodder/3.11.4 (+http://gpodder.org/) Linux',
      'Castro 2020.14/1287',
      'Shifty Jelly Pocket Casts, iOS v7.1',
      'Overcast (+http://overcast.fm/; Apple Watch podcast app)',
    ];
    assert.deepEqual(
      players.filter((ua) => !isListener(classifyUserAgent(ua).kind)),
      [],
    );
  });

  it('does not count the crawlers issue 16 found passing as listeners', () => {
    const bots = [
      'Overcast/1.0 Podcast Sync (3 subscribers; feed-id=1; +http://overcast.fm/)',
      'Podcastindex.org/v0.4.1 (Aggrivate)',
      'SiriusXM/STT-Processor/1.2',
    ];
    assert.deepEqual(
      bots.map((ua) => classifyUserAgent(ua).kind),
      ['bot', 'bot', 'bot'],
    );
  });

  it('never counts a missing or empty user agent', () => {
    for (const ua of [null, '', '   ']) assert.equal(classifyUserAgent(ua).kind, 'bot');
  });

  it('calls Apple Watch sync a pre-loader, and the Watch player app an app', () => {
    assert.equal(classifyUserAgent('atc/1.0 watchOS/10.4 model/Watch6,2 hwp/t8301 build/21T216 (6; dt:273)').kind, 'preloader');
    assert.equal(classifyUserAgent('Watch/1162 CFNetwork/3860.300.31 Darwin/25.2.0').kind, 'app');
  });

  it('falls back to isbot for user agents no rule knows', () => {
    assert.deepEqual(classifyUserAgent('SomeNewCrawler/1.0 (+https://crawler.example/bot)'), { kind: 'bot', name: 'bot, crawler or spider' });
    assert.deepEqual(classifyUserAgent('zzz'), { kind: 'bot', name: 'isbot' });
  });

  it('has rules that compile, each with a kind and a name, and names its source', () => {
    for (const [kind, name, source, flags] of AGENT_RULES) {
      assert.ok(['app', 'browser', 'bot', 'preloader'].includes(kind) && name.length > 0, name);
      assert.doesNotThrow(() => new RegExp(source, flags ?? ''), name);
    }
    assert.deepEqual(AGENT_RULES_SOURCE, {
      list: 'OPAWG podcast user-agents v2 (github.com/opawg/user-agents-v2), MIT',
      snapshot: '2026-08-06',
      commit: '8008a31',
    });
  });
});
