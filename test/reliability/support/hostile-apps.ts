// Servers and helpers for test/reliability/hostile-input.test.ts: a byte-exact raw HTTP client
// (request lines no URL library would let through), the hostile file names, an app whose media
// route hands local and S3 files to nginx, and small apps that only differ in their signing keys.
import { mkdir, writeFile } from 'node:fs/promises';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import path from 'node:path';
import express from 'express';
import { parse as parseDisposition } from 'content-disposition';
import { createStationFiles, type FileRef, type SigningKey, type Storage } from '../../../lib';
import { deterministicRange } from '../../support/s3';

export interface RawReply {
  status: number;
  headers: [string, string][];
  body: Buffer;
}

/** Sends bytes exactly as given (`path` as UTF-8, spaces and all) and reads the reply until the server closes. */
export function rawRequest(origin: string, method: string, rawPath: string, headers: [string, string][] = []): Promise<RawReply> {
  const { hostname, port } = new URL(origin);
  const head = [`${method} ${rawPath} HTTP/1.1`, `Host: ${hostname}:${port}`, ...headers.map(([k, v]) => `${k}: ${v}`), 'Connection: close', '', ''];
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no answer to ${method} ${rawPath.slice(0, 80)}`)));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' || err.code === 'EPIPE' ? undefined : reject(err)));
    socket.on('close', () => {
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) return reject(new Error(`no HTTP reply to ${method} ${rawPath.slice(0, 80)}: ${JSON.stringify(all.toString('latin1').slice(0, 80))}`));
      const [statusLine, ...lines] = all.subarray(0, end).toString('latin1').split('\r\n');
      const pairs = lines.map((l): [string, string] => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]);
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1] ?? 0), headers: pairs, body: all.subarray(end + 4) });
    });
    // write, not end: a half-closed request reads as a client that left (nginx answers nothing then).
    socket.write(Buffer.from(head.join('\r\n'), 'utf8'));
  });
}

export const headerOf = (r: RawReply, name: string): string | undefined => r.headers.find(([k]) => k === name)?.[1];

/** A file on disk (`key`, at most 255 bytes a segment) listed under a display name (`filename`) no disk would take. */
export interface HostileName {
  id: string;
  key: string;
  filename: string;
  size: number;
  expect: string[] | null;
}
const HIJACK = 'evil\r\nSet-Cookie: x=1\r\nX-Injected: yes\r\n\r\n<html>.mp3';
export const HOSTILE_NAMES: HostileName[] = [
  { id: 'h01', key: 'plain.mp3', filename: 'plain.mp3', size: 3000, expect: ['plain.mp3'] },
  { id: 'h02', key: 'quote"s.mp3', filename: 'He said "hi".mp3', size: 3001, expect: ['He said "hi".mp3'] },
  { id: 'h03', key: 'crlf.mp3', filename: HIJACK, size: 3002, expect: ['evilSet-Cookie: x=1X-Injected: yes<html>.mp3'] },
  { id: 'h04', key: 'semi;colon.mp3', filename: 'a; filename="other.exe"; x=.mp3', size: 3003, expect: ['a; filename="other.exe"; x=.mp3'] },
  { id: 'h05', key: '100% live?.mp3', filename: '100% live?.mp3', size: 3004, expect: ['100% live?.mp3'] },
  { id: 'h06', key: 'hash#tag.mp3', filename: 'hash#tag?x=1.mp3', size: 3005, expect: ['hash#tag?x=1.mp3'] },
  { id: 'h07', key: 'emoji 🎙️📻.mp3', filename: 'emoji 🎙️📻.mp3', size: 3006, expect: ['emoji 🎙️📻.mp3'] },
  { id: 'h08', key: 'rtl \u202egnp.mp3', filename: 'invoice\u202e3pm.exe', size: 3007, expect: ['invoice3pm.exe'] },
  { id: 'h09', key: `${'x'.repeat(240)}.mp3`, filename: `${'\u03a9'.repeat(996)}.mp3`, size: 3008, expect: [`${'\u03a9'.repeat(196)}.mp3`] },
  { id: 'h10', key: 'ctl.mp3', filename: 'nul\u0000bel\u0007del\u007fnel\u0085.mp3', size: 3009, expect: ['nulbeldelnel.mp3'] },
  { id: 'h11', key: 'sep.mp3', filename: '../..\\etc/passwd', size: 3010, expect: ['.._.._etc_passwd', '....etcpasswd'] },
  { id: 'h12', key: 'nfd.mp3', filename: 'Cafe\u0301 cre\u0300me.mp3', size: 3011, expect: ['Caf\u00e9 cr\u00e8me.mp3', 'Cafe\u0301 cre\u0300me.mp3'] },
  { id: 'h13', key: '%2e%2e.mp3', filename: '%2e%2e%2f%00.mp3', size: 3012, expect: ['%2e%2e%2f%00.mp3'] },
  { id: 'h14', key: 'dir with space/nested #1?.mp3', filename: '\r\n', size: 3013, expect: null },
  { id: 'h15', key: 'lone.mp3', filename: '\ud800lone\udfff.mp3', size: 3014, expect: null },
  // Composed and decomposed spellings of one name are two files on Linux: each row gets its own bytes.
  { id: 'h17', key: 'caf\u00e9.mp3', filename: 'caf\u00e9.mp3', size: 3016, expect: ['caf\u00e9.mp3'] },
  { id: 'h18', key: 'cafe\u0301.mp3', filename: 'cafe\u0301.mp3', size: 3017, expect: ['caf\u00e9.mp3', 'cafe\u0301.mp3'] },
  {
    id: 'h16',
    key: "apos'trophe (live) [1] {2} ~!$&+,=@.mp3",
    filename: "apos'trophe (live) [1] {2} ~!$&+,=@.mp3",
    size: 3015,
    expect: ["apos'trophe (live) [1] {2} ~!$&+,=@.mp3"],
  },
];
export const hostileBytes = (h: HostileName): Buffer => deterministicRange(`hostile:${h.key}`, h.size, 0, h.size - 1);

export async function writeHostileFiles(root: string): Promise<void> {
  for (const h of HOSTILE_NAMES) {
    await mkdir(path.dirname(path.join(root, h.key)), { recursive: true });
    await writeFile(path.join(root, h.key), hostileBytes(h));
  }
}

// C0/C1 controls, bidi marks and overrides, separators, lone surrogates: none may reach a client.
const FORBIDDEN =
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069/\\]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/u;

/** Checks a Content-Disposition for `h`; returns the problems (empty when it is right). */
export function dispositionProblems(value: string | undefined, h: HostileName, type: 'attachment' | 'inline'): string[] {
  if (value === undefined) return ['no Content-Disposition'];
  if (!/^[\x20-\x7e]+$/.test(value)) return [`not printable ASCII: ${JSON.stringify(value)}`];
  let parsed: ReturnType<typeof parseDisposition>;
  try {
    parsed = parseDisposition(value);
  } catch (err) {
    return [`does not parse (${(err as Error).message}): ${value}`];
  }
  const name = String(parsed.parameters.filename); // filename* when present, decoded
  const problems: string[] = [];
  if (parsed.type !== type) problems.push(`type ${parsed.type}`);
  if (FORBIDDEN.test(name)) problems.push(`unsafe characters in ${JSON.stringify(name)}`);
  if ([...name].length > 200) problems.push(`${[...name].length} characters`);
  if (h.expect && !h.expect.includes(name)) problems.push(`filename ${JSON.stringify(name)}, expected ${h.expect.map((e) => JSON.stringify(e)).join(' or ')}`);
  if (name === '') problems.push('empty filename');
  return problems;
}

type AppUser = { id: string };
/** A request that says `X-Api-Key: ok` is a user with every permission; others are anonymous. */
function authenticate(req: IncomingMessage & { user?: AppUser }, _res: unknown, next: () => void): void {
  if (req.headers['x-api-key'] === 'ok') req.user = { id: 'tester' };
  next();
}

export interface MiniApp {
  origin: string;
  port: number;
  rows: Map<string, FileRef>;
  signedUrl(id: string, expiresIn?: number): string;
  close(): Promise<void>;
}

/** createStationFiles with only the media route (`/station/:station/file/:id/play`), catalog = `rows`. */
export async function startMiniApp(storages: Record<string, Storage>, signingKeys?: SigningKey[] | string[]): Promise<MiniApp> {
  const rows = new Map<string, FileRef>();
  const files = createStationFiles<AppUser>({
    authenticate,
    authorize: () => true,
    storages,
    catalog: { mediaFile: ({ id }) => rows.get(id) ?? null },
    ...(signingKeys ? { signing: { keys: signingKeys } } : {}),
    onError: () => undefined,
  });
  const app = express();
  app.disable('x-powered-by');
  app.use(files.router());
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    port,
    rows,
    signedUrl: (id, expiresIn) => `${origin}${files.signedUrl({ kind: 'media', station: 'alpha', id }, expiresIn ? { expiresIn } : {})}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
