// The report line nginx sends over syslog: parsed exactly, the secret checked, anything else
// counted as garbled (never thrown).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lastUpstream, parseReportLine } from '../../lib/log/nginx-report-line';

const SECRET = Buffer.from('s3cret-s3cret-s3cret');
const fields = (over: Record<string, string> = {}): string =>
  JSON.stringify({
    s: 's3cret-s3cret-s3cret',
    id: 'a1b2-c3',
    status: '206',
    bytes: '1048576',
    done: 'OK',
    time: '12.345',
    ups: '200 : 206',
    upt: '0.002 : 0.010',
    rid: 'f00d',
    ...over,
  });
const line = (json: string, tag = 'station_files'): string => `<190>Nov  9 12:00:00 ${tag}: ${json}`;

describe('parseReportLine', () => {
  it('reads every field of an S3 hand-off (the second upstream group is S3)', () => {
    assert.deepEqual(parseReportLine(line(fields()), 'station_files', SECRET), {
      id: 'a1b2-c3',
      status: 206,
      bytesSent: 1048576,
      completed: true,
      requestId: 'f00d',
      requestTimeMs: 12345,
      upstreamStatus: 206,
      upstreamTimeMs: 10,
    });
  });

  it('a local hand-off has no upstream but the app; an aborted one no completion', () => {
    const r = parseReportLine(line(fields({ ups: '200', upt: '0.001', done: '' })), 'station_files', SECRET);
    assert.ok(typeof r === 'object');
    assert.deepEqual([r.upstreamStatus, r.upstreamTimeMs, r.completed], [null, null, false]);
  });

  it('with a hostname (no nohostname) it still parses', () => {
    assert.equal(typeof parseReportLine(`<190>Nov 19 02:03:04 radio station_files: ${fields()}`, 'station_files', SECRET), 'object');
  });

  it('the wrong secret is forged; same length or not', () => {
    assert.equal(parseReportLine(line(fields({ s: 's3cret-s3cret-s3creX' })), 'station_files', SECRET), 'forged');
    assert.equal(parseReportLine(line(fields({ s: '' })), 'station_files', SECRET), 'forged');
  });

  it('anything else is garbled: another tag, no JSON, missing or non-numeric fields, a bad id', () => {
    const garbled = [
      line(fields(), 'other'),
      'hello',
      line('{"s":1}'),
      line('{not json}'),
      line(fields({ status: '2xx' })),
      line(fields({ bytes: '-1' })),
      line(fields({ id: 'has space' })),
      line(fields({ time: '' })),
      line('[]'),
    ];
    for (const g of garbled) assert.equal(parseReportLine(g, 'station_files', SECRET), 'garbled', g);
  });
});

describe('lastUpstream', () => {
  it('takes the last figure of the last group, after retries', () => {
    assert.equal(lastUpstream('200 : 502, 206'), '206');
    assert.equal(lastUpstream('200'), null);
    assert.equal(lastUpstream('200 : -'), null);
  });
});
