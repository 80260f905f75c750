// The receiver: loopback only, options read once, forged and garbled datagrams dropped and counted;
// and nginxConfig's `report` option: validated, and the lines it adds.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { createNginxReports, localStorage, nginxConfig, registerMorganTokens } from '../../lib';
import { attachContext } from '../../lib/log/request-context';

const SECRET = 'unit-secret-unit-secret';
const send = (port: number, text: string): Promise<void> =>
  new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.send(text, port, '127.0.0.1', (err) => {
      s.close();
      if (err) reject(err);
      else resolve();
    });
  });

describe('createNginxReports', () => {
  it('refuses addresses off loopback, short secrets and unknown keys, naming the option', () => {
    assert.throws(() => createNginxReports({ listen: '0.0.0.0:5140', secret: SECRET }), /createNginxReports: listen must be a loopback/);
    assert.throws(() => createNginxReports({ listen: 'localhost:5140', secret: SECRET }), /listen must be a loopback/);
    assert.throws(() => createNginxReports({ listen: '127.0.0.1:5140', secret: 'short' }), /secret must be 16–256/);
    assert.throws(() => createNginxReports({ listen: '127.0.0.1:5140', secret: SECRET, timeout: 5 } as never), /unknown option timeout/);
  });

  it('counts forged and garbled datagrams and drops them', async () => {
    const r = createNginxReports({ listen: '127.0.0.1:0', secret: SECRET });
    const { port, address } = await r.listening();
    assert.equal(address, '127.0.0.1');
    const json = (s: string) => JSON.stringify({ s, id: 'x', status: '200', bytes: '1', done: 'OK', time: '0.1', ups: '200', upt: '0.1', rid: 'r' });
    await send(port, `<190>Nov  9 12:00:00 station_files: ${json('wrong-secret-wrong-secret')}`);
    await send(port, 'garbage');
    await send(port, `<190>Nov  9 12:00:00 station_files: ${json(SECRET)}`);
    for (let i = 0; i < 100 && r.stats().received < 3; i++) await new Promise((res) => setTimeout(res, 10));
    const s = r.stats();
    assert.deepEqual([s.received, s.forged, s.garbled, s.unknown], [3, 1, 1, 1]);
    assert.ok(s.recvBufferSize > 0);
    await r.close();
  });
});

describe("nginxConfig's report option", () => {
  const storages = { d: localStorage({ root: '/tmp', accelPrefix: '/_sf/d' }) };
  const base = { listen: '127.0.0.1:8080', app: '127.0.0.1:3000', storages };

  it('adds the log format with the secret, the syslog access_log, and the id in every internal location', async () => {
    const conf = await nginxConfig({ ...base, report: { address: '127.0.0.1:5140', secret: SECRET } });
    assert.match(conf, new RegExp(`log_format station_files_report escape=json '\\{"s":"${SECRET}",`));
    assert.match(conf, /access_log syslog:server=127\.0\.0\.1:5140,tag=station_files,nohostname station_files_report if=\$sf_report;/);
    assert.equal(conf.match(/set \$sf_report \$upstream_http_x_station_files_report;/g)?.length, 2);
    assert.match(conf, /proxy_hide_header X-Station-Files-Report;/);
  });

  it('adds none of it without report', async () => {
    assert.doesNotMatch(await nginxConfig(base), /sf_report|syslog/);
  });

  it('refuses a non-loopback address, a bad secret and unknown keys', async () => {
    await assert.rejects(nginxConfig({ ...base, report: { address: '10.0.0.1:5140', secret: SECRET } }), /nginxConfig: report\.address must be a loopback/);
    await assert.rejects(nginxConfig({ ...base, report: { address: '127.0.0.1:5140', secret: "x' ; y" } }), /report\.secret must be/);
    await assert.rejects(nginxConfig({ ...base, report: { address: '127.0.0.1:5140', secret: SECRET, port: 1 } as never }), /unknown option report\.port/);
  });
});

describe('morgan tokens of a hand-off', () => {
  it('say handed-off and - bytes: morgan writes before nginx has sent anything', () => {
    type Token = (req: IncomingMessage, res: ServerResponse) => string | undefined;
    const tokens = new Map<string, Token>();
    registerMorganTokens({ token: (name: string, cb: Token) => tokens.set(name, cb) });
    const req = new IncomingMessage(new Socket());
    const res = new ServerResponse(req);
    attachContext(req, { id: 'x', kind: 'media', station: 'a', fileId: '1', user: null, progress: { bytesSent: 0 }, event: null });
    res.setHeader('X-Accel-Redirect', '/_sf/d/file.mp3');
    assert.equal(tokens.get('download-outcome')?.(req, res), 'handed-off');
    assert.equal(tokens.get('download-bytes')?.(req, res), '-');
  });
});
